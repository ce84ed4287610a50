import type { Db } from '../store/database.js';
import type { EvidenceRepository } from '../store/evidence-repository.js';
import { OBSERVATION_TABLES, rowContentSha256, type ObservationTable } from '../store/observation-writer.js';
import type { LedgerEntry } from './ledger-entry.js';
import type { RecordedRow } from './snapshot-evidence.js';
import type { SigningKey } from './signing-key.js';
import { StateDigest, stateItemHash } from './state-digest.js';
import { createLedgerVerifier, type Anchor, type VerifyProblem, type VerifyResult } from './verify-ledger.js';

export interface VerifyStoreOptions {
  /** The key file in the data dir, when readable: the ledger's active key must be it (its public half is enough). */
  readonly key: Pick<SigningKey, 'verifierKey'> | null;
  readonly anchors: readonly Anchor[];
  readonly expectedOrigin?: string;
}

/**
 * Verifies the live store: the ledger (chain, checkpoints, signatures, witness anchors), and the observation rows
 * against the snapshot change sets that recorded them — each row's content, when it opened and closed, the state
 * digest after every snapshot, and that no row exists that no entry recorded. Work follows the change, not time.
 */
export function verifyStore(db: Db, repo: EvidenceRepository, options: VerifyStoreOptions): VerifyResult {
  const keys = repo.keys();
  const verifier = createLedgerVerifier({
    checkpoints: [...repo.checkpoints()],
    keys,
    anchors: options.anchors,
    ...(options.expectedOrigin ? { expectedOrigin: options.expectedOrigin } : {}),
  });
  const observations = createObservationCheck(db, verifier.report);
  for (const entry of repo.entries()) {
    verifier.push(entry);
    observations.check(entry);
  }
  observations.finish(repo.lastEntry()?.seq ?? 0);
  const active = keys.find((k) => k.notAfter === null);
  if (options.key !== null && active !== undefined && active.publicKey !== options.key.verifierKey) {
    verifier.report({ sequence: null, code: 'key_mismatch', message: `the key file in the data dir is not the ledger's active key ${active.keyId}` });
  }
  return verifier.finish();
}

function createObservationCheck(db: Db, report: (problem: VerifyProblem) => void) {
  const recorded: Record<ObservationTable, number> = { cluster_states: 0, pool_states: 0, latest_image_states: 0 };
  let digest = StateDigest.empty();
  const keyColumn = Object.fromEntries(OBSERVATION_TABLES.map(({ table, key }) => [table, key])) as Record<ObservationTable, string>;
  const rowOf = (table: ObservationTable, id: number) =>
    db.prepare(`SELECT ${keyColumn[table]} AS key, valid_from AS validFrom, valid_to AS validTo FROM ${table} WHERE id = ?`).get(id) as
      | { key: string; validFrom: number; validTo: number | null }
      | undefined;

  function checkRows(seq: number, snapshotId: number | null, rows: readonly RecordedRow[], opened: boolean) {
    for (const [table, id, sha] of rows) {
      const problem = (message: string) => report({ sequence: seq, code: 'observation_mismatch', message: `seq=${seq} INVALID: ${table} row ${id} ${message}` });
      const row = rowOf(table, id);
      if (!row) {
        problem('is missing');
        continue;
      }
      const key = row.key;
      if (opened && snapshotId !== null && row.validFrom !== snapshotId) problem(`opened at snapshot ${row.validFrom}, recorded at ${snapshotId}`);
      if (!opened && row.validTo !== snapshotId) problem(`closed at snapshot ${row.validTo}, recorded at ${snapshotId}`);
      if (opened && rowContentSha256(db, table, id) !== sha) problem('content differs from what was recorded');
      const item = stateItemHash(table, key, sha);
      if (opened) {
        recorded[table]++;
        digest.add(item);
      } else digest.remove(item);
    }
  }

  return {
    check(entry: LedgerEntry) {
      if (entry.kind !== 'snapshot_committed' && entry.kind !== 'ledger_started') return;
      let body: { snapshot?: { id: number }; opened?: RecordedRow[]; closed?: RecordedRow[]; adopted?: RecordedRow[]; preLedgerRows?: Record<ObservationTable, number>; stateDigest: string };
      try {
        body = JSON.parse(entry.body) as typeof body;
      } catch {
        return; // the ledger verifier reports the body itself
      }
      if (entry.kind === 'ledger_started') {
        digest = StateDigest.empty();
        for (const table of Object.keys(recorded) as ObservationTable[]) recorded[table] = body.preLedgerRows?.[table] ?? 0;
        // Adopted rows are counted among the pre-ledger rows: check their content and add them to the digest only.
        const before = { ...recorded };
        checkRows(entry.seq, null, body.adopted ?? [], true);
        Object.assign(recorded, before);
      } else {
        const snapshotId = body.snapshot?.id ?? null;
        checkRows(entry.seq, snapshotId, body.opened ?? [], true);
        checkRows(entry.seq, snapshotId, body.closed ?? [], false);
      }
      if (digest.toHex() !== body.stateDigest) {
        report({ sequence: entry.seq, code: 'state_digest_mismatch', message: `seq=${entry.seq} INVALID: the observed state does not add up to the recorded digest` });
      }
    },
    /** Rows no entry recorded (inserted behind the ledger's back) are as much tampering as altered ones. */
    finish(lastSeq: number) {
      for (const { table } of OBSERVATION_TABLES) {
        const stored = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
        if (stored !== recorded[table]) {
          report({
            sequence: null,
            code: 'unrecorded_observations',
            message: `${table} holds ${stored} rows; the ledger recorded ${recorded[table]} (after entry ${lastSeq})`,
          });
        }
      }
    },
  };
}
