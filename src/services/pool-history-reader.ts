import type { PoolStatus } from '../domain/drift.js';
import { notFound } from '../domain/errors.js';
import { poolHistoryChanges, type PoolHistoryChange } from '../domain/pool-history.js';
import type { InventoryServiceDeps } from './inventory-service.js';

export interface PoolHistoryQuery {
  readonly from?: Date;
  readonly to?: Date;
  /** Only changes at snapshots before this one (paging, newest first). */
  readonly beforeSnapshotId?: number;
  readonly limit: number;
}

export type PoolHistoryItem = PoolHistoryChange & {
  readonly observedAt: string;
  /** The pool's status at `observedAt` (null for `deleted`). */
  readonly status: PoolStatus | null;
};

/** `GET /api/v1/pools/{id}/history`: one pool's stored intervals as the changes an auditor reads, with their statuses. */
export function createPoolHistoryReader(deps: Pick<InventoryServiceDeps, 'state' | 'history' | 'policyAt' | 'exceptions'>) {
  /**
   * Each history entry's status at its own moment, from the pool and cluster as that snapshot observed them, with the
   * policy and exceptions in force then (the newest snapshot's observation history covers every earlier one).
   */
  function withStatus(key: string, items: PoolHistoryItem[]): PoolHistoryItem[] {
    const newestId = deps.state.newestSnapshotId();
    if (newestId === null || items.length === 0) return items;
    const history = deps.history({ policyAt: deps.policyAt, exceptions: deps.exceptions.all() }, newestId);
    return items.map((item) => {
      const state = item.change === 'deleted' ? null : deps.state.poolAt(key, item.snapshotId);
      if (state === null) return item;
      return { ...item, status: history.driftAt(state.pool, state.cluster, state.imageSince, item.snapshotId, item.observedAt).status };
    });
  }

  return {
    /**
     * One pool's image history, newest first: each committed snapshot at which its image, its group's latest image,
     * its Kubernetes version or its node count changed, when it appeared and when it went; observed in [from, to],
     * before snapshot `beforeSnapshotId` (the page cursor). `poolId` is the pool's ARM id, in any case.
     * 404 `pool_not_found` when imagewarden never observed the pool.
     */
    poolHistory(poolId: string, query: PoolHistoryQuery): { items: PoolHistoryItem[]; more: boolean } {
      const key = poolId.toLowerCase();
      const { pool, latest } = deps.state.poolIntervals(key);
      if (pool.length === 0) throw notFound('pool_not_found', `no node pool ${poolId} has been observed`);
      const changes = poolHistoryChanges(pool, latest);
      const times = deps.state.snapshotTimes(changes.map((change) => change.snapshotId));
      const from = query.from?.toISOString();
      const to = query.to?.toISOString();
      const items: PoolHistoryItem[] = [];
      for (let i = changes.length - 1; i >= 0; i--) {
        const change = changes[i]!;
        const observedAt = times.get(change.snapshotId);
        if (observedAt === undefined || (query.beforeSnapshotId !== undefined && change.snapshotId >= query.beforeSnapshotId)) continue;
        if ((to !== undefined && observedAt > to) || (from !== undefined && observedAt < from)) continue;
        if (items.length === query.limit) return { items: withStatus(key, items), more: true };
        items.push({ observedAt, ...change, status: null });
      }
      return { items: withStatus(key, items), more: false };
    },
  };
}
