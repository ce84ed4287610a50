import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { FleetFile } from '../../src/emulator/types.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { parseScrape } from '../helpers/prometheus.js';
import { createTestServices, FAST_RETRY, silentLogger, testConfig } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const METRIC_NAMES = [
  'imagewarden_arm_requests_total',
  'imagewarden_arm_retries_total',
  'imagewarden_arm_throttled_total',
  'imagewarden_exceptions_expiring_within_7d',
  'imagewarden_findings_open',
  'imagewarden_kubernetes_requests_total',
  'imagewarden_last_fleet_snapshot_age_seconds',
  'imagewarden_ledger_entries',
  'imagewarden_ledger_last_verification_timestamp_seconds',
  'imagewarden_ledger_verified',
  'imagewarden_node_checks_total',
  'imagewarden_pools',
  'imagewarden_pools_breaching_within_7d',
  'imagewarden_snapshot_duration_seconds',
  'imagewarden_snapshots_total',
  'imagewarden_upgrade_runs_active',
  'imagewarden_upgrade_runs_total',
  'imagewarden_webhook_deliveries_total',
];

const LATEST = `${UBUNTU}-{{YYYYMM.DD-1}}.0`;

/**
 * Three pools, one per status that matters here (by the emulator's clock, which is now): `old` far beyond the
 * 30-day SLA, `soon` on an image released 25 days ago (its breach instant 5 days ahead), `new` on the latest image.
 */
function threeStatusFleet(): FleetFile {
  return {
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: LATEST } },
    subscriptions: [
      {
        id: SUB_1,
        clusters: [
          cluster('aks-old', [pool('old', { nodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-90}}.0` })], { tags: { env: 'prod' } }),
          cluster('aks-soon', [pool('soon', { nodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-25}}.0` })]),
          cluster('aks-new', [pool('new', { nodeImageVersion: LATEST })]),
        ],
      },
    ],
  };
}

async function serviceWith(fleet: FleetFile, env: Record<string, string> = {}) {
  const emulator = await startTestEmulator(fleet);
  const { services, db } = createTestServices(testConfig(emulator, env));
  const app = await buildApp({ services });
  const scrape = async (headers: Record<string, string> = {}) => {
    const response = await app.inject({ url: '/metrics', headers });
    expect(response.statusCode, response.body).toBe(200);
    return parseScrape(response.body);
  };
  const close = async () => {
    await app.close();
    db.close();
  };
  return { emulator, services, db, app, scrape, close };
}

describe('GET /metrics', () => {
  it('answers the Prometheus text format without a key: process metrics and every imagewarden metric with its help', async () => {
    const h = await serviceWith(threeStatusFleet());
    const response = await h.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const scrape = parseScrape(response.body);
    expect(scrape.families.get('process_cpu_seconds_total')).toBe('counter');
    expect(scrape.families.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    const ours = [...scrape.families.keys()].filter((name) => name.startsWith('imagewarden_')).sort();
    expect(ours).toEqual(METRIC_NAMES);
    for (const name of ours) expect(response.body, name).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    // …and the README's Metrics table names each of them.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('\n## Metrics'), readme.indexOf('\n## ', readme.indexOf('\n## Metrics') + 1));
    for (const name of ours) expect(table, name).toContain(`\`${name}\``);
    // Nothing observed yet: no snapshot age, no verification; counted outcomes start at zero.
    expect(scrape.value('imagewarden_last_fleet_snapshot_age_seconds')).toBeNaN();
    expect(scrape.value('imagewarden_ledger_verified')).toBeNaN();
    expect(scrape.value('imagewarden_snapshots_total', { scope: 'fleet', status: 'succeeded' })).toBe(0);
    expect(scrape.value('imagewarden_upgrade_runs_total', { status: 'failed' })).toBe(0);
    expect(scrape.sum('imagewarden_pools')).toBe(0);
    await h.close();
  });

  it('a fleet snapshot moves the snapshot and ARM counters; the fleet gauges follow the summary, findings and exceptions', async () => {
    const h = await serviceWith(threeStatusFleet());
    const snapshot = await h.services.snapshotService.run('api', 'test');
    expect(snapshot.status).toBe('succeeded');

    const after = await h.scrape();
    expect(after.value('imagewarden_snapshots_total', { scope: 'fleet', status: 'succeeded' })).toBe(1);
    expect(after.value('imagewarden_snapshot_duration_seconds_count', { scope: 'fleet' })).toBe(1);
    expect(after.value('imagewarden_snapshot_duration_seconds_sum', { scope: 'fleet' })).toBeGreaterThan(0);
    // Every ARM attempt the snapshot made, by operation (never by resource name), all answered.
    expect(after.sum('imagewarden_arm_requests_total')).toBe(snapshot.armCalls);
    expect(after.value('imagewarden_arm_requests_total', { operation: 'resources', status: '2xx' })).toBeGreaterThanOrEqual(2);
    expect(after.value('imagewarden_arm_requests_total', { operation: 'agentPools.getUpgradeProfile', status: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(after.samples.filter((s) => s.name === 'imagewarden_arm_requests_total').every((s) => /^[A-Za-z]+(\.[A-Za-z]+)?$/.test(s.labels.operation!))).toBe(true);
    expect(after.sum('imagewarden_arm_throttled_total')).toBe(0);

    // The pool gauges are the summary's counts; the breach within a week is the `soon` pool's.
    const summary = h.services.inventory.summary({});
    for (const [status, count] of Object.entries(summary.counts)) expect(after.value('imagewarden_pools', { status }), status).toBe(count);
    expect(summary.counts).toMatchObject({ current: 1, within_policy: 1, non_compliant: 1 });
    expect(after.value('imagewarden_pools_breaching_within_7d')).toBe(1);
    expect(after.value('imagewarden_findings_open', { kind: 'sla_breach' })).toBe(1);
    expect(after.value('imagewarden_findings_open', { kind: 'coverage_gap' })).toBe(0);
    expect(after.value('imagewarden_last_fleet_snapshot_age_seconds')).toBeLessThan(60);
    expect(after.value('imagewarden_ledger_entries')).toBe(h.services.evidenceRepo.lastEntry()!.seq);
    expect(after.value('imagewarden_ledger_entries')).toBeGreaterThan(0);

    // An exception approved for 3 days expires within the week; it covers `old`, whose finding is then risk-accepted.
    const [oldCluster] = h.emulator.fleet.listClusterIds().filter((id) => id.endsWith('/aks-old'));
    const requested = h.services.exceptionService.request(
      { scope: { kind: 'cluster', clusterId: oldCluster! }, reason: 'vendor driver', compensatingControl: 'isolated', ticket: 'RISK-1', expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString() },
      'key:alice',
    );
    h.services.exceptionService.approve(requested.id, 'key:bob', null);
    // The fleet evaluation is cached for a few seconds; a snapshot's end refreshes it.
    await h.services.snapshotService.run('api', 'test');
    const excepted = await h.scrape();
    expect(excepted.value('imagewarden_exceptions_expiring_within_7d')).toBe(1);
    expect(excepted.value('imagewarden_pools', { status: 'excepted' })).toBe(1);
    expect(excepted.value('imagewarden_findings_open', { kind: 'sla_breach' })).toBe(0);
    expect(excepted.value('imagewarden_snapshots_total', { scope: 'fleet', status: 'succeeded' })).toBe(2);

    // The ledger gauge shows the last verification asked for through the API.
    const auditor = h.services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key;
    const verify = await h.app.inject({ url: '/api/v1/evidence/verify', headers: { authorization: `Bearer ${auditor}` } });
    expect(verify.json()).toMatchObject({ intact: true });
    const verified = await h.scrape();
    expect(verified.value('imagewarden_ledger_verified')).toBe(1);
    expect(verified.value('imagewarden_ledger_last_verification_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    await h.close();
  });

  it('a throttled ARM call (429 with Retry-After) shows in the throttle, status and retry counters', async () => {
    const h = await serviceWith(threeStatusFleet());
    h.emulator.setFaults({ rules: [{ operation: 'agentPools.getUpgradeProfile', action: 'throttle', retryAfterSeconds: 0, times: 1 }] });
    const snapshot = await h.services.snapshotService.run('api', 'test');
    expect(snapshot.status).toBe('succeeded');
    const scrape = await h.scrape();
    const operation = 'agentPools.getUpgradeProfile';
    expect(scrape.value('imagewarden_arm_throttled_total', { operation })).toBe(1);
    expect(scrape.value('imagewarden_arm_requests_total', { operation, status: '429' })).toBe(1);
    expect(scrape.value('imagewarden_arm_retries_total', { operation })).toBe(1);
    expect(scrape.sum('imagewarden_arm_requests_total')).toBe(snapshot.armCalls);
    await h.close();
  });

  it('a failed upgrade run counts by outcome; a run waiting for approval is active; cluster reads count as requests', async () => {
    const emulator = await startTestEmulator(threeStatusFleet());
    const policyFile = `${tempDir()}/policy.yaml`;
    writeFileSync(policyFile, 'version: 1\nupgrades:\n  - name: prod\n    match: { tags: { env: prod } }\n    requireApproval: true\n');
    const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_POLICY_FILE: policyFile }));
    const app = await buildApp({ services });
    await services.snapshotService.run('api', 'test');
    const clusterOf = (name: string) => emulator.fleet.listClusterIds().find((id) => id.endsWith(`/${name}`))!;
    emulator.setFaults({ rules: [{ action: 'fail-upgrade', poolName: 'soon', message: 'Drain failed: PDB blocks eviction.' }] });
    services.upgradeRunner.start();
    const failed = await services.upgradeService.request({ clusterId: clusterOf('aks-soon'), reason: 'patch' }, { actor: 'key:ops', role: 'operator' }, 'run-1');
    const waiting = await services.upgradeService.request({ clusterId: clusterOf('aks-old'), reason: 'patch' }, { actor: 'key:ops', role: 'operator' }, 'run-2');
    await services.upgradeRunner.idle();
    expect(services.upgradeService.get((failed.body as { id: string }).id).status).toBe('failed');
    expect(services.upgradeService.get((waiting.body as { id: string }).id).status).toBe('pending_approval');

    const scrape = parseScrape((await app.inject({ url: '/metrics' })).body);
    expect(scrape.value('imagewarden_upgrade_runs_total', { status: 'failed' })).toBe(1);
    expect(scrape.value('imagewarden_upgrade_runs_total', { status: 'succeeded' })).toBe(0);
    expect(scrape.value('imagewarden_upgrade_runs_active', { status: 'pending_approval' })).toBe(1);
    expect(scrape.value('imagewarden_upgrade_runs_active', { status: 'running' })).toBe(0);
    // The run's reads of the pool through ARM, and of its nodes through the cluster's own API server.
    expect(scrape.value('imagewarden_arm_requests_total', { operation: 'agentPools.get', status: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(scrape.sum('imagewarden_kubernetes_requests_total', { operation: 'nodes.list' })).toBeGreaterThanOrEqual(1);
    await services.upgradeRunner.stop();
    await app.close();
    db.close();
  });

  it('each app counts its own work only (a registry per app, not the global one)', async () => {
    const first = await serviceWith(threeStatusFleet());
    const second = await serviceWith(threeStatusFleet());
    await first.services.snapshotService.run('api', 'test');
    expect((await first.scrape()).value('imagewarden_snapshots_total', { scope: 'fleet', status: 'succeeded' })).toBe(1);
    const other = await second.scrape();
    expect(other.value('imagewarden_snapshots_total', { scope: 'fleet', status: 'succeeded' })).toBe(0);
    expect(other.sum('imagewarden_arm_requests_total')).toBe(0);
    await first.close();
    await second.close();
  });
});

describe('IMAGEWARDEN_METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789abcdef';

  it('when set, /metrics needs it as a bearer token: 401 without it or with another; API keys do not open it', async () => {
    const h = await serviceWith(threeStatusFleet(), { IMAGEWARDEN_METRICS_TOKEN: token });
    const none = await h.app.inject({ url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    for (const presented of [`${token}x`, token.slice(0, -1), 'x'.repeat(token.length), h.services.keyService.create({ name: 'a', role: 'admin', expiresAt: null, actor: 'test' }).key]) {
      const wrong = await h.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${presented}` } });
      expect(wrong.statusCode, presented).toBe(401);
    }
    const scrape = await h.scrape({ authorization: `Bearer ${token}` });
    expect(scrape.families.has('imagewarden_pools')).toBe(true);
    // The probes stay open.
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await h.close();
  });

  it('is validated at start-up without echoing it', () => {
    const base = { IMAGEWARDEN_ARM_TOKEN: 't', IMAGEWARDEN_DATA_DIR: tempDir() };
    expect(() => loadConfig({ ...base, IMAGEWARDEN_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, IMAGEWARDEN_METRICS_TOKEN: 'has a space in it, sixteen+' })).toThrow(/IMAGEWARDEN_METRICS_TOKEN/);
    try {
      loadConfig({ ...base, IMAGEWARDEN_METRICS_TOKEN: 'short' });
    } catch (error) {
      expect((error as Error).message).not.toContain('short');
    }
    expect(loadConfig({ ...base, IMAGEWARDEN_METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(loadConfig(base).metricsToken).toBeNull();
  });
});

describe('readiness and snapshot age', () => {
  it('a stale fleet snapshot shows in the age gauge but never fails /readyz; with no snapshot at all /readyz is ready too', async () => {
    const emulator = await startTestEmulator(threeStatusFleet());
    const config = testConfig(emulator);
    const db = openDatabase(config.databaseFile);
    migrate(db);
    const clock = { now: Date.now() - 3 * 3_600_000 };
    const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
    const app = await buildApp({ services });
    const none = await app.inject({ url: '/readyz' });
    expect(none.statusCode).toBe(200);
    expect(parseScrape((await app.inject({ url: '/metrics' })).body).value('imagewarden_last_fleet_snapshot_age_seconds')).toBeNaN();

    await services.snapshotService.run('schedule', 'system');
    clock.now += 3 * 3_600_000;
    const age = parseScrape((await app.inject({ url: '/metrics' })).body).value('imagewarden_last_fleet_snapshot_age_seconds')!;
    // Three hours old: past the 2-hour alert threshold for the hourly default schedule.
    expect(age).toBeGreaterThan(3 * 3600 - 60);
    expect(age).toBeLessThan(3 * 3600 + 60);
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await app.close();
    db.close();
  });
});
