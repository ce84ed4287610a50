export const SNAPSHOT_STATUSES = ['running', 'succeeded', 'partial', 'failed'] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];
export const SNAPSHOT_TRIGGERS = ['schedule', 'api', 'cli', 'upgrade'] as const;
export type SnapshotTrigger = (typeof SNAPSHOT_TRIGGERS)[number];
export type SnapshotScope = 'fleet' | 'cluster';

export interface SubscriptionResult {
  readonly id: string;
  readonly status: 'succeeded' | 'failed';
  readonly error?: string;
}

export interface SnapshotWarning {
  readonly code: string;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export interface Snapshot {
  readonly id: number;
  readonly status: SnapshotStatus;
  readonly trigger: SnapshotTrigger;
  readonly scope: SnapshotScope;
  readonly requestedBy: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly clusterCount: number | null;
  readonly poolCount: number | null;
  readonly subscriptions: readonly SubscriptionResult[];
  readonly warnings: readonly SnapshotWarning[];
  readonly error: string | null;
  readonly armCalls: number | null;
}

/**
 * A snapshot's outcome from its subscriptions' outcomes (CONTRACT.md): every subscription read → succeeded;
 * some failed → partial; all failed → failed. With nothing to read at all, the snapshot succeeded (and says so
 * in a warning): an empty observation is still an observation.
 */
export function snapshotStatusOf(subscriptions: readonly SubscriptionResult[]): Exclude<SnapshotStatus, 'running'> {
  const failed = subscriptions.filter((s) => s.status === 'failed').length;
  if (failed === 0) return 'succeeded';
  return failed === subscriptions.length ? 'failed' : 'partial';
}
