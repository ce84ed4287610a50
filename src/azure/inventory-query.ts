/**
 * The Resource Graph queries imagewarden runs, in one place.
 *
 * INVENTORY_QUERY returns one row per AKS managed cluster, keeping `id` (ARG pages stably only when `id` is
 * in the output) and projecting only the cluster properties imagewarden reads; agent pools arrive as the raw
 * `agentPoolProfiles` array and are flattened in TypeScript (azure/inventory.ts), so a cluster with 100 pools is
 * still one row and paging never splits a cluster. No `mv-expand`, no `take`/`limit` (either would truncate).
 * `tostring()` turns a missing value into "" in KQL; the mapper turns "" back into null.
 */
export const INVENTORY_QUERY = `// imagewarden inventory: one row per AKS managed cluster; agent pools are flattened in TypeScript.
resources
| where type =~ 'microsoft.containerservice/managedclusters'
| project id, name, subscriptionId, resourceGroup, location, tags,
    provisioningState = tostring(properties.provisioningState),
    powerState = tostring(properties.powerState.code),
    kubernetesVersion = tostring(properties.kubernetesVersion),
    currentKubernetesVersion = tostring(properties.currentKubernetesVersion),
    upgradeChannel = tostring(properties.autoUpgradeProfile.upgradeChannel),
    nodeOSUpgradeChannel = tostring(properties.autoUpgradeProfile.nodeOSUpgradeChannel),
    agentPoolProfiles = properties.agentPoolProfiles
| order by id asc`;

/**
 * The subscriptions the identity can read, within the requested scope. Resource Graph silently leaves out
 * subscriptions it may not read, so comparing this list with IMAGEWARDEN_SUBSCRIPTIONS is how an unreadable
 * required subscription is told apart from one that simply has no clusters.
 */
export const SUBSCRIPTIONS_QUERY = `// imagewarden coverage: the subscriptions this identity can read.
resourcecontainers
| where type =~ 'microsoft.resources/subscriptions'
| project id, subscriptionId, name
| order by id asc`;

/** Resource Graph's maximum page size. */
export const PAGE_SIZE = 1000;
