import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202610.01.0`;

/** Two non-compliant pools (own release 2026-07-01, SLA 30 days) observed at 2026-11-01; a clock the test moves. */
async function harness() {
  const emulator = await startTestEmulator({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: NEW } },
    subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: OLD }), pool('web', { nodeImageVersion: OLD })], { tags: { env: 'prod' } })] }],
  });
  const config = loadConfig({ IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_MAX_EXCEPTION_DAYS: '90' });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: Date.parse('2026-11-01T00:00:00Z') };
  const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
  expect((await services.snapshotService.run('cli', 'test')).status).toBe('succeeded');
  const app = await buildApp({ services });
  const key = (name: string, role: 'auditor' | 'operator' | 'admin') => services.keyService.create({ name, role, expiresAt: null, actor: 'test' }).key;
  const keys = { auditor: key('auditor', 'auditor'), operator: key('operator', 'operator'), alice: key('alice', 'admin'), bob: key('bob', 'admin') };
  const call = async (as: keyof typeof keys, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[as]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.json() as Record<string, any> };
  };
  const [clusterId] = emulator.fleet.listClusterIds();
  const request = (as: keyof typeof keys, overrides: Record<string, unknown> = {}) =>
    call(as, 'POST', '/api/v1/exceptions', {
      scope: { kind: 'pool', clusterId, poolName: 'system' },
      reason: 'vendor driver incompatible with the new kernel',
      compensatingControl: 'node network isolated; EDR in block mode',
      ticket: 'CHG-1234',
      expiresAt: '2026-12-01T00:00:00Z',
      ...overrides,
    });
  const statusOf = async (poolName: string) =>
    (await call('auditor', 'GET', '/api/v1/pools')).body.items.find((p: { poolName: string }) => p.poolName === poolName);
  return { app, db, clock, call, request, statusOf, clusterId: clusterId!, close: async () => { await app.close(); db.close(); } };
}

describe('exceptions', () => {
  it('are requested, approved by a second admin, turn non_compliant into excepted at once, and lapse by themselves', async () => {
    const h = await harness();
    expect(await h.statusOf('system')).toMatchObject({ status: 'non_compliant', exceptionId: null });

    const requested = await h.request('operator');
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ state: 'requested', requestedBy: 'key:operator', requestedAt: '2026-11-01T00:00:00.000Z', expiresAt: '2026-12-01T00:00:00.000Z', approvedBy: null });
    const id = requested.body.id as string;
    expect(await h.statusOf('system')).toMatchObject({ status: 'non_compliant', exceptionId: null });

    expect((await h.call('operator', 'POST', `/api/v1/exceptions/${id}/approve`)).status).toBe(403);
    h.clock.now = Date.parse('2026-11-02T00:00:00Z');
    const approved = await h.call('alice', 'POST', `/api/v1/exceptions/${id}/approve`, { reason: 'risk accepted by CISO' });
    expect(approved).toMatchObject({ status: 200, body: { state: 'approved', approvedBy: 'key:alice', approvedAt: '2026-11-02T00:00:00.000Z' } });
    expect(await h.statusOf('system')).toMatchObject({ status: 'excepted', exceptionId: id });
    expect(await h.statusOf('web')).toMatchObject({ status: 'non_compliant', exceptionId: null });
    const summary = (await h.call('auditor', 'GET', '/api/v1/compliance/summary')).body;
    expect(summary).toMatchObject({ counts: { excepted: 1, non_compliant: 1 }, compliancePercent: 0, compliancePercentWithExceptions: 50 });

    expect((await h.call('bob', 'POST', `/api/v1/exceptions/${id}/approve`)).body).toMatchObject({ error: { code: 'invalid_state' } });
    // Before the approval the pool was not excepted, whatever happened later.
    const before = await h.call('auditor', 'GET', '/api/v1/pools?asOf=2026-11-01T12:00:00Z');
    expect(before.body.items.find((p: { poolName: string }) => p.poolName === 'system')).toMatchObject({ status: 'non_compliant' });

    h.clock.now = Date.parse('2026-11-30T23:59:59.999Z');
    expect(await h.statusOf('system')).toMatchObject({ status: 'excepted' });
    h.clock.now = Date.parse('2026-12-01T00:00:00Z'); // the exact expiry instant: no longer in force
    expect(await h.statusOf('system')).toMatchObject({ status: 'non_compliant', exceptionId: null });
    expect((await h.call('auditor', 'GET', `/api/v1/exceptions/${id}`)).body).toMatchObject({ state: 'expired' });
    expect((await h.call('alice', 'POST', `/api/v1/exceptions/${id}/revoke`)).status).toBe(409);
    await h.close();
  });

  it('refuses approval by its own requester (four eyes), and records rejections and revocations', async () => {
    const h = await harness();
    const own = await h.request('alice');
    const refused = await h.call('alice', 'POST', `/api/v1/exceptions/${own.body.id}/approve`);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'four_eyes_required' } } });
    expect((await h.call('bob', 'POST', `/api/v1/exceptions/${own.body.id}/reject`, { reason: 'patch instead' })).body).toMatchObject({
      state: 'rejected',
      rejectedBy: 'key:bob',
    });
    expect((await h.call('alice', 'POST', `/api/v1/exceptions/${own.body.id}/approve`)).status).toBe(409);

    const other = await h.request('operator');
    await h.call('bob', 'POST', `/api/v1/exceptions/${other.body.id}/approve`);
    expect(await h.statusOf('system')).toMatchObject({ status: 'excepted' });
    h.clock.now += 3_600_000;
    const revoked = await h.call('alice', 'POST', `/api/v1/exceptions/${other.body.id}/revoke`);
    expect(revoked.body).toMatchObject({ state: 'revoked', revokedBy: 'key:alice' });
    expect(await h.statusOf('system')).toMatchObject({ status: 'non_compliant' });
    expect((await h.call('auditor', 'GET', '/api/v1/exceptions?state=revoked')).body.items).toHaveLength(1);
    await h.close();
  });

  it('with several in force, a pool names the one that expires last; cluster, subscription and tag scopes cover their pools', async () => {
    const h = await harness();
    const approve = async (overrides: Record<string, unknown>) => {
      const { body } = await h.request('operator', overrides);
      await h.call('alice', 'POST', `/api/v1/exceptions/${body.id}/approve`);
      return body.id as string;
    };
    await approve({ scope: { kind: 'cluster', clusterId: h.clusterId }, expiresAt: '2026-11-20T00:00:00Z' });
    const longest = await approve({ scope: { kind: 'tag', tag: 'env=prod' }, expiresAt: '2026-12-20T00:00:00Z' });
    await approve({ scope: { kind: 'subscription', subscriptionId: SUB_1 }, expiresAt: '2026-12-01T00:00:00Z' });
    expect(await h.statusOf('system')).toMatchObject({ status: 'excepted', exceptionId: longest });
    expect(await h.statusOf('web')).toMatchObject({ status: 'excepted', exceptionId: longest });
    await h.close();
  });

  it.each([
    ['an expiry in the past', { expiresAt: '2026-10-01T00:00:00Z' }, 'invalid_expiry'],
    ['an expiry beyond IMAGEWARDEN_MAX_EXCEPTION_DAYS', { expiresAt: '2027-03-01T00:00:00Z' }, 'expiry_too_far'],
    ['an absurd date', { expiresAt: '9999-99-99' }, 'invalid_request'],
    ['a pool scope without a pool', { scope: { kind: 'pool', clusterId: '/subscriptions/x/resourcegroups/y/providers/Microsoft.ContainerService/managedClusters/z' } }, 'invalid_scope'],
    ['a cluster scope with a bad id', { scope: { kind: 'cluster', clusterId: 'aks-pay' } }, 'invalid_scope'],
    ['a tag scope without a value', { scope: { kind: 'tag', tag: 'env' } }, 'invalid_scope'],
    ['an unknown scope kind', { scope: { kind: 'tenant' } }, 'invalid_request'],
    ['an unknown field', { approvedBy: 'me' }, 'invalid_request'],
    ['a wrong type', { ticket: 42 }, 'invalid_request'],
    ['a blank reason', { reason: '   ' }, 'invalid_request'],
    ['a huge reason', { reason: 'x'.repeat(5000) }, 'invalid_request'],
  ])('refuses %s with 400 and stores nothing', async (_name, overrides, code) => {
    const h = await harness();
    const response = await h.request('operator', overrides);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code } });
    expect((await h.call('auditor', 'GET', '/api/v1/exceptions')).body.items).toEqual([]);
    await h.close();
  });

  it('checks the expiry again at approval, and refuses unknown ids and bodies', async () => {
    const h = await harness();
    const { body } = await h.request('operator', { expiresAt: '2026-11-05T00:00:00Z' });
    h.clock.now = Date.parse('2026-11-06T00:00:00Z');
    expect((await h.call('alice', 'POST', `/api/v1/exceptions/${body.id}/approve`)).body).toMatchObject({ error: { code: 'invalid_expiry' } });
    expect((await h.call('alice', 'POST', '/api/v1/exceptions/exc_00000000-0000-0000-0000-000000000000/approve')).status).toBe(404);
    expect((await h.call('alice', 'POST', '/api/v1/exceptions/nonsense/approve')).status).toBe(400);
    expect((await h.call('alice', 'POST', `/api/v1/exceptions/${body.id}/reject`, { reason: 1 })).status).toBe(400);
    expect((await h.call('alice', 'POST', `/api/v1/exceptions/${body.id}/reject`, { because: 'x' })).status).toBe(400);
    await h.close();
  });
});
