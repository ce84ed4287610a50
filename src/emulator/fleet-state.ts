import { randomUUID } from 'node:crypto';
import { clusterIdOf, parseClusterId, sameId } from './arm-ids.js';
import { expandTemplatesDeep, expandVersionTemplate, imageFamilyOf } from './version-template.js';
import type { FleetAgentPool, FleetCluster, FleetFile, FleetImages, FleetSubscription } from './types.js';

/** A cluster together with its subscription, the unit most handlers work on. */
export interface ClusterRef {
  subscription: FleetSubscription;
  cluster: FleetCluster;
  id: string;
}

/** Pool fields the emulator keeps beside the fleet file's own (changed on every write, like ARM). */
export type PoolState = FleetAgentPool & { eTag?: string };

export type FleetState = ReturnType<typeof createFleetState>;

/**
 * The live, mutable fleet: a template-expanded deep copy of the fleet file. Lookups are case-insensitive.
 * Everything that reads pools (ARG rows, AKS GETs) goes through this object, so a mutation is visible everywhere.
 */
export function createFleetState(fleet: FleetFile, now: () => Date) {
  const data = expandTemplatesDeep(structuredClone(fleet), now());
  const images: FleetImages = {};
  for (const [location, families] of Object.entries(data.images ?? {})) images[location.toLowerCase()] = { ...families };
  for (const sub of data.subscriptions) {
    sub.access ??= 'read';
    for (const cluster of sub.clusters) for (const pool of cluster.agentPools) touch(pool);
  }

  // Clusters and subscriptions never come or go at run time (only pools do), so the indexes are built once:
  // per-pool AKS calls against fleets of thousands of clusters stay O(1).
  const refs: ClusterRef[] = data.subscriptions.flatMap((sub) =>
    sub.clusters.map((cluster) => ({ subscription: sub, cluster, id: clusterIdOf(sub.id, cluster.resourceGroup, cluster.name) })),
  );
  const byKey = new Map(refs.map((ref) => [key(ref.subscription.id, ref.cluster.resourceGroup, ref.cluster.name), ref]));
  const groups = new Set(refs.map((ref) => key(ref.subscription.id, ref.cluster.resourceGroup)));
  const subscriptionsById = new Map(data.subscriptions.map((sub) => [sub.id.toLowerCase(), sub]));

  function subscription(id: string): FleetSubscription | undefined {
    return subscriptionsById.get(id.toLowerCase());
  }

  function clusters(): ClusterRef[] {
    return refs;
  }

  function cluster(subscriptionId: string, resourceGroup: string, name: string): ClusterRef | undefined {
    return byKey.get(key(subscriptionId, resourceGroup, name));
  }

  function clusterById(id: string): ClusterRef | undefined {
    const key = parseClusterId(id);
    return key ? cluster(key.subscriptionId, key.resourceGroup, key.name) : undefined;
  }

  function requireCluster(id: string): ClusterRef {
    const ref = clusterById(id);
    if (!ref) throw new Error(`emulator fleet has no managed cluster ${id}`);
    return ref;
  }

  function pool(ref: ClusterRef, name: string): PoolState | undefined {
    return ref.cluster.agentPools.find((p) => sameId(p.name, name));
  }

  /** pool override ?? images[location][family] ?? images['*'][family] ?? the pool's own version (brief + §5.3). */
  function latestImage(ref: ClusterRef, p: FleetAgentPool): string | undefined {
    if (p.latestNodeImageVersion) return p.latestNodeImageVersion;
    if (!p.nodeImageVersion) return undefined;
    const family = imageFamilyOf(p.nodeImageVersion);
    return (
      images[ref.cluster.location.toLowerCase()]?.[family] ?? images['*']?.[family] ?? p.nodeImageVersion
    );
  }

  function setLatestImage(location: string, family: string, version: string): void {
    const key = location.toLowerCase();
    images[key] = { ...images[key], [family]: expandVersionTemplate(version, now()) };
  }

  return {
    tenantId: data.tenantId,
    subscriptions: (): FleetSubscription[] => data.subscriptions,
    subscription,
    clusters,
    cluster,
    clusterById,
    requireCluster,
    pool,
    latestImage,
    setLatestImage,
    resourceGroupExists(subscriptionId: string, resourceGroup: string): boolean {
      return groups.has(key(subscriptionId, resourceGroup));
    },
    /** Marks a pool as changed (new eTag), as ARM does on every write. */
    touch,
    expand: (text: string): string => expandVersionTemplate(text, now()),
  };
}

function key(...parts: string[]): string {
  return parts.join('/').toLowerCase();
}

function touch(pool: PoolState): void {
  pool.eTag = randomUUID();
}
