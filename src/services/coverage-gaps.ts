import { CronExpressionParser } from 'cron-parser';
import type { SubscriptionResult } from '../domain/snapshot.js';
import type { Db } from '../store/database.js';

export interface CoverageGap {
  readonly key: string;
  readonly subscriptionId: string | null;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly detail: Record<string, unknown>;
}

interface FleetSnapshot {
  id: number;
  status: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  subscriptions: string;
}

/**
 * Coverage gaps (CONTRACT.md `coverage_gap`), from the snapshot record alone:
 * - a required subscription that could not be read: one gap per run of consecutive fleet snapshots that failed it,
 *   closed by the next fleet snapshot that read it;
 * - missed scheduled fleet snapshots: every scheduled time (IMAGEWARDEN_SNAPSHOT_CRON, UTC) from the first fleet
 *   snapshot on at which no fleet snapshot started and committed before the next scheduled time; consecutive misses
 *   form one gap, closed by the next fleet snapshot that committed.
 */
export function coverageGaps(db: Db, options: { upTo: string; schedule: string | null }): CoverageGap[] {
  const snapshots = db
    .prepare(
      `SELECT id, status, trigger, started_at AS startedAt, finished_at AS finishedAt, subscriptions FROM snapshots
       WHERE scope = 'fleet' AND status <> 'running' AND started_at <= ? ORDER BY id`,
    )
    .all(options.upTo) as FleetSnapshot[];
  return [...unreadableSubscriptions(snapshots), ...missedSchedules(snapshots, options)];
}

function unreadableSubscriptions(snapshots: readonly FleetSnapshot[]): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  const open = new Map<string, { from: FleetSnapshot; error: string | undefined; failures: number }>();
  for (const snapshot of snapshots) {
    if (snapshot.finishedAt === null) continue;
    for (const result of JSON.parse(snapshot.subscriptions) as SubscriptionResult[]) {
      const id = result.id.toLowerCase();
      const gap = open.get(id);
      if (result.status === 'failed') {
        if (gap) gap.failures++;
        else open.set(id, { from: snapshot, error: result.error, failures: 1 });
      } else if (gap) {
        gaps.push(subscriptionGap(id, gap, snapshot.finishedAt));
        open.delete(id);
      }
    }
  }
  for (const [id, gap] of open) gaps.push(subscriptionGap(id, gap, null));
  return gaps;
}

function subscriptionGap(id: string, gap: { from: FleetSnapshot; error: string | undefined; failures: number }, closedAt: string | null): CoverageGap {
  return {
    key: `subscription|${id}|${gap.from.id}`,
    subscriptionId: id,
    openedAt: gap.from.finishedAt!,
    closedAt,
    detail: { reason: 'subscription_unreadable', firstSnapshotId: gap.from.id, failedSnapshots: gap.failures, error: gap.error ?? null },
  };
}

function missedSchedules(snapshots: readonly FleetSnapshot[], options: { upTo: string; schedule: string | null }): CoverageGap[] {
  const committed = snapshots.filter((s) => s.status === 'succeeded' || s.status === 'partial');
  if (options.schedule === null || committed.length === 0) return [];
  const gaps: CoverageGap[] = [];
  const times = CronExpressionParser.parse(options.schedule, { currentDate: new Date(committed[0]!.startedAt), tz: 'UTC' });
  let index = 0;
  let missed: { from: string; count: number } | null = null;
  for (let fire = times.next().toDate().toISOString(); fire <= options.upTo; ) {
    const next = times.next().toDate().toISOString();
    // A scheduled time is covered by a fleet snapshot that started in [fire, next) and committed.
    while (index < committed.length && committed[index]!.startedAt < fire) index++;
    const covered = index < committed.length && committed[index]!.startedAt < next;
    if (covered && missed) {
      gaps.push(scheduleGap(missed, committed[index]!.finishedAt!, options.schedule));
      missed = null;
    } else if (!covered && next <= options.upTo) {
      if (missed) missed.count++;
      else missed = { from: fire, count: 1 };
    }
    fire = next;
  }
  if (missed) gaps.push(scheduleGap(missed, null, options.schedule));
  return gaps;
}

function scheduleGap(missed: { from: string; count: number }, closedAt: string | null, schedule: string): CoverageGap {
  return {
    key: `schedule|${missed.from}`,
    subscriptionId: null,
    openedAt: missed.from,
    closedAt,
    detail: { reason: 'missed_scheduled_snapshot', schedule, missedRuns: missed.count },
  };
}

/**
 * Collection coverage of a window: how many scheduled fleet snapshots fell in it, how many fleet snapshots ran, and
 * how they ended. A scheduled time counts as run when a fleet snapshot started before the next scheduled time.
 */
export function snapshotCoverage(db: Db, window: { from: string; to: string; schedule: string | null }) {
  const rows = db
    .prepare(`SELECT status, started_at AS startedAt FROM snapshots WHERE scope = 'fleet' AND status <> 'running' AND started_at >= ? AND started_at <= ? ORDER BY id`)
    .all(window.from, window.to) as { status: string; startedAt: string }[];
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  let scheduled = 0;
  let covered = 0;
  if (window.schedule !== null) {
    const times = CronExpressionParser.parse(window.schedule, { currentDate: new Date(Date.parse(window.from) - 1), tz: 'UTC' });
    let index = 0;
    for (let fire = times.next().toDate().toISOString(); fire <= window.to; ) {
      const next = times.next().toDate().toISOString();
      scheduled++;
      while (index < rows.length && rows[index]!.startedAt < fire) index++;
      if (index < rows.length && rows[index]!.startedAt < next) covered++;
      fire = next;
    }
  }
  return { scheduled, ran: covered, succeeded: count('succeeded'), partial: count('partial'), failed: count('failed') };
}
