import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { entryHashOf, sealEntry, type LedgerEntry } from '../../src/evidence/ledger-entry.js';
import { readSigningKey, signingKeyPath, writeNewKey } from '../../src/evidence/signing-key.js';
import { verifyStore } from '../../src/evidence/verify-store.js';
import { readFileWitness } from '../../src/evidence/witness.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createEvidenceRepository } from '../../src/store/evidence-repository.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202610.01.0`;
const COLUMNS = ['seq', 'at', 'kind', 'subject', 'actor', 'body', 'body_sha256', 'prev_hash', 'entry_hash'] as const;

/** A real ledger: two snapshots with a change between them, keys, an exception approved by a second admin. */
async function recordedLedger() {
  const emulator = await startTestEmulator({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: NEW } },
    subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: OLD }), pool('web', { nodeImageVersion: OLD })])] }],
  });
  // Shared by every test of the suite: kept until the suite ends (tempDir() is emptied after each test).
  const home = mkdtempSync(join(tmpdir(), 'imagewarden-tamper-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const witness = join(home, 'witness.ndjson');
  const config = loadConfig({
    IMAGEWARDEN_DATA_DIR: join(home, 'data'),
    IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
    IMAGEWARDEN_ARM_TOKEN: emulator.token,
    IMAGEWARDEN_EVIDENCE_WITNESS: witness,
  });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: Date.parse('2026-11-01T00:00:00Z') };
  const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
  await services.snapshotService.run('cli', 'test');
  services.keyService.create({ name: 'alice', role: 'admin', expiresAt: null, actor: 'test' });
  services.keyService.create({ name: 'bob', role: 'admin', expiresAt: null, actor: 'test' });
  clock.now += 3_600_000;
  const [clusterId] = emulator.fleet.listClusterIds();
  const requested = services.exceptionService.request(
    { scope: { kind: 'pool', clusterId: clusterId!, poolName: 'system' }, reason: 'driver', compensatingControl: 'isolation', ticket: 'CHG-1', expiresAt: '2026-11-20T00:00:00Z' },
    'key:alice',
  );
  services.exceptionService.approve(requested.id, 'key:bob', null);
  services.keyService.revoke('alice', 'test');
  emulator.fleet.setPoolImage(clusterId!, 'web', NEW);
  clock.now += 3_600_000;
  await services.snapshotService.run('cli', 'test');
  await services.ledger.flushWitnesses();
  return { db, config, services, witness, repo: createEvidenceRepository(db) };
}

/** A copy of the store to tamper with, as an attacker holding the volume would: triggers dropped first. */
function tamperableCopy(source: { db: Db; config: { databaseFile: string } }): Db {
  source.db.pragma('wal_checkpoint(TRUNCATE)');
  const file = join(tempDir(), 'copy.db');
  copyFileSync(source.config.databaseFile, file);
  const db = openDatabase(file);
  db.pragma('foreign_keys = OFF');
  for (const trigger of ['evidence_entries_no_update', 'evidence_entries_no_delete', 'signing_keys_close_only', 'evidence_checkpoints_no_update', 'evidence_checkpoints_no_delete']) {
    db.exec(`DROP TRIGGER ${trigger}`);
  }
  return db;
}

const verify = (db: Db, key: ReturnType<typeof readSigningKey> | null, anchors: ReturnType<typeof readFileWitness> = []) =>
  verifyStore(db, createEvidenceRepository(db), { key, anchors });

const entries = (db: Db) => [...createEvidenceRepository(db).entries()];

function flipByte(value: string | number): string | number {
  if (typeof value === 'number') return value ^ 1;
  const index = Math.floor(value.length / 2);
  const code = value.charCodeAt(index);
  // Stay printable and keep hex digits hex, so only the integrity checks can catch it.
  const flipped = /[0-9a-f]/.test(value[index]!) ? (value[index] === '0' ? '1' : '0') : String.fromCharCode(code === 0x41 ? 0x42 : 0x41);
  return value.slice(0, index) + flipped + value.slice(index + 1);
}

describe('evidence ledger tamper suite', async () => {
  const ledger = await recordedLedger();
  const key = readSigningKey(signingKeyPath(ledger.config.dataDir), ledger.config.evidenceOrigin);
  const all = entries(ledger.db);

  it('records every kind of evidence-bearing event, and an intact ledger verifies', () => {
    const kinds = new Set(all.map((e) => e.kind));
    for (const kind of ['snapshot_committed', 'api_key_created', 'api_key_revoked', 'exception_requested', 'exception_approved', 'finding_opened', 'finding_changed', 'finding_closed']) {
      expect(kinds, kind).toContain(kind);
    }
    const result = verify(ledger.db, key, readFileWitness(ledger.witness));
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ intact: true, entries: all.length, firstBrokenSequence: null });
    expect(result.anchors).toBeGreaterThan(3);
  });

  it('catches a flipped byte in any column of any entry and names its sequence', () => {
    for (const target of all) {
      for (const column of COLUMNS) {
        const db = tamperableCopy(ledger);
        const row = db.prepare(`SELECT ${column} AS value FROM evidence_entries WHERE seq = ?`).get(target.seq) as { value: string | number };
        if (row.value === null) continue;
        const next = flipByte(row.value);
        // seq is the primary key: a flipped seq that collides moves the row instead.
        if (column === 'seq' && (all.some((e) => e.seq === next) || Number(next) < 1)) continue;
        db.prepare(`UPDATE evidence_entries SET ${column} = ? WHERE seq = ?`).run(next, target.seq);
        const result = verify(db, key);
        expect(result.intact, `${column} of ${target.seq}`).toBe(false);
        expect(result.firstBrokenSequence, `${column} of ${target.seq}`).toBe(column === 'seq' ? Math.min(target.seq, Number(next)) : target.seq);
      }
    }
  });

  it('catches a deleted entry, two reordered, one inserted, and a truncated tail', () => {
    const middle = all[Math.floor(all.length / 2)]!;
    let db = tamperableCopy(ledger);
    db.prepare('DELETE FROM evidence_entries WHERE seq = ?').run(middle.seq);
    expect(verify(db, key).firstBrokenSequence).toBe(middle.seq);

    db = tamperableCopy(ledger);
    const [a, b] = [all[2]!, all[5]!];
    swapContents(db, a, b);
    expect(verify(db, key).firstBrokenSequence).toBe(a.seq);

    // Inserted as a careless forger would: later rows renumbered, hashes left alone.
    db = tamperableCopy(ledger);
    renumberFrom(db, middle.seq);
    const forged = sealEntry({ seq: middle.seq, at: middle.at, kind: 'exception_approved', subject: 'exc_forged', actor: 'key:mallory', body: {}, prevHash: all[middle.seq - 2]!.entryHash });
    insert(db, forged);
    expect(verify(db, key).firstBrokenSequence).toBe(middle.seq);

    const lastCheckpoint = createEvidenceRepository(ledger.db).latestCheckpoint()!;
    db = tamperableCopy(ledger);
    db.prepare('DELETE FROM evidence_entries WHERE seq > ?').run(lastCheckpoint.size - 2);
    const truncated = verify(db, key);
    expect(truncated.firstBrokenSequence).toBe(lastCheckpoint.size - 1);
    expect(truncated.problems.map((p) => p.code)).toContain('ledger_truncated');
  });

  it('catches a forged entry whose hashes were all recomputed, at the first entry no checkpoint proves', () => {
    const db = tamperableCopy(ledger);
    const target = all.find((e) => e.kind === 'exception_approved')!;
    // Rewrite history from the approval on: a different approver, every later hash recomputed.
    let prevHash = all[target.seq - 2]!.entryHash;
    for (const entry of all.slice(target.seq - 1)) {
      const body = entry.seq === target.seq ? JSON.stringify({ ...JSON.parse(entry.body), approvedBy: 'key:mallory' }) : entry.body;
      const forged = sealEntry({ ...entry, body: JSON.parse(body), prevHash });
      db.prepare('UPDATE evidence_entries SET body = ?, body_sha256 = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?').run(forged.body, forged.bodySha256, forged.prevHash, forged.entryHash, entry.seq);
      prevHash = forged.entryHash;
    }
    const result = verify(db, key);
    expect(result.intact).toBe(false);
    // Each exception change is checkpointed on its own, so the first unproven entry is the forged one.
    expect(result.firstBrokenSequence).toBe(target.seq);
    expect(result.problems.map((p) => p.code)).toContain('root_mismatch');
  });

  it('catches a swapped key: another key file, or another public key in the database', () => {
    const dir = tempDir();
    writeNewKey(join(dir, 'other.pem'));
    const other = readSigningKey(join(dir, 'other.pem'), ledger.config.evidenceOrigin);
    expect(verify(tamperableCopy(ledger), other).problems.map((p) => p.code)).toContain('key_mismatch');

    const db = tamperableCopy(ledger);
    db.prepare('UPDATE signing_keys SET public_key = ?, key_id = ?').run(other.verifierKey, other.keyId);
    const result = verify(db, other);
    expect(result.intact).toBe(false);
    expect(result.firstBrokenSequence).toBe(1);
  });

  it('catches a rewrite re-signed with the real key only against the witness, as the limit says', () => {
    const db = tamperableCopy(ledger);
    // The insider drops the last entries and every checkpoint, then re-signs a shorter history.
    const keep = all.length - 3;
    db.prepare('DELETE FROM evidence_entries WHERE seq > ?').run(keep);
    db.prepare('DELETE FROM witness_deliveries').run();
    db.prepare('DELETE FROM evidence_checkpoints').run();
    // Local verification alone cannot tell: no checkpoint claims more.
    const resigned = verify(db, key);
    expect(resigned.problems.filter((p) => p.code !== 'unrecorded_observations' && p.code !== 'observation_mismatch')).toEqual([]);
    const anchored = verify(db, key, readFileWitness(ledger.witness));
    expect(anchored.intact).toBe(false);
    expect(anchored.problems.map((p) => p.message).join('\n')).toMatch(/history shorter than anchored size \d+/);
  });

  it('catches observation rows changed, added or removed behind the ledger', () => {
    let db = tamperableCopy(ledger);
    db.exec('DROP TRIGGER pool_states_close_only');
    db.prepare(`UPDATE pool_states SET data = replace(data, '"web"', '"wob"') WHERE id = (SELECT min(id) FROM pool_states WHERE data LIKE '%"web"%')`).run();
    const changed = verify(db, key);
    expect(changed.problems.map((p) => p.code)).toContain('observation_mismatch');
    expect(changed.firstBrokenSequence).toBe(all.find((e) => e.kind === 'snapshot_committed')!.seq);

    db = tamperableCopy(ledger);
    db.prepare(`INSERT INTO pool_states (pool_key, cluster_key, subscription_id, location, image_family, valid_from, content_hash, data) SELECT pool_key || 'x', cluster_key, subscription_id, location, image_family, valid_from, content_hash, data FROM pool_states LIMIT 1`).run();
    expect(verify(db, key).problems.map((p) => p.code)).toContain('unrecorded_observations');
  });
});

function swapContents(db: Db, a: LedgerEntry, b: LedgerEntry): void {
  const update = db.prepare('UPDATE evidence_entries SET at = ?, kind = ?, subject = ?, actor = ?, body = ?, body_sha256 = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?');
  for (const [row, from] of [[a, b], [b, a]] as const) update.run(from.at, from.kind, from.subject, from.actor, from.body, from.bodySha256, from.prevHash, from.entryHash, row.seq);
}

function renumberFrom(db: Db, seq: number): void {
  const rows = db.prepare('SELECT seq FROM evidence_entries WHERE seq >= ? ORDER BY seq DESC').all(seq) as { seq: number }[];
  for (const row of rows) db.prepare('UPDATE evidence_entries SET seq = seq + 1 WHERE seq = ?').run(row.seq);
}

function insert(db: Db, entry: LedgerEntry): void {
  expect(entryHashOf(entry)).toBe(entry.entryHash);
  db.prepare(
    'INSERT INTO evidence_entries (seq, at, kind, subject, actor, body, body_sha256, prev_hash, entry_hash) VALUES (@seq, @at, @kind, @subject, @actor, @body, @bodySha256, @prevHash, @entryHash)',
  ).run(entry);
}
