import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { readSigningKey, signingKeyPath } from '../../src/evidence/signing-key.js';
import type { VerifyResult } from '../../src/evidence/verify-ledger.js';
import { createEvidenceService } from '../../src/services/evidence-service.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createEvidenceRepository } from '../../src/store/evidence-repository.js';

/** What a crashed (or running) data dir holds, read straight from SQLite through a read-only connection. */
export interface StoreView {
  readonly integrity: string;
  readonly foreignKeyViolations: unknown[];
  readonly snapshots: SnapshotRow[];
  /** Every ledger entry as its full row, serialized: earlier entries must stay byte-identical. */
  readonly entries: { seq: number; kind: string; subject: string | null; row: string }[];
  readonly checkpoints: { id: number; size: number; rootHash: string }[];
  readonly runs: RunRow[];
  readonly reports: { id: string; status: string }[];
  /** Half-written or inconsistent state, described (empty when the store is whole). */
  readonly problems: string[];
}

export interface SnapshotRow {
  id: number;
  status: string;
  trigger: string;
  scope: string;
  owner: string;
  finishedAt: string | null;
  poolCount: number | null;
  clusterCount: number | null;
  error: string | null;
}

export interface RunRow {
  id: string;
  clusterId: string;
  status: string;
  owner: string | null;
  pools: { poolName: string; status: string; pollerState: string | null; operationId: string | null }[];
  /** Per pool, the last submission step the ledger recorded: `submitting` (write-ahead), `submitted`, `adopted`. */
  submission: Record<string, string>;
}

const OBSERVATIONS = ['cluster_states', 'pool_states', 'latest_image_states'] as const;
const TERMINAL_RUN_EVENT: Record<string, string> = { succeeded: 'completed', failed: 'failed', aborted: 'aborted', blocked: 'blocked', expired: 'expired' };

export function inspectStore(dataDir: string): StoreView {
  const db = openDatabase(join(dataDir, 'imagewarden.db'), { readonly: true });
  try {
    // One read transaction: every query below sees the same committed state.
    db.prepare('BEGIN').run();
    const view = read(db, dataDir);
    db.prepare('COMMIT').run();
    return view;
  } finally {
    db.close();
  }
}

function read(db: Db, dataDir: string): StoreView {
  const problems: string[] = [];
  const integrity = String(db.pragma('integrity_check', { simple: true }));
  const foreignKeyViolations = db.pragma('foreign_key_check') as unknown[];
  const snapshots = db
    .prepare(
      `SELECT id, status, trigger, scope, owner, finished_at AS finishedAt, pool_count AS poolCount, cluster_count AS clusterCount, error,
              opened_rows AS openedRows, closed_rows AS closedRows, state_digest AS stateDigest FROM snapshots ORDER BY id`,
    )
    .all() as (SnapshotRow & { openedRows: number | null; closedRows: number | null; stateDigest: string | null })[];
  const entries = (db.prepare('SELECT * FROM evidence_entries ORDER BY seq').all() as { seq: number; kind: string; subject: string | null; prev_hash: string; entry_hash: string; body: string }[]).map(
    (row) => ({ seq: row.seq, kind: row.kind, subject: row.subject, row: JSON.stringify(row), prevHash: row.prev_hash, entryHash: row.entry_hash, body: row.body }),
  );
  const checkpoints = db.prepare('SELECT id, size, root_hash AS rootHash FROM evidence_checkpoints ORDER BY id').all() as StoreView['checkpoints'];

  // The ledger: contiguous and chained (`imagewarden verify` checks the hashes themselves).
  entries.forEach((entry, index) => {
    if (entry.seq !== index + 1) problems.push(`ledger entry ${entry.seq} at position ${index + 1}`);
    if (index > 0 && entry.prevHash !== entries[index - 1]!.entryHash) problems.push(`ledger entry ${entry.seq} does not chain to ${entries[index - 1]!.seq}`);
  });
  let lastSize = 0;
  for (const checkpoint of checkpoints) {
    if (checkpoint.size > entries.length) problems.push(`checkpoint ${checkpoint.id} covers ${checkpoint.size} entries; the ledger holds ${entries.length}`);
    if (checkpoint.size < lastSize) problems.push(`checkpoint ${checkpoint.id} shrinks the ledger (${lastSize} → ${checkpoint.size})`);
    lastSize = checkpoint.size;
  }
  const entriesOf = (kind: string, subject: string) => entries.filter((e) => e.kind === kind && e.subject === subject);

  // Snapshots: observation rows only from committed snapshots, each outcome recorded once, counts that add up.
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const running = snapshots.filter((s) => s.status === 'running');
  if (running.length > 1) problems.push(`${running.length} snapshots running at once`);
  for (const table of OBSERVATIONS) {
    for (const column of ['valid_from', 'valid_to'] as const) {
      const rows = db.prepare(`SELECT ${column} AS snapshot, count(*) AS n FROM ${table} WHERE ${column} IS NOT NULL GROUP BY ${column}`).all() as { snapshot: number; n: number }[];
      for (const { snapshot, n } of rows) {
        const status = byId.get(snapshot)?.status;
        if (status !== 'succeeded' && status !== 'partial') problems.push(`${n} ${table} rows with ${column} = snapshot ${snapshot}, which is ${status ?? 'missing'}`);
      }
    }
  }
  for (const snapshot of snapshots) {
    const recorded = entriesOf('snapshot_committed', `snapshot:${snapshot.id}`);
    if (snapshot.status === 'running') {
      if (recorded.length > 0) problems.push(`snapshot ${snapshot.id} is running but the ledger recorded its outcome`);
      if (snapshot.finishedAt !== null) problems.push(`snapshot ${snapshot.id} is running with a finish time`);
      continue;
    }
    if (recorded.length !== 1) {
      problems.push(`snapshot ${snapshot.id} (${snapshot.status}) has ${recorded.length} snapshot_committed entries`);
      continue;
    }
    const body = JSON.parse(recorded[0]!.body) as { snapshot: { status: string; poolCount: number | null }; stateDigest: string; opened: unknown[]; closed: unknown[] };
    if (body.snapshot.status !== snapshot.status || body.snapshot.poolCount !== snapshot.poolCount) {
      problems.push(`snapshot ${snapshot.id} is ${snapshot.status}/${snapshot.poolCount} pools; its entry says ${body.snapshot.status}/${body.snapshot.poolCount}`);
    }
    if (snapshot.status === 'succeeded' || snapshot.status === 'partial') {
      if (snapshot.stateDigest !== body.stateDigest) problems.push(`snapshot ${snapshot.id} state digest differs from its entry`);
      const opened = OBSERVATIONS.reduce((n, t) => n + (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE valid_from = ?`).get(snapshot.id) as { n: number }).n, 0);
      const closed = OBSERVATIONS.reduce((n, t) => n + (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE valid_to = ?`).get(snapshot.id) as { n: number }).n, 0);
      if (opened !== snapshot.openedRows || opened !== body.opened.length) problems.push(`snapshot ${snapshot.id} opened ${opened} rows; recorded ${snapshot.openedRows} / ${body.opened.length}`);
      if (closed !== snapshot.closedRows || closed !== body.closed.length) problems.push(`snapshot ${snapshot.id} closed ${closed} rows; recorded ${snapshot.closedRows} / ${body.closed.length}`);
    }
  }

  // Upgrade runs: the working state never runs ahead of (or behind) the evidence of each step.
  const runs = (db.prepare('SELECT id, cluster_id AS clusterId, status, owner FROM upgrade_runs ORDER BY created_at').all() as Omit<RunRow, 'pools' | 'submission'>[]).map((run) => {
    const submission: Record<string, string> = {};
    for (const e of entries) {
      if (e.subject !== run.id || (e.kind !== 'upgrade_submitted' && e.kind !== 'upgrade_progress')) continue;
      const body = JSON.parse(e.body) as { poolName?: string; submitting?: boolean; adopted?: boolean };
      if (body.poolName === undefined) continue;
      if (e.kind === 'upgrade_submitted') submission[body.poolName] = 'submitted';
      else if (body.adopted === true) submission[body.poolName] = 'adopted';
      else if (body.submitting === true) submission[body.poolName] = 'submitting';
    }
    return {
      ...run,
      pools: db.prepare('SELECT pool_name AS poolName, status, poller_state AS pollerState, operation_id AS operationId FROM upgrade_pools WHERE run_id = ? ORDER BY position').all(run.id) as RunRow['pools'],
      submission,
    };
  });
  const runIds = new Set(runs.map((r) => r.id));
  for (const entry of entries) {
    if (entry.kind.startsWith('upgrade_') && entry.subject !== null && !runIds.has(entry.subject)) problems.push(`ledger entry ${entry.seq} (${entry.kind}) names run ${entry.subject}, which is not stored`);
  }
  const keyed = new Set((db.prepare('SELECT response FROM idempotency_keys').all() as { response: string }[]).map((r) => (JSON.parse(r.response) as { id?: string }).id));
  for (const run of runs) {
    const events = entries.filter((e) => e.subject === run.id && e.kind.startsWith('upgrade_'));
    const bodies = events.map((e) => ({ kind: e.kind.slice('upgrade_'.length), body: JSON.parse(e.body) as Record<string, unknown> }));
    const has = (kind: string, poolName?: string) => bodies.some((e) => e.kind === kind && (poolName === undefined || e.body.poolName === poolName));
    if (bodies.filter((e) => e.kind === 'requested').length !== 1) problems.push(`run ${run.id} has ${bodies.filter((e) => e.kind === 'requested').length} requested entries`);
    if (!keyed.has(run.id)) problems.push(`run ${run.id} has no idempotency record`);
    if (run.pools.length === 0) problems.push(`run ${run.id} has no pools`);
    const terminal = TERMINAL_RUN_EVENT[run.status];
    if (terminal !== undefined && !has(terminal)) problems.push(`run ${run.id} is ${run.status} without an ${terminal} entry`);
    if (terminal === undefined && Object.values(TERMINAL_RUN_EVENT).some((kind) => has(kind))) problems.push(`run ${run.id} is ${run.status} but the ledger recorded its end`);
    if (run.status === 'running' && !bodies.some((e) => e.kind === 'progress' && e.body.status === 'running')) problems.push(`run ${run.id} is running without its start recorded`);
    for (const pool of run.pools) {
      // Running: submitted, adopted, or about to be submitted (the write-ahead `submitting` progress entry).
      const submitted = has('submitted', pool.poolName) || bodies.some((e) => e.kind === 'progress' && e.body.poolName === pool.poolName && (e.body.adopted === true || e.body.submitting === true));
      if ((pool.pollerState !== null || pool.operationId !== null) && !has('submitted', pool.poolName)) problems.push(`run ${run.id} pool ${pool.poolName} holds a poller without a submitted entry`);
      if (pool.status === 'running' && !submitted) problems.push(`run ${run.id} pool ${pool.poolName} is running without its submission recorded`);
      if ((pool.status === 'succeeded' || pool.status === 'skipped') && !has('pool_succeeded', pool.poolName)) problems.push(`run ${run.id} pool ${pool.poolName} is ${pool.status} without a pool_succeeded entry`);
      if ((pool.status === 'failed' || pool.status === 'aborted') && !has('pool_failed', pool.poolName)) problems.push(`run ${run.id} pool ${pool.poolName} is ${pool.status} without a pool_failed entry`);
      if (pool.status === 'pending' && (has('pool_succeeded', pool.poolName) || has('pool_failed', pool.poolName))) problems.push(`run ${run.id} pool ${pool.poolName} is pending but the ledger recorded its end`);
    }
  }

  // Reports: a ready report's files are all there, whole; a running one has published nothing.
  const reports = (db.prepare('SELECT id, status, artifacts FROM reports').all() as { id: string; status: string; artifacts: string }[]).map((report) => {
    const dir = join(dataDir, 'reports', report.id);
    if (report.status === 'ready') {
      for (const artifact of JSON.parse(report.artifacts) as { fileName: string; bytes: number }[]) {
        const file = join(dir, artifact.fileName);
        if (!existsSync(file)) problems.push(`report ${report.id} names ${artifact.fileName}, which does not exist`);
        else if (statSync(file).size !== artifact.bytes) problems.push(`report ${report.id} file ${artifact.fileName} is ${statSync(file).size} bytes; recorded ${artifact.bytes}`);
      }
    } else if (existsSync(dir)) problems.push(`report ${report.id} is ${report.status} but its files were published`);
    return { id: report.id, status: report.status };
  });
  const reportDir = join(dataDir, 'reports');
  if (existsSync(reportDir)) {
    const known = new Set(reports.map((r) => r.id));
    for (const name of readdirSync(reportDir)) if (!name.startsWith('.tmp-') && !known.has(name)) problems.push(`reports/${name} belongs to no report`);
  }

  return {
    integrity,
    foreignKeyViolations,
    snapshots: snapshots.map(({ openedRows: _o, closedRows: _c, stateDigest: _d, ...s }) => s),
    entries: entries.map(({ seq, kind, subject, row }) => ({ seq, kind, subject, row })),
    checkpoints,
    runs,
    reports,
    problems,
  };
}

/** What `imagewarden verify` checks on a data dir, in this process (read-only): the state a kill left, before any restart. */
export function verifyDataDir(env: Record<string, string>): VerifyResult {
  const config = loadConfig(env);
  const db = openDatabase(config.databaseFile, { readonly: true });
  try {
    const keyFile = signingKeyPath(config.dataDir);
    const key = existsSync(keyFile) ? readSigningKey(keyFile, config.evidenceOrigin) : null;
    const repo = createEvidenceRepository(db);
    return createEvidenceService({ db, repo, config, key, now: () => new Date() }).verify();
  } finally {
    db.close();
  }
}

/**
 * A second connection to the live database that tells whether a writer holds SQLite's write lock right now (it tries
 * BEGIN IMMEDIATE without waiting, and rolls back at once): a kill at that moment lands inside a write transaction.
 */
export function openLockProbe(dataDir: string) {
  const db = openDatabase(join(dataDir, 'imagewarden.db'), { busyTimeoutInMs: 0 });
  const begin = db.prepare('BEGIN IMMEDIATE');
  const rollback = db.prepare('ROLLBACK');
  const status = db.prepare('SELECT status FROM snapshots WHERE id = ?').pluck();
  return {
    writerActive(): boolean {
      try {
        begin.run();
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_BUSY') return true;
        throw error;
      }
      rollback.run();
      return false;
    },
    snapshotStatus: (id: number) => status.get(id) as string | undefined,
    close: () => db.close(),
  };
}
