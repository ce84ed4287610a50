import { computeDrift, retimer, type Drift, type LatestImageHistory } from '../domain/drift.js';
import { exceptionInForce, type ExceptionRecord } from '../domain/exceptions.js';
import type { ClusterObservation, PoolObservation } from '../domain/inventory.js';
import { imageFamilyOf } from '../domain/node-image.js';
import { applyPolicy, type Policy, type PoolIdentity } from '../domain/policy.js';
import type { SubscriptionResult } from '../domain/snapshot.js';
import type { Db } from '../store/database.js';

interface SnapshotRow {
  id: number;
  finishedAt: string;
  scope: string;
  subscriptions: string;
}

interface LatestRow {
  key: string;
  version: string;
  validFrom: number;
  validTo: number | null;
}

export interface HistoryDeps {
  readonly db: Db;
  readonly policyAt: (at: string) => Policy;
  readonly exceptions: readonly ExceptionRecord[];
}

export type ObservationHistory = ReturnType<typeof evaluatorFor>;
type SnapshotHistory = ReturnType<typeof readSnapshotHistory>;

/**
 * Everything imagewarden observed up to snapshot `upTo`, indexed in memory, so a pool's drift can be evaluated as it
 * stood at any earlier snapshot: which image was latest for its group then, which versions had been seen as latest
 * by then, whether its subscription failed then — with the policy and exceptions in force at that moment.
 * What snapshots committed never changes, so the index for a snapshot is built once and kept (the last few).
 */
export function createObservationHistory(db: Db) {
  const cache = new Map<number, SnapshotHistory>();
  return (deps: Omit<HistoryDeps, 'db'>, upTo: number): ObservationHistory => {
    let history = cache.get(upTo);
    if (!history) {
      history = readSnapshotHistory(db, upTo);
      cache.set(upTo, history);
      if (cache.size > 4) cache.delete(cache.keys().next().value!);
    }
    return evaluatorFor(history, deps);
  };
}

function readSnapshotHistory(db: Db, upTo: number) {
  const snapshots = db
    .prepare(
      `SELECT id, finished_at AS finishedAt, scope, subscriptions FROM snapshots
       WHERE status IN ('succeeded', 'partial') AND id <= ? ORDER BY id`,
    )
    .all(upTo) as SnapshotRow[];
  const time = new Map(snapshots.map((s) => [s.id, s.finishedAt]));
  const ids = snapshots.map((s) => s.id);

  // Per subscription, the fleet snapshots that reported on it and how it went, in order.
  const subscriptionResults = new Map<string, { id: number; failed: boolean }[]>();
  for (const snapshot of snapshots) {
    if (snapshot.scope !== 'fleet') continue;
    for (const result of JSON.parse(snapshot.subscriptions) as SubscriptionResult[]) {
      const list = subscriptionResults.get(result.id.toLowerCase()) ?? [];
      list.push({ id: snapshot.id, failed: result.status === 'failed' });
      subscriptionResults.set(result.id.toLowerCase(), list);
    }
  }

  const latestRows = db
    .prepare(
      `SELECT subscription_id || '|' || location || '|' || image_family AS key, version, valid_from AS validFrom, valid_to AS validTo
       FROM latest_image_states WHERE valid_from <= ? ORDER BY valid_from`,
    )
    .all(upTo) as LatestRow[];
  const latestByGroup = new Map<string, LatestRow[]>();
  const seenInLocation = new Map<string, Map<string, string>>();
  const seenInGroup = new Map<string, Map<string, string>>();
  const remember = (index: Map<string, Map<string, string>>, key: string, version: string, at: string) => {
    const versions = index.get(key) ?? new Map<string, string>();
    if (!versions.has(version) || at < versions.get(version)!) versions.set(version, at);
    index.set(key, versions);
  };
  for (const row of latestRows) {
    latestByGroup.set(row.key, [...(latestByGroup.get(row.key) ?? []), row]);
    const firstSeen = time.get(row.validFrom);
    if (firstSeen === undefined) continue;
    remember(seenInGroup, row.key, row.version, firstSeen);
    remember(seenInLocation, row.key.slice(row.key.indexOf('|') + 1), row.version, firstSeen);
  }

  // Sorted first-seen times per key: how many sightings a moment has seen is then a binary search.
  const sightingTimes = new Map<string, string[]>();
  for (const index of [seenInGroup, seenInLocation]) {
    for (const [key, versions] of index) sightingTimes.set(key, [...versions.values()].sort());
  }
  const epochOf = (key: string, at: string): number => {
    const times = sightingTimes.get(key);
    if (times === undefined) return 0;
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (times[middle]! <= at) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  // Every sighting moment, sorted: the evaluation of any moment changes only when one of them passes.
  const sightings = [...new Set([...sightingTimes.values()].flat())].sort();
  const sightingAfter = (at: string): string | null => {
    let low = 0;
    let high = sightings.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sightings[middle]! <= at) low = middle + 1;
      else high = middle;
    }
    return sightings[low] ?? null;
  };
  return { ids, time, subscriptionResults, latestByGroup, seenInLocation, seenInGroup, epochOf, sightingAfter };
}

function evaluatorFor(snapshotHistory: SnapshotHistory, deps: Omit<HistoryDeps, 'db'>) {
  const memo = new Map<string, ReturnType<typeof retimer>>();
  const coverage = new Map<string, boolean>();
  const { ids, time, subscriptionResults, latestByGroup, seenInLocation, seenInGroup, epochOf, sightingAfter } = snapshotHistory;
  const empty = new Map<string, string>();
  const api = {
    /** Committed snapshot ids in order, and their finish times. */
    snapshotIds: ids,
    timeOf: (snapshotId: number) => time.get(snapshotId) ?? null,
    /** The first moment after `at` at which an image was first seen as latest (drift counts sightings up to `at`). */
    sightingAfter,
    /** The last committed snapshot before `snapshotId`. */
    previous(snapshotId: number): number | null {
      let low = 0;
      let high = ids.length - 1;
      let found: number | null = null;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (ids[middle]! < snapshotId) {
          found = ids[middle]!;
          low = middle + 1;
        } else high = middle - 1;
      }
      return found;
    },

    /** The pool's drift at `at`, as observed in snapshot `snapshotId` (the last one at or before `at`). */
    driftAt(pool: PoolObservation, cluster: ClusterObservation | null, imageSince: string | null, snapshotId: number, at: string): Drift {
      const subscription = pool.subscriptionId.toLowerCase();
      const family = imageFamilyOf(pool.nodeImageVersion);
      const group = family === null ? null : `${subscription}|${pool.location.toLowerCase()}|${family}`;
      const latest = group === null ? null : latestAt(latestByGroup.get(group), snapshotId);
      const history: LatestImageHistory =
        group === null
          ? { inLocation: empty, inSubscription: empty }
          : {
              inLocation: seenInLocation.get(group.slice(group.indexOf('|') + 1)) ?? empty,
              inSubscription: seenInGroup.get(group) ?? empty,
            };
      const identity = identityOf(pool, cluster?.tags ?? {});
      const policy = applyPolicy(deps.policyAt(at), identity);
      const coverageKey = `${subscription}|${snapshotId}`;
      let subscriptionFailed = coverage.get(coverageKey);
      if (subscriptionFailed === undefined) {
        subscriptionFailed = failedAt(subscriptionResults.get(subscription), snapshotId);
        coverage.set(coverageKey, subscriptionFailed);
      }
      const exceptionId = exceptionInForce(deps.exceptions, identity, at);
      // Pools that share image, group, latest image, sightings seen, rule, coverage and exception share their drift
      // but for the moment asked and the moment each came to run the image: compute once per such key, then move it
      // to `at` and apply each pool's own `imageSince`. (Sightings seen are counted, so the key holds across moments.)
      const seen = group === null ? '' : `${epochOf(group.slice(group.indexOf('|') + 1), at)}/${epochOf(group, at)}`;
      const key = `${pool.nodeImageVersion}|${group}|${latest}|${seen}|${policy.policyRule}|${policy.slaDays}|${policy.clock}|${subscriptionFailed}|${exceptionId}`;
      let shared: Drift;
      const known = memo.get(key);
      if (known === undefined) {
        shared = computeDrift({ at: new Date(at), pool, latestNodeImageVersion: latest, imageSince: null, history, policy, subscriptionFailed, exceptionId });
        memo.set(key, retimer(shared));
      } else {
        shared = known(new Date(at), subscriptionFailed);
      }
      const firstSeenBehindAt = shared.firstSeenBehindAt === null || imageSince === null || shared.firstSeenBehindAt >= imageSince ? shared.firstSeenBehindAt : imageSince;
      return firstSeenBehindAt === shared.firstSeenBehindAt ? shared : { ...shared, firstSeenBehindAt };
    },
  };
  return api;
}

function latestAt(rows: LatestRow[] | undefined, snapshotId: number): string | null {
  const row = rows?.find((r) => r.validFrom <= snapshotId && (r.validTo === null || r.validTo > snapshotId));
  return row?.version ?? null;
}

/** Whether the subscription failed in the last fleet snapshot at or before `snapshotId` that reported on it. */
function failedAt(results: { id: number; failed: boolean }[] | undefined, snapshotId: number): boolean {
  let failed = false;
  for (const result of results ?? []) {
    if (result.id > snapshotId) break;
    failed = result.failed;
  }
  return failed;
}

export function identityOf(pool: PoolObservation, clusterTags: Readonly<Record<string, string>>): PoolIdentity {
  return {
    subscriptionId: pool.subscriptionId,
    resourceGroup: pool.resourceGroup,
    clusterId: pool.clusterId,
    clusterName: pool.clusterName,
    poolName: pool.poolName,
    mode: pool.mode,
    clusterTags,
    poolTags: pool.tags,
  };
}
