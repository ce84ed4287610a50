import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { POOL_SORT_FIELDS } from '../../src/domain/pool-order.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, SUB_2, TENANT, UBUNTU } from '../helpers/fleets.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

type Pool = Record<string, unknown> & { clusterId: string; poolName: string; status: string };
const VERSIONS = ['202607.01.0', '202608.05.0', '202609.02.0', '202609.16.0', '202610.01.0', '202611.10.0'].map((v) => `${UBUNTU}-${v}`);
const AZURE_LINUX = 'AKSAzureLinux-V3gen2';
const RANK: Record<string, number> = { current: 0, within_policy: 1, excepted: 2, unknown: 3, non_compliant: 4 };
const keyOf = (pool: Pool) => `${pool.clusterId}/agentPools/${pool.poolName}`.toLowerCase();

/** The documented order, computed here independently: by value (names case-insensitive, statuses by rank), nulls last, ties by pool id. */
function expectedOrder(pools: Pool[], sort: string): string[] {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  const valueOf = (pool: Pool) => {
    const value = pool[field];
    if (field === 'status') return RANK[value as string]!;
    return typeof value === 'string' ? value.toLowerCase() : (value as number | null);
  };
  return [...pools]
    .sort((a, b) => {
      const [x, y] = [valueOf(a), valueOf(b)];
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * (descending ? -1 : 1);
      }
      return keyOf(a) < keyOf(b) ? -1 : 1;
    })
    .map(keyOf);
}

describe('GET /api/v1/pools?sort=', () => {
  it('orders the whole filter on the server, pages through it without gaps or repeats, now and at an earlier moment', async () => {
    // Pools on six releases (some twice, so ties are broken by id), mixed-case cluster names, two image families.
    // (Pools without a value come last either way: test/domain/pool-order.test.ts.)
    const emulator = await startTestEmulator({
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: VERSIONS.at(-1)! } },
      subscriptions: [
        {
          id: SUB_1,
          clusters: [
            cluster('aks-Pay', [pool('system', { mode: 'System', nodeImageVersion: VERSIONS[0]!, count: 3 }), pool('web', { nodeImageVersion: VERSIONS[3]!, count: 7 })]),
            cluster('aks-data', [pool('spark', { nodeImageVersion: VERSIONS[1]!, count: 5 }), pool('linux', { nodeImageVersion: `${AZURE_LINUX}-202609.01.0`, osSKU: 'AzureLinux', count: 2 })]),
          ],
        },
        {
          id: SUB_2,
          clusters: [
            cluster('AKS-edge', [pool('system', { mode: 'System', nodeImageVersion: VERSIONS[5]!, count: 1 }), pool('batch', { nodeImageVersion: VERSIONS[2]!, count: 9 })]),
            cluster('aks-ml', [pool('gpu', { nodeImageVersion: VERSIONS[1]!, count: 4 }), pool('cpu', { nodeImageVersion: VERSIONS[4]!, count: 6 }), pool('spot', { nodeImageVersion: VERSIONS[0]!, count: 3 })]),
          ],
        },
      ],
    });
    const config = loadConfig({ IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}` });
    const db = openDatabase(config.databaseFile);
    migrate(db);
    const clock = { now: Date.parse('2026-11-20T12:00:00Z') };
    const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
    services.recordPolicy('test');
    await services.snapshotService.run('cli', 'test');
    const betweenSnapshots = new Date(clock.now + 86_400_000).toISOString();
    // A second snapshot two days later, with pools upgraded meanwhile: before it, pools are read from the first
    // (evaluated afresh for each page), after it from the kept evaluation of the newest.
    clock.now += 2 * 86_400_000;
    const [payId, , , mlId] = emulator.fleet.listClusterIds().sort();
    emulator.fleet.setPoolImage(payId!, 'web', VERSIONS[5]!);
    emulator.fleet.setPoolImage(mlId!, 'spot', VERSIONS[4]!);
    await services.snapshotService.run('cli', 'test');
    clock.now += 86_400_000;
    const app = await buildApp({ services });
    const { key } = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' });
    const get = async (url: string) => {
      const response = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      return { status: response.statusCode, body: response.json() as { items: Pool[]; nextCursor: string | null; error?: { code: string } } };
    };
    /** Every page of `url` at `limit` per page, following nextCursor. */
    const walk = async (url: string, limit: number) => {
      const seen: Pool[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(`${url}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status, url).toBe(200);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      return seen;
    };

    const all = (await get('/api/v1/pools?limit=1000')).body.items;
    expect(all).toHaveLength(9);
    expect(new Set(all.map((p) => p.imageAgeDays)).size).toBeGreaterThan(3);
    const before = betweenSnapshots;
    const earlier = (await get(`/api/v1/pools?limit=1000&asOf=${before}`)).body.items;
    expect(earlier.map((p) => p.nodeImageVersion)).not.toEqual(all.map((p) => p.nodeImageVersion));
    for (const field of POOL_SORT_FIELDS) {
      for (const sort of [field, `-${field}`]) {
        // Now (the kept evaluation) and before the newest snapshot (evaluated afresh for each page).
        expect((await walk(`/api/v1/pools?sort=${sort}`, 2)).map(keyOf), sort).toEqual(expectedOrder(all, sort));
        expect((await walk(`/api/v1/pools?sort=${sort}&asOf=${before}`, 4)).map(keyOf), `${sort} asOf`).toEqual(expectedOrder(earlier, sort));
      }
    }
    // With filters: the oldest images out of policy first, as the overview asks.
    const behind = all.filter((p) => p.status === 'non_compliant');
    expect(behind.length).toBeGreaterThan(1);
    expect((await walk('/api/v1/pools?status=non_compliant&sort=-imageAgeDays', 1)).map(keyOf)).toEqual(expectedOrder(behind, '-imageAgeDays'));
    const sub2 = all.filter((p) => (p.subscriptionId as string).toLowerCase() === SUB_2);
    expect((await walk(`/api/v1/pools?subscriptionId=${SUB_2}&sort=nodeCount`, 2)).map(keyOf)).toEqual(expectedOrder(sub2, 'nodeCount'));

    // A cursor continues only its own listing.
    const sorted = (await get('/api/v1/pools?sort=-imageAgeDays&limit=2')).body.nextCursor!;
    const plain = (await get('/api/v1/pools?limit=2')).body.nextCursor!;
    for (const url of [`/api/v1/pools?sort=imageAgeDays&cursor=${sorted}`, `/api/v1/pools?cursor=${sorted}`, `/api/v1/pools?sort=-imageAgeDays&cursor=${plain}`]) {
      const refused = await get(url);
      expect(refused.status, url).toBe(400);
      expect(refused.body.error!.code, url).toBe('invalid_cursor');
    }
    const forged = Buffer.from(JSON.stringify({ k: 'a', s: 1, t: 1, o: '-imageAgeDays', v: '{"x":1}' })).toString('base64url');
    expect((await get(`/api/v1/pools?sort=-imageAgeDays&cursor=${forged}`)).status).toBe(400);
    expect((await get('/api/v1/pools?sort=imageAge')).status).toBe(400);
    expect((await get('/api/v1/pools?sort=--status')).status).toBe(400);
    await app.close();
    db.close();
  });
});
