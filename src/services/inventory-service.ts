import type { ClusterObservation } from '../domain/inventory.js';
import { toPoolView, type PoolView } from '../domain/pool-view.js';
import type { SnapshotRepository } from '../store/snapshot-repository.js';
import type { StateRepository } from '../store/state-repository.js';

export interface InventoryServiceDeps {
  readonly snapshots: Pick<SnapshotRepository, 'latestCommittedAt'>;
  readonly state: StateRepository;
  readonly now: () => Date;
}

export interface StateQuery {
  readonly asOf?: Date;
  readonly subscriptionId?: string;
  readonly clusterId?: string;
  /** Pins paging to the snapshot the first page read. */
  readonly snapshotId?: number;
  readonly afterKey?: string;
  readonly limit: number;
}

export interface ClusterView extends ClusterObservation {
  readonly observedAt: string | null;
}

export type InventoryService = ReturnType<typeof createInventoryService>;

/** What imagewarden observed of the fleet at any moment: the last committed snapshot at or before it. */
export function createInventoryService(deps: InventoryServiceDeps) {
  const resolve = (query: StateQuery) => {
    const at = query.asOf ?? deps.now();
    const snapshotId = query.snapshotId ?? deps.snapshots.latestCommittedAt(at.toISOString())?.id ?? null;
    return { at, snapshotId };
  };

  return {
    pools(query: StateQuery): { snapshotId: number | null; items: (PoolView & { key: string })[] } {
      const { at, snapshotId } = resolve(query);
      if (snapshotId === null) return { snapshotId, items: [] };
      const observations = deps.state.subscriptionObservations(snapshotId);
      const rows = deps.state.pools(snapshotId, query);
      return {
        snapshotId,
        items: rows.map((row) => ({
          key: row.key,
          ...toPoolView({
            pool: row.pool,
            cluster: row.cluster,
            latestNodeImageVersion: row.latestNodeImageVersion,
            observedAt: observations.get(row.pool.subscriptionId.toLowerCase())?.observedAt ?? null,
            at,
          }),
        })),
      };
    },

    clusters(query: StateQuery): { snapshotId: number | null; items: (ClusterView & { key: string })[] } {
      const { snapshotId } = resolve(query);
      if (snapshotId === null) return { snapshotId, items: [] };
      const observations = deps.state.subscriptionObservations(snapshotId);
      return {
        snapshotId,
        items: deps.state.clusters(snapshotId, query).map(({ key, cluster }) => ({
          key,
          ...cluster,
          observedAt: observations.get(cluster.subscriptionId.toLowerCase())?.observedAt ?? null,
        })),
      };
    },
  };
}
