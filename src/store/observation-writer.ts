import type { ClusterObservation, PoolObservation } from '../domain/inventory.js';
import { clusterKey, poolKey, withoutClusterFields } from '../domain/inventory.js';
import { imageFamilyOf } from '../domain/node-image.js';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.js';
import type { Db } from './database.js';

export interface LatestImageObservation {
  readonly subscriptionId: string;
  readonly location: string;
  readonly imageFamily: string;
  readonly version: string;
  readonly sourcePoolKey: string;
}

export interface ObservedState {
  /** Lower-case ids of the subscriptions read completely; only their state is replaced. */
  readonly subscriptions: ReadonlySet<string>;
  /**
   * A cluster-scope snapshot: only this cluster (lower-case id) and its pools are replaced, and latest images only
   * for the groups it observed — the rest of the fleet stays as the last snapshots saw it.
   */
  readonly clusterScope?: string;
  readonly clusters: readonly ClusterObservation[];
  readonly pools: readonly PoolObservation[];
  readonly latestImages: readonly LatestImageObservation[];
}

export interface ChangeCounts {
  readonly opened: number;
  readonly closed: number;
}

/** A row a snapshot opened or closed: `[table, row id, key, SHA-256 of its stored content]` (see rowContentSha256). */
export type ChangedRow = readonly [table: ObservationTable, id: number, key: string, contentSha256: string];

export interface ChangeSet extends ChangeCounts {
  readonly openedRows: ChangedRow[];
  readonly closedRows: ChangedRow[];
}

export type ObservationTable = 'cluster_states' | 'pool_states' | 'latest_image_states';

/** Each observation table with the SQL expression of its row key (what a change set and the state digest name). */
export const OBSERVATION_TABLES: readonly { table: ObservationTable; key: string }[] = [
  { table: 'cluster_states', key: 'cluster_key' },
  { table: 'pool_states', key: 'pool_key' },
  { table: 'latest_image_states', key: `subscription_id || '|' || location || '|' || image_family` },
];
const keyColumnOf = (table: ObservationTable) => OBSERVATION_TABLES.find((t) => t.table === table)!.key;

interface Keyed {
  readonly key: string;
  readonly subscriptionId: string;
  readonly hash: string;
}

/**
 * Records one snapshot's observations as intervals: unchanged rows are left alone, changed rows are closed
 * and reopened with the new content, rows no longer observed in a subscription that was read completely are
 * closed. Must run inside the snapshot's write transaction.
 */
export function applyObservations(db: Db, snapshotId: number, state: ObservedState): ChangeSet {
  const inScope = (subscriptionId: string) => state.subscriptions.has(subscriptionId.toLowerCase());
  const observedLatest = new Set(state.latestImages.map((latest) => describeLatest(latest).key));
  // Which open rows this snapshot may replace (and close when unobserved).
  const replaces = (table: ObservationTable, row: { key: string; sub: string; cluster: string | null }) => {
    if (state.clusterScope === undefined) return inScope(row.sub);
    if (table === 'latest_image_states') return observedLatest.has(row.key);
    return (table === 'cluster_states' ? row.key : row.cluster) === state.clusterScope;
  };
  const openedRows: ChangedRow[] = [];
  const closedRows: ChangedRow[] = [];

  const sync = <T>(
    table: ObservationTable,
    observed: readonly T[],
    describe: (item: T) => Keyed,
    insert: (item: T, keyed: Keyed, replaced: number | null) => { id: number; contentSha256: string },
  ) => {
    const current = new Map<string, { id: number; hash: string }>();
    const clusterColumn = table === 'pool_states' ? 'cluster_key' : 'NULL';
    const rows = db
      .prepare(`SELECT id, ${keyColumnOf(table)} AS key, subscription_id AS sub, ${clusterColumn} AS cluster, ${hashColumn(table)} AS hash FROM ${table} WHERE valid_to IS NULL`)
      .all() as { id: number; key: string; sub: string; cluster: string | null; hash: string }[];
    for (const row of rows) if (replaces(table, row)) current.set(row.key, { id: row.id, hash: row.hash });
    const close = db.prepare(`UPDATE ${table} SET valid_to = ? WHERE id = ?`);
    for (const item of observed) {
      const keyed = describe(item);
      if (!inScope(keyed.subscriptionId)) continue;
      const existing = current.get(keyed.key);
      current.delete(keyed.key);
      if (existing?.hash === keyed.hash) continue;
      if (existing) {
        close.run(snapshotId, existing.id);
        closedRows.push([table, existing.id, keyed.key, rowContentSha256(db, table, existing.id)]);
      }
      const inserted = insert(item, keyed, existing?.id ?? null);
      openedRows.push([table, inserted.id, keyed.key, inserted.contentSha256]);
    }
    for (const [key, gone] of current) {
      close.run(snapshotId, gone.id);
      closedRows.push([table, gone.id, key, rowContentSha256(db, table, gone.id)]);
    }
  };

  const insertCluster = db.prepare(
    `INSERT INTO cluster_states (cluster_key, subscription_id, valid_from, content_hash, data) VALUES (?, ?, ?, ?, ?)`,
  );
  sync('cluster_states', state.clusters, describeCluster, (cluster, keyed) => {
    const data = canonicalJson(cluster);
    const id = Number(insertCluster.run(keyed.key, keyed.subscriptionId, snapshotId, keyed.hash, data).lastInsertRowid);
    return { id, contentSha256: sha256Hex(data) };
  });

  const insertPool = db.prepare(
    `INSERT INTO pool_states (pool_key, cluster_key, subscription_id, location, image_family, valid_from, content_hash, data, image_since, node_image_version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // A pool whose image did not change keeps the moment it was first seen on that image.
  const previousImage = db.prepare(
    `SELECT node_image_version AS image, coalesce(image_since, valid_from) AS since FROM pool_states WHERE id = ?`,
  );
  sync('pool_states', state.pools, describePool, (pool, keyed, replaced) => {
    const previous = replaced === null ? undefined : (previousImage.get(replaced) as { image: string | null; since: number });
    const imageSince = previous !== undefined && previous.image === pool.nodeImageVersion ? previous.since : snapshotId;
    const data = canonicalJson(withoutClusterFields(pool));
    const result = insertPool.run(
      keyed.key,
      clusterKey(pool.clusterId),
      keyed.subscriptionId,
      pool.location.toLowerCase(),
      imageFamilyOf(pool.nodeImageVersion),
      snapshotId,
      keyed.hash,
      data,
      imageSince,
      pool.nodeImageVersion,
    );
    return { id: Number(result.lastInsertRowid), contentSha256: sha256Hex(data) };
  });

  const insertLatest = db.prepare(
    `INSERT INTO latest_image_states (subscription_id, location, image_family, version, source_pool_key, valid_from)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  sync('latest_image_states', state.latestImages, describeLatest, (latest) => {
    const row = {
      subscriptionId: latest.subscriptionId.toLowerCase(),
      location: latest.location.toLowerCase(),
      imageFamily: latest.imageFamily,
      version: latest.version,
      sourcePoolKey: latest.sourcePoolKey,
    };
    const result = insertLatest.run(row.subscriptionId, row.location, row.imageFamily, row.version, row.sourcePoolKey, snapshotId);
    return { id: Number(result.lastInsertRowid), contentSha256: latestContentSha256(row) };
  });
  return { opened: openedRows.length, closed: closedRows.length, openedRows, closedRows };
}

/**
 * The content a ledger change set names for a stored observation row: SHA-256 of its stored JSON, or for the
 * latest-image rows (plain columns) of the canonical JSON of those columns. The same function verifies rows later.
 */
export function rowContentSha256(db: Db, table: ObservationTable, id: number): string {
  if (table === 'latest_image_states') {
    const row = db
      .prepare(
        'SELECT subscription_id AS subscriptionId, location, image_family AS imageFamily, version, source_pool_key AS sourcePoolKey FROM latest_image_states WHERE id = ?',
      )
      .get(id) as Parameters<typeof latestContentSha256>[0];
    return latestContentSha256(row);
  }
  const row = db.prepare(`SELECT data FROM ${table} WHERE id = ?`).get(id) as { data: string };
  return sha256Hex(row.data);
}

function latestContentSha256(row: { subscriptionId: string; location: string; imageFamily: string; version: string; sourcePoolKey: string }): string {
  return sha256Hex(canonicalJson(row));
}

/** latest_image_states has no stored hash: the version is the content (the source pool may rotate freely). */
function hashColumn(table: string): string {
  return table === 'latest_image_states' ? 'version' : 'content_hash';
}

function describeCluster(cluster: ClusterObservation): Keyed {
  return { key: clusterKey(cluster.id), subscriptionId: cluster.subscriptionId.toLowerCase(), hash: sha256Hex(canonicalJson(cluster)) };
}

function describePool(pool: PoolObservation): Keyed {
  return {
    key: poolKey(pool.clusterId, pool.poolName),
    subscriptionId: pool.subscriptionId.toLowerCase(),
    hash: sha256Hex(canonicalJson(pool)),
  };
}

function describeLatest(latest: LatestImageObservation): Keyed {
  return {
    key: `${latest.subscriptionId.toLowerCase()}|${latest.location.toLowerCase()}|${latest.imageFamily}`,
    subscriptionId: latest.subscriptionId.toLowerCase(),
    hash: latest.version,
  };
}
