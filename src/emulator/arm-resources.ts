import { createHash } from 'node:crypto';
import { uuidFrom } from './arm-ids.js';
import type { ClusterRef, FleetState, PoolState } from './fleet-state.js';
import type { FleetMaintenanceConfiguration } from './types.js';

/**
 * ARM JSON for the AKS resources, shaped after the 2026-06-01 spec and azure-wire.md §3 (wire names, not the SDK's
 * flattened ones). Every builder returns a fresh object, so handlers may not leak state by mutating answers.
 */

type Json = Record<string, unknown>;

export const CLUSTER_TYPE = 'Microsoft.ContainerService/ManagedClusters';
export const POOL_TYPE = 'Microsoft.ContainerService/managedClusters/agentPools';

export function fullKubernetesVersion(version: string): string {
  return /^\d+\.\d+$/.test(version) ? `${version}.0` : version;
}

/** The resource group AKS keeps the cluster's VMs in. */
export function nodeResourceGroupOf(ref: ClusterRef): string {
  return `MC_${ref.cluster.resourceGroup}_${ref.cluster.name}_${ref.cluster.location}`;
}

function clusterPowerState(ref: ClusterRef): 'Running' | 'Stopped' {
  return ref.cluster.powerState ?? 'Running';
}

/** One `properties.agentPoolProfiles[]` entry (the pool's properties plus its name). */
export function agentPoolProfileJson(ref: ClusterRef, pool: PoolState): Json {
  return { name: pool.name, ...agentPoolPropertiesJson(ref, pool) };
}

export function agentPoolPropertiesJson(ref: ClusterRef, pool: PoolState): Json {
  const current = fullKubernetesVersion(ref.cluster.currentKubernetesVersion ?? ref.cluster.kubernetesVersion);
  const stopped = clusterPowerState(ref) === 'Stopped';
  const props: Json = {
    eTag: pool.eTag,
    count: pool.count ?? 3,
    vmSize: pool.vmSize ?? 'Standard_D4ds_v5',
    osDiskSizeGB: 128,
    osDiskType: 'Ephemeral',
    kubeletDiskType: 'OS',
    maxPods: pool.osType === 'Windows' ? 30 : 110,
    type: pool.type ?? 'VirtualMachineScaleSets',
    enableAutoScaling: pool.enableAutoScaling ?? false,
    minCount: pool.minCount,
    maxCount: pool.maxCount,
    provisioningState: pool.provisioningState ?? 'Succeeded',
    powerState: { code: stopped ? 'Stopped' : (pool.powerState ?? 'Running') },
    orchestratorVersion: pool.orchestratorVersion ?? current,
    currentOrchestratorVersion: pool.currentOrchestratorVersion ?? fullKubernetesVersion(pool.orchestratorVersion ?? current),
    mode: pool.mode ?? 'User',
    osType: pool.osType ?? 'Linux',
    osSKU: pool.osSKU ?? (pool.osType === 'Windows' ? 'Windows2022' : 'Ubuntu'),
    nodeImageVersion: pool.nodeImageVersion ?? undefined,
    upgradeSettings: pool.upgradeSettings ?? { maxSurge: '10%', maxUnavailable: '0' },
    availabilityZones: pool.availabilityZones,
    enableNodePublicIP: false,
    enableFIPS: pool.enableFIPS ?? false,
    tags: pool.tags,
    nodeLabels: pool.nodeLabels,
    securityProfile: { enableVTPM: false, enableSecureBoot: false },
  };
  return dropUndefined(props);
}

/** `GET .../agentPools/{pool}` body (§3.2). */
export function agentPoolJson(ref: ClusterRef, pool: PoolState): Json {
  return { id: `${ref.id}/agentPools/${pool.name}`, name: pool.name, type: POOL_TYPE, properties: agentPoolPropertiesJson(ref, pool) };
}

/** `GET .../managedClusters/{name}` body (§3.1). */
export function managedClusterJson(state: FleetState, ref: ClusterRef): Json {
  const { cluster } = ref;
  const hash = createHash('sha256').update(ref.id.toLowerCase()).digest('hex').slice(0, 8);
  const autoUpgradeProfile = dropUndefined({
    upgradeChannel: cluster.upgradeChannel,
    nodeOSUpgradeChannel: cluster.nodeOSUpgradeChannel,
  });
  const properties: Json = {
    provisioningState: cluster.provisioningState ?? 'Succeeded',
    powerState: { code: clusterPowerState(ref) },
    maxAgentPools: 100,
    kubernetesVersion: cluster.kubernetesVersion,
    currentKubernetesVersion: fullKubernetesVersion(cluster.currentKubernetesVersion ?? cluster.kubernetesVersion),
    dnsPrefix: cluster.name,
    fqdn: `${cluster.name}-${hash}.hcp.${cluster.location}.azmk8s.io`,
    azurePortalFQDN: `${cluster.name}-${hash}.portal.hcp.${cluster.location}.azmk8s.io`,
    agentPoolProfiles: cluster.agentPools.map((pool) => agentPoolProfileJson(ref, pool)),
    nodeResourceGroup: nodeResourceGroupOf(ref),
    enableRBAC: true,
    supportPlan: 'KubernetesOfficial',
    networkProfile: {
      networkPlugin: 'azure',
      networkPluginMode: 'overlay',
      podCidr: '10.244.0.0/16',
      serviceCidr: '10.0.0.0/16',
      dnsServiceIP: '10.0.0.10',
      outboundType: 'loadBalancer',
      loadBalancerSku: 'standard',
    },
    autoUpgradeProfile: Object.keys(autoUpgradeProfile).length > 0 ? autoUpgradeProfile : undefined,
    ...authenticationProperties(state, ref),
    resourceUID: uuidFrom(`uid:${ref.id.toLowerCase()}`).replace(/-/g, '').slice(0, 24),
  };
  return {
    id: ref.id,
    location: cluster.location,
    name: cluster.name,
    tags: cluster.tags,
    type: CLUSTER_TYPE,
    sku: { name: 'Base', tier: cluster.skuTier ?? 'Standard' },
    identity: {
      type: 'SystemAssigned',
      principalId: uuidFrom(`principal:${ref.id.toLowerCase()}`),
      tenantId: state.tenantId,
    },
    properties: dropUndefined(properties),
  };
}

/** AKS-managed Entra ID with Azure RBAC (local accounts off), or local accounts only. */
function authenticationProperties(state: FleetState, ref: ClusterRef): Json {
  if (ref.cluster.authentication === 'local') return { disableLocalAccounts: false };
  return { aadProfile: { managed: true, enableAzureRBAC: true, tenantID: state.tenantId }, disableLocalAccounts: true };
}

/** `GET .../agentPools/{pool}/upgradeProfiles/default` (§3.3): `properties` is always present. */
export function agentPoolUpgradeProfileJson(ref: ClusterRef, pool: PoolState, latest: string | undefined): Json {
  const props = agentPoolPropertiesJson(ref, pool);
  return {
    id: `${ref.id}/agentPools/${pool.name}/upgradeProfiles/default`,
    name: 'default',
    type: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles',
    properties: dropUndefined({
      kubernetesVersion: props.currentOrchestratorVersion,
      osType: props.osType,
      upgrades: [],
      latestNodeImageVersion: latest,
    }),
  };
}

/** `GET .../managedClusters/{name}/upgradeProfiles/default` (no node image information, §3.3). */
export function managedClusterUpgradeProfileJson(ref: ClusterRef): Json {
  const version = fullKubernetesVersion(ref.cluster.currentKubernetesVersion ?? ref.cluster.kubernetesVersion);
  return {
    id: `${ref.id}/upgradeProfiles/default`,
    name: 'default',
    type: 'Microsoft.ContainerService/managedClusters/upgradeProfiles',
    properties: {
      controlPlaneProfile: { kubernetesVersion: version, name: 'controlplane', osType: 'Linux', upgrades: [] },
      agentPoolProfiles: ref.cluster.agentPools.map((pool) => {
        const props = agentPoolPropertiesJson(ref, pool);
        return { kubernetesVersion: props.currentOrchestratorVersion, name: pool.name, osType: props.osType, upgrades: [] };
      }),
    },
  };
}

export function maintenanceConfigurationJson(ref: ClusterRef, config: FleetMaintenanceConfiguration): Json {
  return {
    id: `${ref.id}/maintenanceConfigurations/${config.name}`,
    name: config.name,
    type: 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations',
    properties: structuredClone(config.properties),
  };
}

/** A `resources` table row: the ARM JSON plus ARG's standard columns; `type` is lower-case in ARG (§1.2). */
export function resourceRow(state: FleetState, ref: ClusterRef): Json {
  const arm = managedClusterJson(state, ref);
  return {
    id: arm.id,
    name: arm.name,
    type: CLUSTER_TYPE.toLowerCase(),
    tenantId: state.tenantId,
    kind: '',
    location: arm.location,
    resourceGroup: ref.cluster.resourceGroup,
    subscriptionId: ref.subscription.id,
    managedBy: '',
    sku: arm.sku,
    plan: null,
    properties: arm.properties,
    tags: arm.tags ?? {},
    identity: arm.identity,
    zones: null,
    extendedLocation: null,
  };
}

/** `resourcecontainers` rows: one per subscription plus one per resource group holding a cluster. */
export function resourceContainerRows(state: FleetState, subscriptionIds: string[]): Json[] {
  const rows: Json[] = [];
  for (const id of subscriptionIds) {
    const sub = state.subscription(id);
    if (!sub) continue;
    rows.push({
      id: `/subscriptions/${sub.id}`,
      name: sub.displayName ?? sub.id,
      type: 'microsoft.resources/subscriptions',
      tenantId: state.tenantId,
      kind: '',
      location: '',
      resourceGroup: '',
      subscriptionId: sub.id,
      managedBy: '',
      tags: {},
      properties: {
        state: 'Enabled',
        subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'EnterpriseAgreement_2014-09-01', spendingLimit: 'Off' },
      },
    });
    const groups = new Map<string, { group: string; location: string }>();
    for (const { resourceGroup: group, location } of sub.clusters) {
      if (!groups.has(group.toLowerCase())) groups.set(group.toLowerCase(), { group, location });
    }
    for (const { group, location } of groups.values()) {
      rows.push({
        id: `/subscriptions/${sub.id}/resourceGroups/${group}`,
        name: group,
        type: 'microsoft.resources/subscriptions/resourcegroups',
        tenantId: state.tenantId,
        kind: '',
        location,
        resourceGroup: group,
        subscriptionId: sub.id,
        managedBy: '',
        tags: {},
        properties: { provisioningState: 'Succeeded' },
      });
    }
  }
  return rows;
}

function dropUndefined(value: Json): Json {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
