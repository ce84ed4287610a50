import type { Snapshot, SnapshotScope, SnapshotTrigger, SnapshotWarning, SubscriptionResult } from '../domain/snapshot.js';
import { writeTransaction, type Db } from './database.js';
import { applyObservations, type ChangeCounts, type ChangeSet, type ObservedState } from './observation-writer.js';

interface SnapshotRow {
  id: number;
  status: Snapshot['status'];
  trigger: SnapshotTrigger;
  scope: SnapshotScope;
  requested_by: string;
  owner: string;
  started_at: string;
  finished_at: string | null;
  cluster_count: number | null;
  pool_count: number | null;
  subscriptions: string;
  warnings: string;
  error: string | null;
  arm_calls: number | null;
}

function toSnapshot(row: SnapshotRow): Snapshot {
  return {
    id: row.id,
    status: row.status,
    trigger: row.trigger,
    scope: row.scope,
    requestedBy: row.requested_by,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    clusterCount: row.cluster_count,
    poolCount: row.pool_count,
    subscriptions: JSON.parse(row.subscriptions) as SubscriptionResult[],
    warnings: JSON.parse(row.warnings) as SnapshotWarning[],
    error: row.error,
    armCalls: row.arm_calls,
  };
}

export interface StartSnapshot {
  readonly trigger: SnapshotTrigger;
  readonly scope: SnapshotScope;
  /** Lower-case cluster id of a cluster-scope snapshot. */
  readonly scopeCluster?: string;
  readonly requestedBy: string;
  readonly owner: string;
  readonly startedAt: string;
}

export interface SnapshotOutcome {
  readonly status: Exclude<Snapshot['status'], 'running'>;
  readonly finishedAt: string;
  readonly subscriptions: readonly SubscriptionResult[];
  readonly warnings: readonly SnapshotWarning[];
  readonly error: string | null;
  readonly armCalls: number;
  readonly clusterCount: number;
  readonly poolCount: number;
}

/** Records a finished snapshot as evidence, inside its commit transaction (null changes: it stored nothing). */
export type SnapshotEvidence = (snapshot: Snapshot, changes: ChangeSet | null) => void;

export type SnapshotRepository = ReturnType<typeof createSnapshotRepository>;

export function createSnapshotRepository(db: Db) {
  const byId = db.prepare('SELECT * FROM snapshots WHERE id = ?');
  const runningRow = db.prepare(`SELECT * FROM snapshots WHERE status = 'running'`);
  const insertRunning = db.prepare(
    `INSERT INTO snapshots (status, trigger, scope, scope_cluster, requested_by, owner, started_at) VALUES ('running', ?, ?, ?, ?, ?, ?)`,
  );
  const finish = db.prepare(
    `UPDATE snapshots SET status = @status, finished_at = @finishedAt, subscriptions = @subscriptions, warnings = @warnings,
       error = @error, arm_calls = @armCalls, cluster_count = @clusterCount, pool_count = @poolCount,
       opened_rows = @opened, closed_rows = @closed
     WHERE id = @id AND status = 'running'`,
  );

  const get = (id: number): Snapshot | null => {
    const row = byId.get(id) as SnapshotRow | undefined;
    return row ? toSnapshot(row) : null;
  };

  const record = (id: number, outcome: SnapshotOutcome, changes: ChangeCounts) => {
    const result = finish.run({
      id,
      status: outcome.status,
      finishedAt: outcome.finishedAt,
      subscriptions: JSON.stringify(outcome.subscriptions),
      warnings: JSON.stringify(outcome.warnings),
      error: outcome.error,
      armCalls: outcome.armCalls,
      clusterCount: outcome.clusterCount,
      poolCount: outcome.poolCount,
      opened: changes.opened,
      closed: changes.closed,
    });
    // Another process may have declared this snapshot interrupted meanwhile: its observations must not land.
    if (result.changes !== 1) throw new Error(`snapshot ${id} is no longer running; its result was discarded`);
  };

  return {
    get,

    /** Starts a snapshot unless one is already running (anywhere); returns the running one then. */
    start(input: StartSnapshot): { started: boolean; snapshot: Snapshot } {
      return writeTransaction(db, () => {
        const running = runningRow.get() as SnapshotRow | undefined;
        if (running) return { started: false, snapshot: toSnapshot(running) };
        const id = Number(insertRunning.run(input.trigger, input.scope, input.scopeCluster ?? null, input.requestedBy, input.owner, input.startedAt).lastInsertRowid);
        return { started: true, snapshot: get(id)! };
      });
    },

    running(): (Snapshot & { owner: string }) | null {
      const row = runningRow.get() as SnapshotRow | undefined;
      return row ? { ...toSnapshot(row), owner: row.owner } : null;
    },

    /** Commits a snapshot's observations and its outcome in one transaction: all of it lands, or none. */
    commit(id: number, outcome: SnapshotOutcome, state: ObservedState, evidence?: SnapshotEvidence): Snapshot {
      return writeTransaction(db, () => {
        const changes = applyObservations(db, id, state);
        record(id, outcome, changes);
        const snapshot = get(id)!;
        evidence?.(snapshot, changes);
        return snapshot;
      });
    },

    /** Records a snapshot that observed nothing it may store (failed, or interrupted). */
    fail(id: number, outcome: SnapshotOutcome, evidence?: SnapshotEvidence): Snapshot {
      return writeTransaction(db, () => {
        record(id, outcome, { opened: 0, closed: 0 });
        const snapshot = get(id)!;
        evidence?.(snapshot, null);
        return snapshot;
      });
    },

    list(options: { afterId: number | null; limit: number }): Snapshot[] {
      const rows = db
        .prepare(`SELECT * FROM snapshots WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`)
        .all(options.afterId, options.afterId, options.limit) as SnapshotRow[];
      return rows.map(toSnapshot);
    },

    /** The last snapshot that committed observations at or before `at` (ISO time). */
    latestCommittedAt(at: string): Snapshot | null {
      const row = db
        .prepare(
          `SELECT * FROM snapshots WHERE status IN ('succeeded', 'partial') AND finished_at <= ? ORDER BY id DESC LIMIT 1`,
        )
        .get(at) as SnapshotRow | undefined;
      return row ? toSnapshot(row) : null;
    },
  };
}
