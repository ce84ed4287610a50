import type { Db } from '../store/database.js';
import type { ChangedRow, ChangeSet } from '../store/observation-writer.js';
import { OBSERVATION_TABLES, rowContentSha256, type ObservationTable } from '../store/observation-writer.js';
import type { Snapshot } from '../domain/snapshot.js';
import type { Ledger } from './ledger.js';
import { StateDigest, stateItemHash } from './state-digest.js';

const itemOf = ([table, , key, sha]: ChangedRow) => stateItemHash(table, key, sha);
/** A changed row as the ledger records it. */
export type RecordedRow = readonly [table: ObservationTable, id: number, contentSha256: string];
const recorded = ([table, id, , sha]: ChangedRow): RecordedRow => [table, id, sha];

/**
 * Records a finished snapshot in the ledger, inside its commit transaction: what it observed (outcome and coverage),
 * the rows it opened and closed, and the digest of the whole observed state it left — the previous digest plus
 * this change set, so the cost follows the change, not the fleet's size.
 */
export function recordSnapshot(db: Db, ledger: Pick<Ledger, 'append'>, snapshot: Snapshot, changes: ChangeSet | null): void {
  const digest = previousDigest(db, snapshot.id);
  for (const row of changes?.openedRows ?? []) digest.add(itemOf(row));
  for (const row of changes?.closedRows ?? []) digest.remove(itemOf(row));
  const stateDigest = digest.toHex();
  db.prepare('UPDATE snapshots SET state_digest = ? WHERE id = ?').run(stateDigest, snapshot.id);
  ledger.append({
    kind: 'snapshot_committed',
    subject: `snapshot:${snapshot.id}`,
    actor: snapshot.requestedBy ?? 'system',
    body: {
      snapshot: { ...snapshot },
      // [table, row id, SHA-256 of its content]: the key is in the row itself (verify reads it there).
      opened: (changes?.openedRows ?? []).map(recorded),
      closed: (changes?.closedRows ?? []).map(recorded),
      stateDigest,
    },
  });
}

function previousDigest(db: Db, beforeId: number): StateDigest {
  const row = db.prepare('SELECT state_digest AS digest FROM snapshots WHERE id < ? AND state_digest IS NOT NULL ORDER BY id DESC LIMIT 1').get(beforeId) as
    | { digest: string }
    | undefined;
  return row ? StateDigest.parse(row.digest) : StateDigest.empty();
}

/**
 * The first entry of a ledger started on a database that already holds observations: it adopts every open row
 * (so later change sets and the state digest build on it) and counts the rows closed before the ledger began,
 * which no entry covers.
 */
export function recordLedgerStart(db: Db, ledger: Pick<Ledger, 'append'>): void {
  const adopted: ChangedRow[] = [];
  const preLedgerRows: Record<string, number> = {};
  const digest = StateDigest.empty();
  for (const { table, key } of OBSERVATION_TABLES) {
    preLedgerRows[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    for (const row of db.prepare(`SELECT id, ${key} AS key FROM ${table} WHERE valid_to IS NULL ORDER BY id`).all() as { id: number; key: string }[]) {
      const changed: ChangedRow = [table, row.id, row.key, rowContentSha256(db, table, row.id)];
      adopted.push(changed);
      digest.add(itemOf(changed));
    }
  }
  const last = db.prepare(`SELECT id FROM snapshots WHERE status IN ('succeeded', 'partial') ORDER BY id DESC LIMIT 1`).get() as { id: number } | undefined;
  if (last) db.prepare('UPDATE snapshots SET state_digest = ? WHERE id = ?').run(digest.toHex(), last.id);
  const legacyAudit = db.prepare('SELECT at, actor, action, subject, detail FROM audit_events ORDER BY id').all();
  ledger.append({
    kind: 'ledger_started',
    subject: null,
    actor: 'system',
    body: { adopted: adopted.map(recorded), preLedgerRows, stateDigest: digest.toHex(), lastSnapshotId: last?.id ?? null, legacyAuditEvents: legacyAudit },
  });
}

