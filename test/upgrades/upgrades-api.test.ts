import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { pdfText } from '../helpers/report-history.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { FleetCluster } from '../../src/emulator/types.js';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { staticTokenCredential } from '../../src/azure/credential.js';
import { parseClusterId } from '../../src/domain/inventory.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202611.10.0`;
type Role = 'auditor' | 'operator' | 'admin' | 'admin2';

async function harness(overrides: Partial<FleetCluster> = {}, env: Record<string, string> = {}) {
  const emulator = await startTestEmulator(
    {
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: NEW } },
      subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: OLD, mode: 'System' }), pool('web', { nodeImageVersion: OLD }), pool('batch', { nodeImageVersion: OLD })], overrides)] }],
    },
    { upgradeDurationMs: 300 },
  );
  const config = loadConfig({ IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_SNAPSHOT_CRON: 'off', ...env });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const services = createServices({ config, db, logger: silentLogger, snapshotOptions: { retryPolicy: FAST_RETRY }, upgradeOptions: { updateIntervalInMs: 50 } });
  await services.snapshotService.run('cli', 'test');
  services.upgradeRunner.start();
  const app = await buildApp({ services });
  const key = (name: string, role: 'auditor' | 'operator' | 'admin') => services.keyService.create({ name, role, expiresAt: null, actor: 'test' }).key;
  const keys: Record<Role, string> = { auditor: key('auditor', 'auditor'), operator: key('operator', 'operator'), admin: key('admin', 'admin'), admin2: key('admin2', 'admin') };
  const [clusterId] = emulator.fleet.listClusterIds();
  const call = async (as: Role, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[as]}`, ...headers }, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: String(response.headers['content-type'] ?? '').includes('json') ? (response.json() as Record<string, any>) : {}, raw: response };
  };
  const start = (as: Role, body: object, idempotencyKey = `k-${Math.random()}`) => call(as, 'POST', '/api/v1/upgrades', { clusterId, reason: 'patch Tuesday', changeTicket: 'CHG-7', ...body }, { 'idempotency-key': idempotencyKey });
  const finished = async (id: string) => {
    await services.upgradeRunner.idle();
    return (await call('auditor', 'GET', `/api/v1/upgrades/${id}`)).body;
  };
  return { emulator, services, app, call, start, finished, clusterId: clusterId!, close: () => app.close() };
}

describe('upgrades API', () => {
  it('runs end to end over HTTPS and serves the run, its timeline, its evidence and a certificate', async () => {
    const h = await harness();
    const dry = await h.start('operator', { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.pools.map((p: { poolName: string }) => p.poolName)).toEqual(['batch', 'web', 'system']);
    expect((await h.call('auditor', 'GET', '/api/v1/upgrades')).body.items).toEqual([]);

    const started = await h.start('operator', {});
    expect(started.status).toBe(202);
    const run = await h.finished(started.body.id);
    expect(run).toMatchObject({ status: 'succeeded', requestedBy: 'key:operator', changeTicket: 'CHG-7' });
    expect(run.pools.every((p: { imageAfter: string; kubernetesVersionBefore: string; kubernetesVersionAfter: string }) => p.imageAfter === NEW && p.kubernetesVersionAfter === p.kubernetesVersionBefore)).toBe(true);
    expect(run.timeline.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['requested', 'prechecks', 'submitted', 'pool_succeeded', 'postchecks', 'completed']));
    const evidence = (await h.call('auditor', 'GET', `/api/v1/upgrades/${run.id}/evidence?format=json`)).body;
    expect(evidence.entries.length).toBe(run.timeline.length);
    expect(evidence.entries[0].inclusionProof).toBeInstanceOf(Array);
    const pdf = await h.call('auditor', 'GET', `/api/v1/upgrades/${run.id}/evidence?format=pdf`);
    expect(pdf.raw.headers['content-type']).toBe('application/pdf');
    const text = (await pdfText(pdf.raw.rawPayload)).replace(/\s+/g, ' ');
    expect(text).toContain('Node image upgrade certificate');
    expect(text).toContain('SUCCEEDED');
    expect(text).toContain('CHG-7');
    // Drift follows the run.
    expect((await h.call('auditor', 'GET', '/api/v1/compliance/summary')).body.counts.current).toBe(3);
    // The stream of a finished run replays its events and ends.
    const events = await h.call('auditor', 'GET', `/api/v1/upgrades/${run.id}/events`);
    expect(events.raw.headers['content-type']).toMatch(/text\/event-stream/);
    expect(events.raw.body).toMatch(/^id: \d+\nevent: requested\ndata: \{/);
    expect(events.raw.body.trim().split('\n\n').at(-1)).toMatch(/event: completed/);
    const resumed = await h.call('auditor', 'GET', `/api/v1/upgrades/${run.id}/events`, undefined, { 'last-event-id': String(run.timeline.at(-2).sequence) });
    expect(resumed.raw.body.match(/^event: /gm)).toHaveLength(1);
    // Reports list the runs of their period.
    const today = new Date().toISOString().slice(0, 10);
    const report = (await h.call('auditor', 'POST', '/api/v1/reports', { from: today, to: today })).body;
    await h.services.reportService.completion(report.id);
    const json = JSON.parse((await h.call('auditor', 'GET', `/api/v1/reports/${report.id}/download?format=json`)).raw.body) as { upgrades: { id: string; status: string }[] };
    expect(json.upgrades).toEqual([expect.objectContaining({ id: run.id, status: 'succeeded' })]);
    await h.close();
  });

  it('is idempotent per key, allows one active run per cluster, and needs the key', async () => {
    const h = await harness();
    expect((await h.call('operator', 'POST', '/api/v1/upgrades', { clusterId: h.clusterId, reason: 'x' })).body.error.code).toBe('idempotency_key_required');
    const burst = await Promise.all(Array.from({ length: 20 }, () => h.start('operator', {}, 'same-key')));
    const accepted = new Set(burst.filter((r) => r.status === 202).map((r) => r.body.id));
    expect(accepted.size).toBe(1);
    for (const r of burst) expect([202, 409]).toContain(r.status);
    const other = await h.start('operator', {}, 'other-key');
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'upgrade_in_progress', details: { runId: [...accepted][0] } });
    expect((await h.start('operator', { reason: 'different body' }, 'same-key')).status).toBe(422);
    await h.finished([...accepted][0]!);
    expect((await h.call('auditor', 'GET', '/api/v1/upgrades')).body.items).toHaveLength(1);
    await h.close();
  });

  it('stops at a failing pool: later pools are not attempted, the error is recorded', async () => {
    const h = await harness();
    h.emulator.setFaults({ rules: [{ action: 'fail-upgrade', poolName: 'web', code: 'UpgradeFailed', message: 'Drain failed: PDB blocks eviction.' }] });
    const run = await h.finished((await h.start('operator', {})).body.id);
    expect(run.status).toBe('failed');
    expect(run.pools.map((p: { poolName: string; status: string }) => [p.poolName, p.status])).toEqual([['batch', 'succeeded'], ['web', 'failed'], ['system', 'not_attempted']]);
    expect(run.pools[1].error.message).toMatch(/PDB blocks eviction/);
    expect(run.timeline.map((e: { event: string }) => e.event)).toContain('pool_failed');
    expect(run.timeline.at(-1).event).toBe('failed');
    await h.close();
  });

  it('aborts a running run in Azure and records it; roles: auditors cannot start or abort, operators cannot override', async () => {
    const h = await harness();
    h.emulator.configure({ upgradeDurationMs: 5000 });
    expect((await h.start('auditor', {})).status).toBe(403);
    expect((await h.start('operator', { overrideWindow: { reason: 'emergency' } })).body.error.code).toBe('override_requires_admin');
    const { id } = (await h.start('operator', {})).body;
    for (let i = 0; i < 100 && !(await h.call('auditor', 'GET', `/api/v1/upgrades/${id}`)).body.timeline.some((e: { event: string }) => e.event === 'submitted'); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await h.call('auditor', 'POST', `/api/v1/upgrades/${id}/abort`)).status).toBe(403);
    expect((await h.call('operator', 'POST', `/api/v1/upgrades/${id}/abort`)).status).toBe(200);
    const run = await h.finished(id);
    expect(run.status).toBe('aborted');
    expect(run.pools.map((p: { status: string }) => p.status)).toEqual(['aborted', 'not_attempted', 'not_attempted']);
    // Who asked: on the run, and in the entry that ends it (recorded by the runner, as `system`).
    expect(run.abortRequestedBy).toBe('key:operator');
    expect(run.timeline.at(-1)).toMatchObject({ event: 'aborted', data: { abortRequestedBy: 'key:operator' } });
    expect((await h.call('operator', 'POST', `/api/v1/upgrades/${id}/abort`)).body.error.code).toBe('invalid_state');
    await h.close();
  });

  it('outside the maintenance window: refused where the policy says so, unless an admin overrides with a reason', async () => {
    const policyFile = `${tempDir()}/policy.yaml`;
    (await import('node:fs')).writeFileSync(policyFile, 'version: 1\nupgrades:\n  - name: prod\n    match: { tags: { env: prod } }\n    outsideWindow: refuse\n');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const h = await harness(
      { tags: { env: 'prod' }, maintenanceConfigurations: [{ name: 'aksManagedNodeOSUpgradeSchedule', properties: { maintenanceWindow: { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startDate: tomorrow, startTime: '00:00' } } }] } as unknown as Partial<FleetCluster>,
      { IMAGEWARDEN_POLICY_FILE: policyFile },
    );
    const refused = await h.start('operator', {});
    expect(refused.body.status).toBe('blocked');
    const blocked = await h.finished(refused.body.id);
    expect(blocked.prechecks.find((c: { name: string }) => c.name === 'maintenance_window')).toMatchObject({ verdict: 'block', observed: { inWindow: false, policy: 'refuse' } });
    // Refused at submission: over at once (it ends when it was asked for), and no pool attempted.
    expect(blocked.finishedAt).toBe(blocked.createdAt);
    expect(blocked.createdAt).toEqual(expect.any(String));
    expect(blocked.pools.length).toBeGreaterThan(0);
    for (const pool of blocked.pools) expect(pool).toMatchObject({ status: 'not_attempted', error: { code: 'precheck_blocked', message: 'blocked by maintenance_window' } });
    const overridden = await h.start('admin', { overrideWindow: { reason: 'CVE-2026-1234 emergency' } });
    expect(overridden.status).toBe(202);
    const run = await h.finished(overridden.body.id);
    expect(run.status).toBe('succeeded');
    expect(run.prechecks.find((c: { name: string }) => c.name === 'maintenance_window')).toMatchObject({ verdict: 'warn', observed: { overriddenBecause: 'CVE-2026-1234 emergency' } });
    await h.close();
  });

  it('keeps polling through 429s and 5xx: a failed poll never fails the run', async () => {
    const h = await harness();
    h.emulator.setFaults({ rules: [
      { operation: 'operations.get', nth: 1, times: 2, action: 'throttle', retryAfterSeconds: 1 },
      { operation: 'operations.get', nth: 4, times: 2, action: 'error', status: 503 },
      { operation: 'agentPools.get', nth: 3, times: 1, action: 'error', status: 500 },
    ] });
    const run = await h.finished((await h.start('operator', { pools: ['web'] })).body.id);
    expect(run.status, JSON.stringify(run)).toBe('succeeded');
    expect(run.pools).toHaveLength(1);
    await h.close();
  });

  it('waits for approval where the policy asks, from an admin other than the requester', async () => {
    const policyFile = `${tempDir()}/policy.yaml`;
    (await import('node:fs')).writeFileSync(policyFile, 'version: 1\nupgrades:\n  - name: prod\n    match: { tags: { env: prod } }\n    requireApproval: true\n');
    const h = await harness({ tags: { env: 'prod' } }, { IMAGEWARDEN_POLICY_FILE: policyFile });
    const { id, status } = (await h.start('admin', {})).body;
    expect(status).toBe('pending_approval');
    expect((await h.call('admin', 'POST', `/api/v1/upgrades/${id}/approve`)).body.error.code).toBe('four_eyes_required');
    expect((await h.call('operator', 'POST', `/api/v1/upgrades/${id}/approve`)).status).toBe(403);
    const approved = (await h.call('admin2', 'POST', `/api/v1/upgrades/${id}/approve`)).body;
    expect(approved).toMatchObject({ approvedBy: 'key:admin2' });
    expect(['queued', 'running']).toContain(approved.status);
    const run = await h.finished(id);
    expect(run.status).toBe('succeeded');
    expect(run.timeline.map((e: { event: string }) => e.event)).toContain('approved');
    await h.close();
  });
});

describe('upgrades against AKS quirks', () => {
  it('fails its post-checks loudly when a Kubernetes version changed behind its back', async () => {
    const h = await harness();
    h.emulator.configure({ upgradeDurationMs: 600 });
    const { id } = (await h.start('operator', { pools: ['web'] })).body;
    for (let i = 0; i < 100 && !(await h.call('auditor', 'GET', `/api/v1/upgrades/${id}`)).body.timeline.some((e: { event: string }) => e.event === 'submitted'); i++) await new Promise((r) => setTimeout(r, 20));
    h.emulator.fleet.setKubernetesVersion(h.clusterId, '1.33.1', 'web');
    const run = await h.finished(id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'postcheck_failed' });
    const post = run.timeline.find((e: { event: string }) => e.event === 'postchecks');
    expect(post.data.checks.find((c: { name: string }) => c.name === 'kubernetes_version:web')).toMatchObject({ ok: false, before: '1.32.6', after: '1.33.1' });
    await h.close();
  });

  it('confirms the outcome by re-reading the pool when the final Location GET answers 204, and skips an already-current pool', async () => {
    const h = await harness();
    h.emulator.configure({ locationMode: '204' });
    const run = await h.finished((await h.start('operator', { pools: ['web'] })).body.id);
    expect(run.status).toBe('succeeded');
    expect(run.pools[0]).toMatchObject({ status: 'succeeded', imageAfter: NEW });
    const again = await h.finished((await h.start('operator', { pools: ['web'] })).body.id);
    expect(again.pools[0]).toMatchObject({ status: 'skipped' });
    expect(again.timeline.filter((e: { event: string }) => e.event === 'submitted')).toHaveLength(0);
    expect((await h.start('operator', { pools: ['nope'] })).body.error.code).toBe('unknown_pool');
    await h.close();
  });

  it('is blocked by Azure when another actor is already upgrading a pool of the busy cluster', async () => {
    const h = await harness();
    h.emulator.configure({ conflictScope: 'cluster', upgradeDurationMs: 3000 });
    const { subscriptionId, resourceGroup, name } = parseClusterId(h.clusterId)!;
    const other = new ContainerServiceClient(staticTokenCredential(h.emulator.token), subscriptionId, { endpoint: h.emulator.url, retryOptions: { maxRetries: 0 } });
    await other.agentPools.upgradeNodeImageVersion(resourceGroup, name, 'web', { updateIntervalInMs: 50 }).submitted();
    const run = await h.finished((await h.start('operator', { pools: ['batch'] })).body.id);
    expect(run.status).toBe('blocked');
    expect(run.pools[0].error).toMatchObject({ code: 'OperationNotAllowed', message: expect.stringContaining('in progress on agent pool (web)') });
    await h.close();
  });

  it('records AKS refusing a second operation (409) as blocked by Azure, not as its own failure', async () => {
    const h = await harness();
    h.emulator.setFaults({ rules: [{ operation: 'agentPools.upgradeNodeImageVersion', action: 'error', status: 409, code: 'OperationNotAllowed', message: 'Operation is not allowed: Another agentpool operation (Scaling) is in progress, please wait for it to finish before starting a new operation.' }] });
    const run = await h.finished((await h.start('operator', { pools: ['web', 'batch'] })).body.id);
    expect(run.status).toBe('blocked');
    expect(run.pools.map((p: { status: string }) => p.status)).toEqual(['failed', 'not_attempted']);
    expect(run.pools[0].error.code).toBe('OperationNotAllowed');
    expect(run.timeline.at(-1).event).toBe('blocked');
    await h.close();
  });
});
