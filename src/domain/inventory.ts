/** What one snapshot observed of one AKS managed cluster (ids as Azure returned them). */
export interface ClusterObservation {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  /** The running version (`currentKubernetesVersion`), else the requested one. */
  readonly kubernetesVersion: string | null;
  readonly upgradeChannel: string | null;
  readonly nodeOSUpgradeChannel: string | null;
  readonly provisioningState: string | null;
  readonly powerState: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly poolCount: number;
}

/** What one snapshot observed of one agent pool: the pool fields of CONTRACT.md that Azure reports. */
export interface PoolObservation {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly poolName: string;
  readonly mode: string | null;
  readonly osType: string | null;
  readonly osSku: string | null;
  readonly vmSize: string | null;
  readonly nodeCount: number | null;
  readonly nodeImageVersion: string | null;
  /** The pool's running Kubernetes version; reported beside the image, never counted as image drift. */
  readonly kubernetesVersion: string | null;
  readonly provisioningState: string | null;
  readonly powerState: string | null;
  readonly enableFips: boolean;
  readonly enableAutoScaling: boolean;
  readonly minCount: number | null;
  readonly maxCount: number | null;
  readonly maxSurge: string | null;
  readonly maxUnavailable: string | null;
  readonly drainTimeoutInMinutes: number | null;
  readonly nodeSoakDurationInMinutes: number | null;
  readonly availabilityZones: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly nodeLabels: Readonly<Record<string, string>>;
}

/** ARM ids compare case-insensitively; keys are their lower-case form. */
export function clusterKey(clusterId: string): string {
  return clusterId.toLowerCase();
}

export function poolKey(clusterId: string, poolName: string): string {
  return `${clusterKey(clusterId)}/agentpools/${poolName.toLowerCase()}`;
}

/** Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`. */
export function parseClusterId(clusterId: string): { subscriptionId: string; resourceGroup: string; name: string } | null {
  const match =
    /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)$/i.exec(
      clusterId,
    );
  return match ? { subscriptionId: match[1]!, resourceGroup: match[2]!, name: match[3]! } : null;
}

/** The fields a pool observation repeats from its cluster: stored once, with the cluster. */
const CLUSTER_FIELDS = ['clusterId', 'clusterName', 'subscriptionId', 'resourceGroup', 'location'] as const;
export type StoredPoolObservation = Omit<PoolObservation, (typeof CLUSTER_FIELDS)[number]>;

export function withoutClusterFields(pool: PoolObservation): StoredPoolObservation {
  const { clusterId: _id, clusterName: _name, subscriptionId: _sub, resourceGroup: _rg, location: _location, ...own } = pool;
  return own;
}

/** Rebuilds a pool observation from its stored fields and its cluster as observed in the same snapshot. */
export function withClusterFields(stored: StoredPoolObservation, cluster: ClusterObservation): PoolObservation {
  return {
    clusterId: cluster.id,
    clusterName: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    location: cluster.location,
    ...stored,
  };
}
