/**
 * Public types of the ARM emulator: the fleet file, the fault plan, recorded traffic and the running handle.
 * The fleet file is the on-disk JSON format documented in docs/emulator.md.
 */

export type SubscriptionAccess = 'read' | 'silent' | 'forbidden';
export type PowerStateCode = 'Running' | 'Stopped';

/** One agent pool as written in a fleet file (ARM property names; version strings may hold `{{...}}` templates). */
export interface FleetAgentPool {
  name: string;
  mode?: 'System' | 'User' | 'Gateway';
  count?: number;
  vmSize?: string;
  osType?: 'Linux' | 'Windows';
  osSKU?: string;
  nodeImageVersion: string | null;
  /** Overrides the latest image this pool's upgrade profile reports. */
  latestNodeImageVersion?: string;
  enableFIPS?: boolean;
  orchestratorVersion?: string;
  currentOrchestratorVersion?: string;
  upgradeSettings?: Record<string, unknown>;
  enableAutoScaling?: boolean;
  minCount?: number;
  maxCount?: number;
  tags?: Record<string, string>;
  nodeLabels?: Record<string, string>;
  availabilityZones?: string[];
  provisioningState?: string;
  powerState?: PowerStateCode;
  type?: 'VirtualMachineScaleSets' | 'AvailabilitySet' | 'VirtualMachines';
}

export interface FleetMaintenanceConfiguration {
  name: string;
  properties: Record<string, unknown>;
}

/** A Deployment added to a cluster's emulated Kubernetes API (fleet field `kubernetes.workloads`). */
export interface FleetWorkload {
  namespace: string;
  name: string;
  /** The agent pool its pods run on (nodeSelector `kubernetes.azure.com/agentpool`). */
  pool: string;
  replicas: number;
  /** A PodDisruptionBudget `<name>-pdb` selecting the pods; integers or percentages (`"50%"`). */
  pdb?: { minAvailable?: number | string; maxUnavailable?: number | string };
}

/**
 * How clients authenticate to the cluster's API server: `entra` = AKS-managed Entra ID integration with Azure RBAC
 * (local accounts disabled, kubelogin kubeconfig), `local` = a per-cluster static token in the kubeconfig.
 */
export type ClusterAuthentication = 'entra' | 'local';

export interface FleetCluster {
  name: string;
  resourceGroup: string;
  location: string;
  tags?: Record<string, string>;
  kubernetesVersion: string;
  currentKubernetesVersion?: string;
  powerState?: PowerStateCode;
  provisioningState?: string;
  upgradeChannel?: string;
  nodeOSUpgradeChannel?: string;
  skuTier?: 'Free' | 'Standard' | 'Premium';
  maintenanceConfigurations?: FleetMaintenanceConfiguration[];
  /** Default `entra`. */
  authentication?: ClusterAuthentication;
  kubernetes?: { workloads?: FleetWorkload[] };
  agentPools: FleetAgentPool[];
}

export interface FleetSubscription {
  id: string;
  displayName?: string;
  access?: SubscriptionAccess;
  clusters: FleetCluster[];
}

/** Latest image per location (`'*'` = every location) and image family (version string minus its version part). */
export type FleetImages = Record<string, Record<string, string>>;

export interface ArgQuota {
  /** Queries allowed per window (ARG documents 15 per 5 s as an example). */
  limit: number;
  windowSeconds: number;
}

export interface FleetFile {
  tenantId: string;
  images?: FleetImages;
  subscriptions: FleetSubscription[];
  /** Optional Resource Graph user quota enforcement; off when absent. */
  argQuota?: ArgQuota;
  /** Free-form note shown by the emulator command (e.g. "demo data"). */
  description?: string;
}

export type FaultAction = 'throttle' | 'quota-throttle' | 'error' | 'slow' | 'drop' | 'fail-upgrade';

export interface FaultRule {
  /** Operation name (see docs/emulator.md), or `'*'` for any. `fail-upgrade` defaults to the upgrade operation. */
  operation?: string;
  subscriptionId?: string;
  poolName?: string;
  clusterName?: string;
  /** Fire from the nth matching request on (1-based, counted per rule). */
  nth?: number;
  /** How many times the rule fires; -1 = always. Default 1. */
  times?: number;
  action: FaultAction;
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  code?: string;
  message?: string;
}

export type KubernetesFaultKind = 'blocking-pdb' | 'node-never-ready' | 'unreachable' | 'label-mismatch';

/**
 * A fault in a cluster's emulated Kubernetes API, applied when the plan is loaded (the same as the fleet controller
 * method of that name). `poolName` is required except for `unreachable`; `version` only for `label-mismatch`.
 */
export interface KubernetesFault {
  clusterName: string;
  /** Narrows `clusterName` to one subscription when several hold a cluster of that name. */
  subscriptionId?: string;
  poolName?: string;
  fault: KubernetesFaultKind;
  version?: string;
}

export interface FaultPlan {
  rules: FaultRule[];
  kubernetes?: KubernetesFault[];
}

/** One request/response pair in the shape `oav validate-traffic` reads (one entry per file). */
export interface TrafficEntry {
  liveRequest: { method: string; url: string; headers: Record<string, string>; body: unknown };
  liveResponse: { statusCode: string; headers: Record<string, string>; body: unknown };
  /** Emulator extras (ignored by oav): the operation name and when the request arrived. */
  operation: string;
  timestamp: string;
}

export interface EmulatorClient {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** App roles put in the `roles` claim of issued tokens. */
  roles?: string[];
}

export type LocationMode = '200' | '204' | 'omit';
/** What `upgradeNodeImageVersion` does for a pool already on its latest image. */
export type UpToDateMode = '202' | '200' | '304';

/** Settings that can be changed while the emulator runs. */
export interface EmulatorSettings {
  upgradeDurationMs: number;
  locationMode: LocationMode;
  upToDateMode: UpToDateMode;
  /** Whether a running upgrade makes 409 only a second operation on its pool, or any on its cluster. */
  conflictScope: 'pool' | 'cluster';
  /** Page size of `managedClusters.list` / `listByResourceGroup`. */
  listPageSize: number;
  argQuota: ArgQuota | undefined;
}

export interface EmulatorOptions {
  /** A fleet object or the path of a fleet file; default: the built-in demo fleet. */
  fleet?: FleetFile | string;
  faults?: FaultPlan | string;
  port?: number;
  host?: string;
  caDir?: string;
  token?: string;
  clients?: EmulatorClient[];
  recordTraffic?: boolean;
  now?: () => Date;
  upgradeDurationMs?: number;
  locationMode?: LocationMode;
  upToDateMode?: UpToDateMode;
  conflictScope?: 'pool' | 'cluster';
  listPageSize?: number;
  argQuota?: ArgQuota;
  /** Receives one line per request (the emulator command passes a stderr writer). */
  log?: (line: string) => void;
}

export interface FleetController {
  setLatestImage(location: string, family: string, version: string): void;
  setPoolImage(clusterId: string, poolName: string, version: string | null): void;
  removePool(clusterId: string, poolName: string): void;
  addPool(clusterId: string, pool: FleetAgentPool): void;
  /** The cluster's ARM JSON as `managedClusters.get` returns it; undefined when unknown. */
  getCluster(clusterId: string): Record<string, unknown> | undefined;
  /** A Kubernetes version change behind imagewarden's back: the cluster's, or one pool's when `poolName` is given. */
  setKubernetesVersion(clusterId: string, version: string, poolName?: string): void;
  setClusterPowerState(clusterId: string, state: PowerStateCode): void;
  setSubscriptionAccess(subscriptionId: string, access: SubscriptionAccess): void;
  /** ARM ids of every cluster, in fleet order. */
  listClusterIds(): string[];
  /**
   * Adds Deployment `<pool>-singleton` (1 replica, namespace `apps`) on the pool and PDB `<pool>-singleton-pdb`
   * (`minAvailable: 1`): its node cannot be drained, so an upgrade of the pool fails when it gets there.
   */
  addBlockingPdb(clusterId: string, poolName: string): void;
  /** The next node created for the pool (surge or replacement) never becomes Ready. */
  setNodeNeverReady(clusterId: string, poolName: string): void;
  /** `false`: the cluster's API server destroys every connection without answering (private cluster, firewall). */
  setApiServerReachable(clusterId: string, reachable: boolean): void;
  /** The pool's nodes report `version` in `kubernetes.azure.com/node-image-version` whatever ARM says; `null` ends it. */
  setNodeImageLabel(clusterId: string, poolName: string, version: string | null): void;
}

/** One request to an emulated Kubernetes API server, as `kubernetesRequests()` lists it. */
export interface KubernetesRequest {
  /** The cluster's ARM id ('' when the path names no known cluster). */
  clusterId: string;
  method: string;
  /** The Kubernetes path, without the `/clusters/<id>` prefix. */
  path: string;
  /** The query string without `?` ('' when none). */
  query: string;
  /** The HTTP status answered; 0 when the connection was destroyed (`unreachable`, stopped cluster). */
  status: number;
  /** When the request arrived (ISO 8601). */
  at: string;
}

export interface RunningEmulator {
  url: string;
  caFile: string;
  token: string;
  close(): Promise<void>;
  traffic(): TrafficEntry[];
  clearTraffic(): void;
  callCounts(): Record<string, number>;
  setFaults(plan: FaultPlan): void;
  configure(settings: Partial<EmulatorSettings>): void;
  fleet: FleetController;
  /** The Kubernetes API server of every cluster: `<kubernetesUrl>/clusters/<opaque id>` (see the kubeconfig). */
  kubernetesUrl: string;
  /** The Kubernetes CA (not the ARM one); kubeconfigs carry it as `certificate-authority-data`. */
  kubernetesCaFile: string;
  /** Every request the Kubernetes API servers received, oldest first. */
  kubernetesRequests(): KubernetesRequest[];
  clearKubernetesRequests(): void;
}
