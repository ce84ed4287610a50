import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { cluster, pool, SUB_1, SUB_2, TENANT, UBUNTU } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const POOL_FIELDS = [
  'clusterId', 'clusterName', 'subscriptionId', 'resourceGroup', 'location', 'poolName', 'mode', 'osType', 'osSku', 'nodeCount', 'nodeImageVersion',
  'latestNodeImageVersion', 'kubernetesVersion', 'nodeOSUpgradeChannel', 'imageFamily', 'imageReleaseDate', 'imageAgeDays', 'latestReleaseDate',
  'daysBehindLatest', 'releasesBehind', 'supersededAt', 'supersededAtSource', 'exposureDays', 'firstSeenBehindAt', 'status', 'policyRule', 'slaDays',
  'exceptionId', 'findingId', 'observedAt',
];
const V1 = `${UBUNTU}-202609.02.0`;
const V2 = `${UBUNTU}-202609.16.0`;
const V3 = `${UBUNTU}-202610.01.0`;

/** A service whose clock the test moves, over a fleet the test changes between snapshots. */
async function harness(policyYaml?: string) {
  const emulator = await startTestEmulator({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: V1 } },
    subscriptions: [
      {
        id: SUB_1,
        clusters: [
          cluster('aks-prod', [pool('system', { mode: 'System', nodeImageVersion: V1 }), pool('web', { nodeImageVersion: V1 })], { tags: { env: 'prod' } }),
        ],
      },
      { id: SUB_2, clusters: [cluster('aks-dev', [pool('nodes', { nodeImageVersion: V1 })], { tags: { env: 'dev' } })] },
    ],
  });
  const dir = tempDir();
  const env: Record<string, string> = {
    IMAGEWARDEN_DATA_DIR: dir,
    IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
    IMAGEWARDEN_ARM_TOKEN: emulator.token,
    IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}`,
  };
  if (policyYaml) {
    writeFileSync(join(dir, 'policy.yaml'), policyYaml);
    env.IMAGEWARDEN_POLICY_FILE = join(dir, 'policy.yaml');
  }
  const config = loadConfig(env);
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: Date.parse('2026-09-03T12:00:00Z') };
  const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
  services.recordPolicy('test');
  const app = await buildApp({ services });
  const { key } = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' });
  const get = async (url: string) => {
    const response = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> & { items: Record<string, unknown>[] } };
  };
  const snapshotAt = async (iso: string) => {
    clock.now = Date.parse(iso);
    expect((await services.snapshotService.run('schedule', 'system')).status).not.toBe('failed');
  };
  return { emulator, app, db, get, snapshotAt, clock, close: async () => { await app.close(); db.close(); } };
}

describe('compliance over the API', () => {
  it('lists pools by status, summarises, and answers any past moment as it was then', async () => {
    const h = await harness();
    await h.snapshotAt('2026-09-03T12:00:00Z'); // V1 is latest: everyone current
    h.emulator.fleet.setLatestImage('*', UBUNTU, V2);
    await h.snapshotAt('2026-09-20T12:00:00Z'); // V2 appears: everyone behind, observed succession from V2's release
    h.emulator.fleet.setLatestImage('*', UBUNTU, V3);
    const [prod, dev] = h.emulator.fleet.listClusterIds();
    h.emulator.fleet.setPoolImage(prod!, 'system', V3);
    await h.snapshotAt('2026-10-20T12:00:00Z'); // system upgraded; web and nodes 34 days past V2's release

    const now = await h.get('/api/v1/pools?status=non_compliant');
    expect(now.status).toBe(200);
    expect(now.body.items.map((p) => p.poolName).sort()).toEqual(['nodes', 'web']);
    expect(now.body.items[0]).toMatchObject({
      status: 'non_compliant',
      supersededAt: '2026-09-16T00:00:00.000Z',
      supersededAtSource: 'observed',
      exposureDays: 34,
      releasesBehind: 2,
      slaDays: 30,
      policyRule: 'default',
      firstSeenBehindAt: '2026-09-20T12:00:00.000Z',
    });
    expect((await h.get('/api/v1/pools?status=current')).body.items.map((p) => p.poolName)).toEqual(['system']);
    // Exactly CONTRACT.md's pool fields, in its order (the page is written from the kept evaluation's serialised items).
    expect(Object.keys(now.body.items[0]!)).toEqual(POOL_FIELDS);
    const paged = await h.get('/api/v1/pools?limit=2');
    expect(paged.body.items).toHaveLength(2);
    const rest = await h.get(`/api/v1/pools?limit=2&cursor=${encodeURIComponent(paged.body.nextCursor as string)}`);
    expect([...paged.body.items, ...rest.body.items].map((p) => p.poolName)).toEqual((await h.get('/api/v1/pools')).body.items.map((p) => p.poolName));
    expect(rest.body.nextCursor).toBeNull();

    const summary = await h.get('/api/v1/compliance/summary');
    expect(summary.body).toMatchObject({
      asOf: '2026-10-20T12:00:00.000Z',
      scope: null,
      total: 3,
      counts: { current: 1, within_policy: 0, non_compliant: 2, excepted: 0, unknown: 0 },
      compliancePercent: 33.3,
      compliancePercentWithExceptions: 33.3,
    });
    expect(summary.body.bySubscription).toEqual([
      { subscriptionId: SUB_1, total: 2, counts: { current: 1, within_policy: 0, non_compliant: 1, excepted: 0, unknown: 0 }, compliancePercent: 50, compliancePercentWithExceptions: 50 },
      { subscriptionId: SUB_2, total: 1, counts: { current: 0, within_policy: 0, non_compliant: 1, excepted: 0, unknown: 0 }, compliancePercent: 0, compliancePercentWithExceptions: 0 },
    ]);

    // The past, after later snapshots changed everything.
    const early = await h.get('/api/v1/pools?asOf=2026-09-10T00:00:00Z');
    expect(early.body.items.map((p) => [p.poolName, p.status, p.nodeImageVersion]).sort()).toEqual([
      ['nodes', 'current', V1],
      ['system', 'current', V1],
      ['web', 'current', V1],
    ]);
    const mid = await h.get('/api/v1/compliance/summary?asOf=2026-10-01T00:00:00Z');
    expect(mid.body).toMatchObject({ counts: { current: 0, within_policy: 3, non_compliant: 0 } });
    const subscriptionScope = await h.get(`/api/v1/compliance/summary?scope=${SUB_2}`);
    expect(subscriptionScope.body).toMatchObject({ scope: SUB_2, total: 1 });
    expect((await h.get('/api/v1/compliance/summary?scope=nonesuch')).status).toBe(400);
    await h.close();
  });

  it('applies the policy file’s rules and scopes, and shows the rule that decided', async () => {
    const h = await harness(`
version: 1
rules:
  - name: prod-14
    match: { tags: { env: prod } }
    slaDays: 14
  - name: dev-60
    match: { tags: { env: dev } }
    slaDays: 60
scopes:
  cardholder:
    tags: { env: prod }
`);
    await h.snapshotAt('2026-09-03T12:00:00Z');
    h.emulator.fleet.setLatestImage('*', UBUNTU, V2);
    await h.snapshotAt('2026-10-05T12:00:00Z'); // 19 days after V2's release
    const pools = (await h.get('/api/v1/pools')).body.items;
    expect(pools.map((p) => [p.poolName, p.policyRule, p.slaDays, p.status])).toEqual(
      expect.arrayContaining([
        ['system', 'prod-14', 14, 'non_compliant'],
        ['web', 'prod-14', 14, 'non_compliant'],
        ['nodes', 'dev-60', 60, 'within_policy'],
      ]),
    );
    const cardholder = await h.get('/api/v1/compliance/summary?scope=cardholder');
    expect(cardholder.body).toMatchObject({ scope: 'cardholder', total: 2, counts: { non_compliant: 2 }, compliancePercent: 0 });
    expect((await h.get('/api/v1/pools?scope=cardholder&status=within_policy')).body.items).toEqual([]);
    await h.close();
  });
});
