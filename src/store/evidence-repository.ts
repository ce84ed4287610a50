import type { EntryFields, LedgerEntry } from '../evidence/ledger-entry.js';
import type { Db } from './database.js';

export interface StoredCheckpoint {
  readonly id: number;
  readonly size: number;
  readonly rootHash: string;
  readonly signedAt: string;
  readonly keyId: string;
  readonly note: string;
  readonly frontier: string[];
  readonly consistency: string[];
}

export interface StoredSigningKey {
  readonly keyId: string;
  readonly name: string;
  readonly publicKey: string;
  readonly notBefore: string;
  readonly notAfter: string | null;
}

const ENTRY_COLUMNS = 'seq, at, kind, subject, actor, body, body_sha256 AS bodySha256, prev_hash AS prevHash, entry_hash AS entryHash';
const CHECKPOINT_COLUMNS = 'id, size, root_hash AS rootHash, signed_at AS signedAt, key_id AS keyId, note, frontier, consistency';
const PAGE = 2000;

type CheckpointRow = Omit<StoredCheckpoint, 'frontier' | 'consistency'> & { frontier: string; consistency: string };
const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({
  ...row,
  frontier: JSON.parse(row.frontier) as string[],
  consistency: JSON.parse(row.consistency) as string[],
});

export type EvidenceRepository = ReturnType<typeof createEvidenceRepository>;

/** The ledger tables. Writers run inside the caller's write transaction; nothing here updates or deletes evidence. */
export function createEvidenceRepository(db: Db) {
  const lastEntry = db.prepare(`SELECT seq, entry_hash AS entryHash FROM evidence_entries ORDER BY seq DESC LIMIT 1`);
  const insertEntry = db.prepare(
    `INSERT INTO evidence_entries (seq, at, kind, subject, actor, body, body_sha256, prev_hash, entry_hash)
     VALUES (@seq, @at, @kind, @subject, @actor, @body, @bodySha256, @prevHash, @entryHash)`,
  );
  const entriesAfter = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM evidence_entries WHERE seq > ? ORDER BY seq LIMIT ?`);
  const headersAfter = db.prepare(
    `SELECT seq, at, kind, subject, actor, body_sha256 AS bodySha256, prev_hash AS prevHash FROM evidence_entries WHERE seq > ? ORDER BY seq LIMIT ?`,
  );
  const entryBySeq = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM evidence_entries WHERE seq = ?`);
  const latestCheckpoint = db.prepare(`SELECT ${CHECKPOINT_COLUMNS} FROM evidence_checkpoints ORDER BY id DESC LIMIT 1`);
  const insertCheckpoint = db.prepare(
    `INSERT INTO evidence_checkpoints (size, root_hash, signed_at, key_id, note, frontier, consistency)
     VALUES (@size, @rootHash, @signedAt, @keyId, @note, @frontier, @consistency)`,
  );
  const checkpointsAfter = db.prepare(`SELECT ${CHECKPOINT_COLUMNS} FROM evidence_checkpoints WHERE id > ? ORDER BY id LIMIT ?`);
  const checkpointsBefore = db.prepare(`SELECT ${CHECKPOINT_COLUMNS} FROM evidence_checkpoints WHERE id < ? ORDER BY id DESC LIMIT ?`);
  const keyColumns = 'key_id AS keyId, name, public_key AS publicKey, not_before AS notBefore, not_after AS notAfter';
  const allKeys = db.prepare(`SELECT ${keyColumns} FROM signing_keys ORDER BY not_before, key_id`);
  const activeKey = db.prepare(`SELECT ${keyColumns} FROM signing_keys WHERE not_after IS NULL`);
  const insertKey = db.prepare(`INSERT INTO signing_keys (key_id, name, public_key, not_before) VALUES (?, ?, ?, ?)`);
  const closeKey = db.prepare(`UPDATE signing_keys SET not_after = ? WHERE key_id = ? AND not_after IS NULL`);
  const insertDelivery = db.prepare(`INSERT INTO witness_deliveries (checkpoint_id, witness, at, error) VALUES (?, ?, ?, ?)`);
  const lastDelivered = db.prepare(`SELECT max(checkpoint_id) AS id FROM witness_deliveries WHERE witness = ? AND error IS NULL`);
  const findingRecord = db.prepare(`SELECT state, exception_id AS exceptionId FROM finding_records WHERE finding_id = ?`);
  const upsertFinding = db.prepare(
    `INSERT INTO finding_records (finding_id, state, exception_id, seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (finding_id) DO UPDATE SET state = excluded.state, exception_id = excluded.exception_id, seq = excluded.seq`,
  );

  return {
    lastEntry: () => (lastEntry.get() as { seq: number; entryHash: string } | undefined) ?? null,
    insertEntry: (entry: LedgerEntry) => void insertEntry.run(entry),
    entry: (seq: number) => (entryBySeq.get(seq) as LedgerEntry | undefined) ?? null,
    /** Every entry after `afterSeq`, in sequence order, read a page at a time (never all at once). */
    *entries(afterSeq = 0): Generator<LedgerEntry> {
      for (let after = afterSeq; ; ) {
        const page = entriesAfter.all(after, PAGE) as LedgerEntry[];
        yield* page;
        if (page.length < PAGE) return;
        after = page.at(-1)!.seq;
      }
    },
    /** Entry headers only (what a Merkle leaf hashes): bodies, which can be megabytes, stay on disk. */
    *headers(afterSeq = 0): Generator<EntryFields> {
      for (let after = afterSeq; ; ) {
        const page = headersAfter.all(after, PAGE) as EntryFields[];
        yield* page;
        if (page.length < PAGE) return;
        after = page.at(-1)!.seq;
      }
    },
    latestCheckpoint: () => {
      const row = latestCheckpoint.get() as CheckpointRow | undefined;
      return row ? toCheckpoint(row) : null;
    },
    insertCheckpoint: (checkpoint: Omit<StoredCheckpoint, 'id'>) =>
      Number(
        insertCheckpoint.run({ ...checkpoint, frontier: JSON.stringify(checkpoint.frontier), consistency: JSON.stringify(checkpoint.consistency) })
          .lastInsertRowid,
      ),
    *checkpoints(afterId = 0): Generator<StoredCheckpoint> {
      for (let after = afterId; ; ) {
        const page = (checkpointsAfter.all(after, PAGE) as CheckpointRow[]).map(toCheckpoint);
        yield* page;
        if (page.length < PAGE) return;
        after = page.at(-1)!.id;
      }
    },
    /** Newest first, before checkpoint id `beforeId`. */
    checkpointsBefore: (beforeId: number, limit: number) => (checkpointsBefore.all(beforeId, limit) as CheckpointRow[]).map(toCheckpoint),
    keys: () => allKeys.all() as StoredSigningKey[],
    activeKey: () => (activeKey.get() as StoredSigningKey | undefined) ?? null,
    insertKey: (key: Omit<StoredSigningKey, 'notAfter'>) => void insertKey.run(key.keyId, key.name, key.publicKey, key.notBefore),
    closeKey: (keyId: string, at: string) => closeKey.run(at, keyId).changes === 1,
    recordDelivery: (checkpointId: number, witness: string, at: string, error: string | null) => void insertDelivery.run(checkpointId, witness, at, error),
    lastDeliveredCheckpoint: (witness: string) => (lastDelivered.get(witness) as { id: number | null }).id ?? 0,
    findingRecord: (id: string) => (findingRecord.get(id) as { state: string; exceptionId: string | null } | undefined) ?? null,
    recordFinding: (id: string, state: string, exceptionId: string | null, seq: number) => void upsertFinding.run(id, state, exceptionId, seq),
  };
}
