/** The image fields a pool's history follows; an entry is listed where one of them changed. */
export const HISTORY_FIELDS = ['nodeImageVersion', 'latestNodeImageVersion', 'kubernetesVersion', 'nodeCount'] as const;
export type HistoryField = (typeof HISTORY_FIELDS)[number];

/** A stored interval of the pool: observed from snapshot `validFrom` until `validTo` (exclusive; null while open). */
export interface HistoryPoolInterval {
  readonly validFrom: number;
  readonly validTo: number | null;
  readonly subscriptionId: string;
  readonly location: string;
  readonly imageFamily: string | null;
  readonly nodeImageVersion: string | null;
  readonly kubernetesVersion: string | null;
  readonly nodeCount: number | null;
}

/** An interval of the latest image of a group, keyed `subscription|location|family` as the store keys it. */
export interface HistoryLatestInterval {
  readonly groupKey: string;
  readonly version: string;
  readonly validFrom: number;
  readonly validTo: number | null;
}

export interface PoolHistoryChange {
  readonly snapshotId: number;
  /** `appeared`: first observed (or observed again after it was gone); `deleted`: no longer observed from then. */
  readonly change: 'appeared' | 'changed' | 'deleted';
  /** The fields that differ from the entry before (every field for `appeared` and `deleted`). */
  readonly changedFields: HistoryField[];
  readonly nodeImageVersion: string | null;
  readonly latestNodeImageVersion: string | null;
  readonly kubernetesVersion: string | null;
  readonly nodeCount: number | null;
  readonly imageFamily: string | null;
}

type State = Pick<PoolHistoryChange, HistoryField | 'imageFamily'>;

const contains = (interval: { validFrom: number; validTo: number | null }, snapshotId: number) =>
  interval.validFrom <= snapshotId && (interval.validTo === null || interval.validTo > snapshotId);

/**
 * A pool's image history from its stored intervals, oldest first: one entry per snapshot at which one of
 * HISTORY_FIELDS changed (its own row changed, or its group's latest image did), when it appeared and when it went.
 * Pure: pool rows change for other fields too (tags, power state), and those moments are left out.
 */
export function poolHistoryChanges(pool: readonly HistoryPoolInterval[], latest: readonly HistoryLatestInterval[]): PoolHistoryChange[] {
  const moments = new Set<number>();
  for (const row of pool) {
    moments.add(row.validFrom);
    if (row.validTo !== null) moments.add(row.validTo);
  }
  for (const row of latest) {
    moments.add(row.validFrom);
    if (row.validTo !== null) moments.add(row.validTo);
  }
  const changes: PoolHistoryChange[] = [];
  let previous: State | null = null;
  // Moments ascend and a pool's intervals never overlap (sorted by validFrom): one pass over both.
  let next = 0;
  for (const snapshotId of [...moments].sort((a, b) => a - b)) {
    while (next < pool.length && pool[next]!.validFrom <= snapshotId) next++;
    const candidate = pool[next - 1];
    const row = candidate !== undefined && contains(candidate, snapshotId) ? candidate : undefined;
    if (row === undefined) {
      if (previous !== null) changes.push({ snapshotId, change: 'deleted', changedFields: [...HISTORY_FIELDS], ...nothing });
      previous = null;
      continue;
    }
    const group = row.imageFamily === null ? null : `${row.subscriptionId}|${row.location}|${row.imageFamily}`;
    const state: State = {
      nodeImageVersion: row.nodeImageVersion,
      latestNodeImageVersion: group === null ? null : (latest.find((l) => l.groupKey === group && contains(l, snapshotId))?.version ?? null),
      kubernetesVersion: row.kubernetesVersion,
      nodeCount: row.nodeCount,
      imageFamily: row.imageFamily,
    };
    if (previous === null) {
      changes.push({ snapshotId, change: 'appeared', changedFields: [...HISTORY_FIELDS], ...state });
    } else {
      const before: State = previous;
      const changedFields = HISTORY_FIELDS.filter((field) => before[field] !== state[field]);
      if (changedFields.length > 0) changes.push({ snapshotId, change: 'changed', changedFields, ...state });
    }
    previous = state;
  }
  return changes;
}

const nothing: State = { nodeImageVersion: null, latestNodeImageVersion: null, kubernetesVersion: null, nodeCount: null, imageFamily: null };
