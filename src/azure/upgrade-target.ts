import type { AgentPool, MaintenanceConfiguration as ArmMaintenanceConfiguration } from '@azure/arm-containerservice';
import type { MaintenanceConfiguration } from '../domain/maintenance-window.js';
import type { ObservedCluster, ObservedPool } from '../domain/upgrade.js';
import { parseClusterId } from '../domain/inventory.js';
import type { ArmClients } from './arm-clients.js';
import { withRetry, type RetryContext } from './retry.js';

export interface UpgradeTarget {
  readonly cluster: ObservedCluster;
  readonly tags: Readonly<Record<string, string>>;
  readonly location: string;
  readonly maintenance: readonly MaintenanceConfiguration[];
}

/**
 * Reads, live from ARM, everything the pre-checks judge: the cluster, every agent pool with its upgrade settings
 * and its latest image (one upgrade-profile call per pool: a run concerns one cluster), and the maintenance
 * configurations. Each call goes through the one retry policy.
 */
export async function readUpgradeTarget(clients: ArmClients, clusterId: string, retry: RetryContext): Promise<UpgradeTarget | null> {
  const id = parseClusterId(clusterId);
  if (id === null) return null;
  const aks = clients.containerService(id.subscriptionId);
  let cluster;
  try {
    cluster = await withRetry(`managedClusters.get ${id.name}`, retry, (abortSignal) => aks.managedClusters.get(id.resourceGroup, id.name, { abortSignal }));
  } catch (error) {
    if ((error as { failure?: { statusCode?: number } }).failure?.statusCode === 404) return null;
    throw error;
  }
  const pools: AgentPool[] = await withRetry(`agentPools.list ${id.name}`, retry, async (abortSignal) => {
    const all: AgentPool[] = [];
    for await (const pool of aks.agentPools.list(id.resourceGroup, id.name, { abortSignal })) all.push(pool);
    return all;
  });
  const observed: ObservedPool[] = [];
  for (const pool of pools) {
    const name = pool.name ?? '';
    const profile = await withRetry(`agentPools.getUpgradeProfile ${id.name}/${name}`, retry, (abortSignal) =>
      aks.agentPools.getUpgradeProfile(id.resourceGroup, id.name, name, { abortSignal }),
    );
    observed.push(toObservedPool(pool, profile.latestNodeImageVersion ?? null));
  }
  const maintenance = await withRetry(`maintenanceConfigurations.list ${id.name}`, retry, async (abortSignal) => {
    const all: MaintenanceConfiguration[] = [];
    for await (const config of aks.maintenanceConfigurations.listByManagedCluster(id.resourceGroup, id.name, { abortSignal })) all.push(toMaintenance(config));
    return all;
  });
  const properties = cluster;
  return {
    cluster: {
      id: cluster.id ?? clusterId,
      provisioningState: properties?.provisioningState ?? null,
      powerState: properties?.powerState?.code ?? null,
      kubernetesVersion: properties?.currentKubernetesVersion ?? properties?.kubernetesVersion ?? null,
      nodeOSUpgradeChannel: properties?.autoUpgradeProfile?.nodeOSUpgradeChannel ?? null,
      pools: observed,
    },
    tags: cluster.tags ?? {},
    location: cluster.location,
    maintenance,
  };
}

/** One pool, re-read (post-checks, reconciliation): state, image and Kubernetes version as ARM says now. */
export async function readPool(clients: ArmClients, clusterId: string, poolName: string, retry: RetryContext): Promise<ObservedPool | null> {
  const id = parseClusterId(clusterId)!;
  const aks = clients.containerService(id.subscriptionId);
  try {
    const pool = await withRetry(`agentPools.get ${id.name}/${poolName}`, retry, (abortSignal) => aks.agentPools.get(id.resourceGroup, id.name, poolName, { abortSignal }));
    return toObservedPool(pool, null);
  } catch (error) {
    if ((error as { failure?: { statusCode?: number } }).failure?.statusCode === 404) return null;
    throw error;
  }
}

function toObservedPool(pool: AgentPool, latest: string | null): ObservedPool {
  const p = pool;
  const settings = p?.upgradeSettings;
  return {
    name: pool.name ?? '',
    mode: p?.mode ?? null,
    provisioningState: p?.provisioningState ?? null,
    nodeImageVersion: p?.nodeImageVersion ?? null,
    latestNodeImageVersion: latest,
    kubernetesVersion: p?.currentOrchestratorVersion ?? p?.orchestratorVersion ?? null,
    count: p?.count ?? null,
    enableAutoScaling: p?.enableAutoScaling ?? false,
    minCount: p?.minCount ?? null,
    maxCount: p?.maxCount ?? null,
    upgradeSettings: settings
      ? {
          ...(settings.maxSurge !== undefined ? { maxSurge: settings.maxSurge } : {}),
          ...(settings.maxUnavailable !== undefined ? { maxUnavailable: settings.maxUnavailable } : {}),
          ...(settings.drainTimeoutInMinutes !== undefined ? { drainTimeoutInMinutes: settings.drainTimeoutInMinutes } : {}),
          ...(settings.nodeSoakDurationInMinutes !== undefined ? { nodeSoakDurationInMinutes: settings.nodeSoakDurationInMinutes } : {}),
        }
      : null,
  };
}

/** The SDK hands dates back as Date objects (midnight UTC); the domain works with `YYYY-MM-DD`. */
function toMaintenance(config: ArmMaintenanceConfiguration): MaintenanceConfiguration {
  const day = (value: Date | string | undefined) => (value === undefined ? undefined : (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10));
  const properties = config;
  const window = properties?.maintenanceWindow;
  return {
    name: config.name ?? '',
    ...(window
      ? {
          maintenanceWindow: {
            schedule: window.schedule as never,
            durationHours: window.durationHours,
            ...(window.utcOffset ? { utcOffset: window.utcOffset } : {}),
            ...(window.startDate ? { startDate: day(window.startDate)! } : {}),
            startTime: window.startTime,
            notAllowedDates: (window.notAllowedDates ?? []).map((range) => ({ start: day(range.start)!, end: day(range.end)! })),
          },
        }
      : {}),
    timeInWeek: (properties?.timeInWeek ?? []).map((slot) => ({ ...(slot.day ? { day: slot.day as never } : {}), hourSlots: slot.hourSlots ?? [] })),
    notAllowedTime: (properties?.notAllowedTime ?? []).map((range) => ({
      ...(range.start ? { start: new Date(range.start).toISOString() } : {}),
      ...(range.end ? { end: new Date(range.end).toISOString() } : {}),
    })),
  };
}
