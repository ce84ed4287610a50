import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_DAYS, TABLE_RETENTION } from '../../src/domain/retention.js';
import { createRetentionService } from '../../src/services/retention-service.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-25T04:40:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

async function servicesWithHistory() {
  const emulator = await startTestEmulator(fleetOfClusters(3));
  const { db, services } = createTestServices(testConfig(emulator, { IMAGEWARDEN_RETENTION_DAYS: '400' }));
  services.keyService.create({ name: 'ops', role: 'operator', expiresAt: null, actor: 'test' });
  expect((await services.snapshotService.run('api', 'test')).status).toBe('succeeded');
  const retention = createRetentionService({ db, evidence: services.ledger, retentionDays: 400, now: () => NOW });
  return { db, services, retention };
}

const tablesIn = (db: ReturnType<typeof createTestServices>['db']) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);

describe('retention', () => {
  it('places every table of the schema in exactly one retention class', async () => {
    const { db } = await servicesWithHistory();
    const placed = Object.values(TABLE_RETENTION).flat();
    expect(new Set(placed).size).toBe(placed.length);
    expect([...placed].sort()).toEqual(tablesIn(db));
  });

  it('evidence tables refuse deletion at the database, whatever code asks', async () => {
    const { db } = await servicesWithHistory();
    const deleteGuards = db.prepare(`SELECT tbl_name AS tableName, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'`).all() as { tableName: string; sql: string }[];
    for (const table of TABLE_RETENTION.evidence) {
      expect(deleteGuards.find((guard) => guard.tableName === table)?.sql, table).toMatch(/RAISE\s*\(\s*ABORT/);
    }
    for (const table of ['snapshots', 'pool_states', 'evidence_entries', 'api_keys']) {
      expect((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n, table).toBeGreaterThan(0);
      expect(() => db.prepare(`DELETE FROM ${table}`).run(), table).toThrow(/cannot be deleted|never deleted|append-only/);
    }
  });

  it(`forgets idempotency keys after ${IDEMPOTENCY_KEY_DAYS} days, failed witness deliveries, finished webhook deliveries and ended browser sessions after the retention days, keeping the rest`, async () => {
    const { db, services, retention } = await servicesWithHistory();
    const insertKey = db.prepare(`INSERT INTO idempotency_keys (principal, key, request_sha256, status_code, response, created_at) VALUES ('ops', ?, 'x', 202, '{}', ?)`);
    insertKey.run('old', daysAgo(IDEMPOTENCY_KEY_DAYS + 1));
    insertKey.run('recent', daysAgo(IDEMPOTENCY_KEY_DAYS - 1));
    const checkpoint = (db.prepare('SELECT max(id) AS id FROM evidence_checkpoints').get() as { id: number }).id;
    const insertDelivery = db.prepare('INSERT INTO witness_deliveries (checkpoint_id, witness, at, error) VALUES (?, ?, ?, ?)');
    insertDelivery.run(checkpoint, 'https://witness.example', daysAgo(401), 'timeout');
    insertDelivery.run(checkpoint, 'https://witness.example', daysAgo(401), null);
    insertDelivery.run(checkpoint, 'https://witness.example', daysAgo(399), 'timeout');
    const insertWebhook = db.prepare(`INSERT INTO webhook_deliveries (id, event, alert_status, summary, payload, status, created_at) VALUES (?, 'upgrade_failed', 'firing', 's', '{}', ?, ?)`);
    insertWebhook.run('w-old-delivered', 'delivered', daysAgo(401));
    insertWebhook.run('w-old-failed', 'failed', daysAgo(401));
    insertWebhook.run('w-old-pending', 'pending', daysAgo(401));
    insertWebhook.run('w-recent', 'delivered', daysAgo(399));
    const insertSession = db.prepare(
      `INSERT INTO browser_sessions (session_hash, csrf_hash, actor, role, via, key_name, created_at, last_seen_at, expires_at, absolute_expires_at, ended_at, end_reason)
       VALUES (?, 'c', 'key:ops', 'operator', 'api_key', 'ops', ?, ?, ?, ?, ?, ?)`,
    );
    insertSession.run('s-old-ended', daysAgo(402), daysAgo(402), daysAgo(401), daysAgo(401), daysAgo(401.5), 'signed_out');
    insertSession.run('s-old-expired', daysAgo(402), daysAgo(402), daysAgo(401), daysAgo(401), null, null);
    insertSession.run('s-recent-ended', daysAgo(400), daysAgo(400), daysAgo(399), daysAgo(399), daysAgo(399.5), 'key_revoked');
    insertSession.run('s-live', daysAgo(0.1), daysAgo(0.1), daysAgo(-0.1), daysAgo(-0.2), null, null);
    const entriesBefore = services.evidenceRepo.lastEntry()!.seq;

    const result = retention.prune('test');

    expect(result.pruned).toEqual({ idempotencyKeys: 1, failedWitnessDeliveries: 1, webhookDeliveries: 2, browserSessions: 2 });
    expect(db.prepare('SELECT session_hash AS s FROM browser_sessions ORDER BY id').all()).toEqual([{ s: 's-recent-ended' }, { s: 's-live' }]);
    expect(db.prepare('SELECT id FROM webhook_deliveries ORDER BY seq').all()).toEqual([{ id: 'w-old-pending' }, { id: 'w-recent' }]);
    expect(db.prepare('SELECT key FROM idempotency_keys').all()).toEqual([{ key: 'recent' }]);
    expect(db.prepare('SELECT at, error FROM witness_deliveries ORDER BY id').all()).toEqual([
      { at: daysAgo(401), error: null },
      { at: daysAgo(399), error: 'timeout' },
    ]);
    const recorded = [...services.evidenceRepo.entries(entriesBefore)];
    expect(recorded.map((entry) => [entry.kind, entry.actor])).toEqual([['retention_pruned', 'test']]);
    expect(JSON.parse(recorded[0]!.body as string)).toMatchObject({ retentionDays: 400, pruned: result.pruned, cutoffs: { idempotencyKeysBefore: daysAgo(IDEMPOTENCY_KEY_DAYS) } });
    expect(services.evidence.verify().intact).toBe(true);

    // Nothing left to prune: nothing recorded.
    expect(retention.prune('test').pruned).toEqual({ idempotencyKeys: 0, failedWitnessDeliveries: 0, webhookDeliveries: 0, browserSessions: 0 });
    expect(services.evidenceRepo.lastEntry()!.seq).toBe(recorded[0]!.seq);
  });
});
