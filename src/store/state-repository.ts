import { withClusterFields, withoutClusterFields, type ClusterObservation, type PoolObservation, type StoredPoolObservation } from '../domain/inventory.js';
import type { HistoryPoolInterval } from '../domain/pool-history.js';
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

  // The walk across snapshots (poolsAcross): a pool row carries its group key for the latest-image lookup.
  const poolColumns = `p.pool_key AS key, p.cluster_key AS clusterKey, p.data AS pool, since.finished_at AS imageSince,
    CASE WHEN p.image_family IS NULL THEN NULL ELSE p.subscription_id || '|' || p.location || '|' || p.image_family END AS groupKey`;
  const sinceJoin = 'LEFT JOIN snapshots since ON since.id = coalesce(p.image_since, p.valid_from)';
  const statements = {
    poolsValidAt: db.prepare(`SELECT ${poolColumns} FROM pool_states p ${sinceJoin} WHERE ${validAt('p', false)}`),
    clustersValidAt: db.prepare(`SELECT c.cluster_key AS key, c.data FROM cluster_states c WHERE ${validAt('c', false)}`),
    // Rows valid at @from and no longer at @to; rows valid at @to that were not yet at @from.
    poolsClosed: db.prepare('SELECT pool_key AS key FROM pool_states WHERE valid_to > @from AND valid_to <= @to AND valid_from <= @from'),
    poolsOpened: db.prepare(`SELECT ${poolColumns} FROM pool_states p ${sinceJoin} WHERE p.valid_from > @from AND p.valid_from <= @to AND (p.valid_to IS NULL OR p.valid_to > @to)`),
    clustersClosed: db.prepare('SELECT cluster_key AS key FROM cluster_states WHERE valid_to > @from AND valid_to <= @to AND valid_from <= @from'),
    clustersOpened: db.prepare('SELECT cluster_key AS key, data FROM cluster_states WHERE valid_from > @from AND valid_from <= @to AND (valid_to IS NULL OR valid_to > @to)'),
    poolIntervals: db.prepare(
      `SELECT valid_from AS validFrom, valid_to AS validTo, subscription_id AS subscriptionId, location, image_family AS imageFamily,
              node_image_version AS nodeImageVersion, json_extract(data, '$.kubernetesVersion') AS kubernetesVersion,
              json_extract(data, '$.nodeCount') AS nodeCount
       FROM pool_states WHERE pool_key = @key ORDER BY valid_from`,
    ),
    latestIntervals: db.prepare(
      `SELECT subscription_id || '|' || location || '|' || image_family AS groupKey, version, valid_from AS validFrom, valid_to AS validTo
       FROM latest_image_states
       WHERE subscription_id = @sub AND location = @location AND image_family = @family AND valid_from <= @last AND (valid_to IS NULL OR valid_to > @first)
       ORDER BY valid_from`,
    ),
    poolAt: db.prepare(
      `SELECT p.cluster_key AS clusterKey, p.data AS pool, since.finished_at AS imageSince FROM pool_states p ${sinceJoin}
       WHERE p.pool_key = @key AND ${validAt('p', false)}`,
    ),
    clusterAt: db.prepare(`SELECT c.data FROM cluster_states c WHERE c.cluster_key = @key AND ${validAt('c', false)}`),
    snapshotTimes: db.prepare(
      `SELECT id, finished_at AS finishedAt FROM snapshots WHERE id IN (SELECT value FROM json_each(@ids)) AND status IN ('succeeded', 'partial')`,
    ),
    latestValidAt: db.prepare(`SELECT subscription_id || '|' || location || '|' || image_family AS groupKey, version FROM latest_image_states l WHERE ${validAt('l', false)}`),
  };
  const intervalsValidAt = (snapshotId: number): IntervalChanges => ({
    closedPools: [],
    closedClusters: [],
    openedPools: statements.poolsValidAt.all({ s: snapshotId }) as PoolRow[],
    openedClusters: statements.clustersValidAt.all({ s: snapshotId }) as ClusterRow[],
  });
  const intervalsChangedBetween = (from: number, to: number): IntervalChanges => ({
    closedPools: (statements.poolsClosed.all({ from, to }) as { key: string }[]).map((row) => row.key),
    closedClusters: (statements.clustersClosed.all({ from, to }) as { key: string }[]).map((row) => row.key),
    openedPools: statements.poolsOpened.all({ from, to }) as PoolRow[],
    openedClusters: statements.clustersOpened.all({ from, to }) as ClusterRow[],
  });

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

    /**
     * All pools at each snapshot of an ascending list, in key order. The first snapshot is read whole; each next one
     * is the one before plus the intervals that opened or closed in between, so a walk over many days costs in
     * proportion to change, not to days × pools. The yielded array is valid until the walk moves on.
     */
    *poolsAcross(snapshotIds: readonly number[]): Generator<{ snapshotId: number; pools: readonly PoolState[] }> {
      // Per pool, its row's JSON until its state is first built, then only the state: 40,000 pools cost ~35 MB.
      const entries = new Map<string, WalkEntry>();
      const clusters = new Map<string, ClusterObservation>();
      let keys: string[] = [];
      let previous: number | null = null;
      for (const snapshotId of snapshotIds) {
        if (previous !== null && snapshotId < previous) throw new Error('poolsAcross: snapshot ids must ascend');
        if (previous !== snapshotId) {
          const changes = previous === null ? intervalsValidAt(snapshotId) : intervalsChangedBetween(previous, snapshotId);
          let keysChanged = previous === null;
          for (const key of changes.closedPools) keysChanged = entries.delete(key) || keysChanged;
          for (const key of changes.closedClusters) clusters.delete(key);
          for (const row of changes.openedPools) {
            keysChanged ||= !entries.has(row.key);
            entries.set(row.key, { clusterKey: row.clusterKey, groupKey: row.groupKey, imageSince: row.imageSince, json: row.pool, state: null });
          }
          for (const row of changes.openedClusters) clusters.set(row.key, JSON.parse(row.data) as ClusterObservation);
          if (keysChanged) keys = [...entries.keys()].sort(byCodeUnits);
        }
        const latest = new Map((statements.latestValidAt.all({ s: snapshotId }) as { groupKey: string; version: string }[]).map((row) => [row.groupKey, row.version]));
        const pools: PoolState[] = [];
        for (const key of keys) {
          const entry = entries.get(key)!;
          // Every pool row has its cluster's row in the same snapshot (they come from one Resource Graph row).
          const cluster = clusters.get(entry.clusterKey);
          if (cluster === undefined) continue;
          const latestNodeImageVersion = entry.groupKey === null ? null : (latest.get(entry.groupKey) ?? null);
          const built = entry.state;
          if (built === null || built.cluster !== cluster || built.latestNodeImageVersion !== latestNodeImageVersion) {
            const stored = entry.json !== null ? (JSON.parse(entry.json) as StoredPoolObservation) : withoutClusterFields(built!.pool);
            entry.state = { key, pool: withClusterFields(stored, cluster), latestNodeImageVersion, cluster, imageSince: entry.imageSince };
            entry.json = null;
          }
          pools.push(entry.state!);
        }
        previous = snapshotId;
        yield { snapshotId, pools };
      }
    },

    /**
     * Every stored interval of one pool (by its lower-case key), oldest first, with the image fields a history shows,
     * and the intervals of the latest image of each group the pool was in that overlap its life. Served by the
     * pool_states_key and latest_image_states_group indexes: the cost is this pool's own rows, not the fleet's.
     */
    poolIntervals(key: string): { pool: PoolInterval[]; latest: LatestInterval[] } {
      const pool = statements.poolIntervals.all({ key }) as PoolInterval[];
      if (pool.length === 0) return { pool, latest: [] };
      const first = pool[0]!.validFrom;
      const last = pool.some((row) => row.validTo === null) ? Number.MAX_SAFE_INTEGER : Math.max(...pool.map((row) => row.validTo!));
      const groups = new Map<string, PoolInterval>();
      for (const row of pool) if (row.imageFamily !== null) groups.set(`${row.subscriptionId}|${row.location}|${row.imageFamily}`, row);
      const latest = [...groups.values()].flatMap(
        (row) => statements.latestIntervals.all({ sub: row.subscriptionId, location: row.location, family: row.imageFamily, first, last }) as LatestInterval[],
      );
      return { pool, latest };
    },

    /**
     * One pool as snapshot S observed it, with its cluster then (null when it was not observed at S): what a
     * history entry's status is evaluated from. Served by the pool_states_key and cluster_states_key indexes.
     */
    poolAt(key: string, snapshotId: number): Omit<PoolState, 'latestNodeImageVersion'> | null {
      const row = statements.poolAt.get({ key, s: snapshotId }) as { clusterKey: string; pool: string; imageSince: string | null } | undefined;
      if (row === undefined) return null;
      const cluster = statements.clusterAt.get({ key: row.clusterKey, s: snapshotId }) as { data: string } | undefined;
      if (cluster === undefined) return null;
      const observation = JSON.parse(cluster.data) as ClusterObservation;
      return { key, pool: withClusterFields(JSON.parse(row.pool) as StoredPoolObservation, observation), cluster: observation, imageSince: row.imageSince };
    },

    /** Finish times of committed snapshots, by id. */
    snapshotTimes(ids: readonly number[]): Map<number, string> {
      const rows = statements.snapshotTimes.all({ ids: JSON.stringify(ids) }) as { id: number; finishedAt: string }[];
      return new Map(rows.map((row) => [row.id, row.finishedAt]));
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

/** One stored interval of a pool, as the history's domain logic reads it. */
export type PoolInterval = HistoryPoolInterval;

/** One interval of the latest image of a group (`subscription|location|family`). */
export interface LatestInterval {
  readonly groupKey: string;
  readonly version: string;
  readonly validFrom: number;
  readonly validTo: number | null;
}

interface PoolRow {
  key: string;
  clusterKey: string;
  groupKey: string | null;
  pool: string;
  imageSince: string | null;
}

interface ClusterRow {
  key: string;
  data: string;
}

interface WalkEntry {
  readonly clusterKey: string;
  readonly groupKey: string | null;
  readonly imageSince: string | null;
  json: string | null;
  state: PoolState | null;
}

interface IntervalChanges {
  closedPools: string[];
  closedClusters: string[];
  openedPools: PoolRow[];
  openedClusters: ClusterRow[];
}

/** SQLite's default (BINARY) collation order, which ORDER BY pool_key uses: by UTF-16 code units for these ASCII keys. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function params(snapshotId: number, filter: StateFilter) {
  return {
    s: snapshotId,
    sub: filter.subscriptionId?.toLowerCase() ?? null,
    cluster: filter.clusterId?.toLowerCase() ?? null,
    after: filter.afterKey ?? null,
    limit: filter.limit,
  };
}
