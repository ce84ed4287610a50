import { withClusterFields, type ClusterObservation, type PoolObservation, type StoredPoolObservation } from '../domain/inventory.js';
import type { SubscriptionResult } from '../domain/snapshot.js';
import type { Db } from './database.js';

export interface StateFilter {
  readonly subscriptionId?: string;
  readonly clusterId?: string;
  /** Keyset cursor: only rows whose key sorts after this one. */
  readonly afterKey?: string;
  readonly limit: number;
}

export interface PoolState {
  readonly key: string;
  readonly pool: PoolObservation;
  readonly latestNodeImageVersion: string | null;
  readonly cluster: ClusterObservation;
  /** When the pool was first observed on its current image (the finish of that snapshot). */
  readonly imageSince: string | null;
}

export interface ClusterState {
  readonly key: string;
  readonly cluster: ClusterObservation;
}

export interface SubscriptionObservation {
  readonly observedAt: string;
  readonly status: SubscriptionResult['status'];
}

export type StateRepository = ReturnType<typeof createStateRepository>;

/**
 * Reads what imagewarden observed as of a committed snapshot S: the rows whose interval contains S.
 * For the newest snapshot that is simply the open rows, which the partial indexes serve directly.
 */
export function createStateRepository(db: Db) {
  const newestCommitted = db.prepare(`SELECT max(id) AS id FROM snapshots WHERE status IN ('succeeded', 'partial')`);
  const validAt = (alias: string, isNewest: boolean) =>
    isNewest ? `${alias}.valid_to IS NULL` : `${alias}.valid_from <= @s AND (${alias}.valid_to IS NULL OR ${alias}.valid_to > @s)`;

  const isNewest = (snapshotId: number) => (newestCommitted.get() as { id: number | null }).id === snapshotId;

  return {
    /** The newest committed snapshot, whose state is the fleet as it is now. */
    newestSnapshotId: () => (newestCommitted.get() as { id: number | null }).id,

    /**
     * Pools at snapshot S in key order, each with its cluster as observed at S. Clusters come from a second query
     * and are parsed once each (`clusterCache` may carry them across chunks of one walk).
     */
    pools(snapshotId: number, filter: StateFilter, clusterCache = new Map<string, ClusterObservation>()): PoolState[] {
      const newest = isNewest(snapshotId);
      const rows = db
        .prepare(
          `SELECT p.pool_key AS key, p.cluster_key AS clusterKey, p.data AS pool, l.version AS latest, since.finished_at AS imageSince
           FROM pool_states p
           LEFT JOIN snapshots since ON since.id = coalesce(p.image_since, p.valid_from)
           LEFT JOIN latest_image_states l
             ON l.subscription_id = p.subscription_id AND l.location = p.location AND l.image_family = p.image_family
            AND ${validAt('l', newest)}
           WHERE ${validAt('p', newest)}
             ${filter.subscriptionId ? 'AND p.subscription_id = @sub' : ''}
             ${filter.clusterId ? "AND p.pool_key >= @cluster || '/agentpools/' AND p.pool_key < @cluster || '/agentpools0'" : ''}
             ${filter.afterKey ? 'AND p.pool_key > @after' : ''}
           ORDER BY p.pool_key LIMIT @limit`,
        )
        .all(params(snapshotId, filter)) as { key: string; clusterKey: string; pool: string; latest: string | null; imageSince: string | null }[];
      const missing = [...new Set(rows.map((row) => row.clusterKey))].filter((key) => !clusterCache.has(key));
      if (missing.length > 0) {
        const clusters = db
          .prepare(
            `SELECT c.cluster_key AS key, c.data FROM cluster_states c
             WHERE c.cluster_key IN (SELECT value FROM json_each(@keys)) AND ${validAt('c', newest)}`,
          )
          .all({ keys: JSON.stringify(missing), s: snapshotId }) as { key: string; data: string }[];
        for (const cluster of clusters) clusterCache.set(cluster.key, JSON.parse(cluster.data) as ClusterObservation);
      }
      // Every pool row has its cluster's row in the same snapshot (they come from one Resource Graph row).
      return rows.flatMap((row) => {
        const cluster = clusterCache.get(row.clusterKey);
        if (cluster === undefined) return [];
        return [
          {
            key: row.key,
            pool: withClusterFields(JSON.parse(row.pool) as StoredPoolObservation, cluster),
            latestNodeImageVersion: row.latest,
            cluster,
            imageSince: row.imageSince,
          },
        ];
      });
    },

    clusters(snapshotId: number, filter: StateFilter): ClusterState[] {
      const rows = db
        .prepare(
          `SELECT c.cluster_key AS key, c.data AS cluster FROM cluster_states c
           WHERE ${validAt('c', isNewest(snapshotId))}
             ${filter.subscriptionId ? 'AND c.subscription_id = @sub' : ''}
             ${filter.clusterId ? 'AND c.cluster_key = @cluster' : ''}
             ${filter.afterKey ? 'AND c.cluster_key > @after' : ''}
           ORDER BY c.cluster_key LIMIT @limit`,
        )
        .all(params(snapshotId, filter)) as { key: string; cluster: string }[];
      return rows.map((row) => ({ key: row.key, cluster: JSON.parse(row.cluster) as ClusterObservation }));
    },

    /** Subscriptions that have clusters on record right now (open intervals). */
    currentSubscriptions(): string[] {
      return (db.prepare('SELECT DISTINCT subscription_id AS id FROM cluster_states WHERE valid_to IS NULL').all() as { id: string }[]).map(
        (row) => row.id,
      );
    },

    /**
     * For each subscription, the latest fleet snapshot at or before S that reported on it, and how it went:
     * a pool's `observedAt`, and whether its subscription failed in the snapshot that counts.
     */
    subscriptionObservations(snapshotId: number, lookback = 1000): Map<string, SubscriptionObservation> {
      const rows = db
        .prepare(
          `SELECT finished_at AS finishedAt, subscriptions FROM snapshots
           WHERE id <= ? AND status IN ('succeeded', 'partial') AND scope = 'fleet' ORDER BY id DESC LIMIT ?`,
        )
        .all(snapshotId, lookback) as { finishedAt: string; subscriptions: string }[];
      const latest = new Map<string, SubscriptionObservation>();
      const lastSuccess = new Map<string, string>();
      for (const row of rows) {
        for (const result of JSON.parse(row.subscriptions) as SubscriptionResult[]) {
          const id = result.id.toLowerCase();
          if (!latest.has(id)) latest.set(id, { observedAt: row.finishedAt, status: result.status });
          if (result.status === 'succeeded' && !lastSuccess.has(id)) lastSuccess.set(id, row.finishedAt);
        }
      }
      // observedAt is when the subscription was last read successfully; status is how the latest attempt went.
      for (const [id, observation] of latest) {
        latest.set(id, { observedAt: lastSuccess.get(id) ?? observation.observedAt, status: observation.status });
      }
      return latest;
    },
  };
}

function params(snapshotId: number, filter: StateFilter) {
  return {
    s: snapshotId,
    sub: filter.subscriptionId?.toLowerCase() ?? null,
    cluster: filter.clusterId?.toLowerCase() ?? null,
    after: filter.afterKey ?? null,
    limit: filter.limit,
  };
}
