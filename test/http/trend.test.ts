import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createComplianceTrend, inProcessWalker, trendWorkerWalker } from '../../src/services/compliance-trend.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { cluster, pool, SUB_1, SUB_2, TENANT, UBUNTU } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const V1 = `${UBUNTU}-202609.02.0`;
const V2 = `${UBUNTU}-202609.16.0`;
const V3 = `${UBUNTU}-202610.01.0`;

interface Figures {
  counts: Record<string, number>;
  total: number;
  compliancePercent: number | null;
  compliancePercentWithExceptions: number | null;
}
interface TrendDay extends Figures {
  day: string;
  at: string;
}

describe('GET /api/v1/compliance/trend', () => {
  it("gives each day's summary figures at 23:59:59Z, today's at now", async () => {
    const emulator = await startTestEmulator({
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: V1 } },
      subscriptions: [
        { id: SUB_1, clusters: [cluster('aks-prod', [pool('system', { mode: 'System', nodeImageVersion: V1 }), pool('web', { nodeImageVersion: V1 })])] },
        { id: SUB_2, clusters: [cluster('aks-dev', [pool('nodes', { nodeImageVersion: V1 })])] },
      ],
    });
    const dir = tempDir();
    const config = loadConfig({ IMAGEWARDEN_DATA_DIR: dir, IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}` });
    const db = openDatabase(config.databaseFile);
    migrate(db);
    const clock = { now: Date.parse('2026-09-03T12:00:00Z') };
    const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
    services.recordPolicy('test');
    const app = await buildApp({ services });
    const { key } = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' });
    const get = async <T>(url: string) => {
      const response = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      return { status: response.statusCode, body: response.json() as T };
    };
    const snapshotAt = async (iso: string) => {
      clock.now = Date.parse(iso);
      expect((await services.snapshotService.run('schedule', 'system')).status).not.toBe('failed');
    };
    await snapshotAt('2026-09-03T12:00:00Z');
    emulator.fleet.setLatestImage('*', UBUNTU, V2);
    await snapshotAt('2026-09-20T12:00:00Z');
    emulator.fleet.setLatestImage('*', UBUNTU, V3);
    const [prod] = emulator.fleet.listClusterIds();
    emulator.fleet.setPoolImage(prod!, 'system', V3);
    await snapshotAt('2026-10-20T12:00:00Z');

    const figures = ({ counts, total, compliancePercent, compliancePercentWithExceptions }: Figures) => ({ counts, total, compliancePercent, compliancePercentWithExceptions });
    const trend = await get<{ items: TrendDay[] }>('/api/v1/compliance/trend?days=60');
    expect(trend.status).toBe(200);
    const { items } = trend.body;
    expect(items).toHaveLength(60);
    expect(items.at(-1)!).toMatchObject({ day: '2026-10-20', at: '2026-10-20T12:00:00.000Z' });
    expect(items[0]).toMatchObject({ day: '2026-08-22', at: '2026-08-22T23:59:59.000Z', total: 0, compliancePercent: null });
    // The last day is the summary now; every past day is the summary at its 23:59:59Z.
    const now = await get<Figures & { asOf: string }>('/api/v1/compliance/summary');
    expect(figures(items.at(-1)!)).toEqual(figures(now.body));
    expect(now.body.compliancePercent).toBe(33.3);
    for (const day of ['2026-09-03', '2026-09-19', '2026-09-20', '2026-10-01', '2026-10-16', '2026-10-19']) {
      const item = items.find((i) => i.day === day)!;
      expect(item.at).toBe(`${day}T23:59:59.000Z`);
      const summary = await get<Figures>(`/api/v1/compliance/summary?asOf=${day}T23:59:59Z`);
      expect(figures(item), day).toEqual(figures(summary.body));
    }
    expect(items.find((i) => i.day === '2026-10-01')!.counts).toMatchObject({ within_policy: 3 });
    // Default 30 days; scope as the summary's; bounds.
    expect((await get<{ items: TrendDay[] }>('/api/v1/compliance/trend')).body.items).toHaveLength(30);
    const scoped = await get<{ items: TrendDay[] }>(`/api/v1/compliance/trend?days=1&scope=${SUB_2}`);
    expect(figures(scoped.body.items[0]!)).toEqual(figures((await get<Figures>(`/api/v1/compliance/summary?scope=${SUB_2}`)).body));
    expect((await get('/api/v1/compliance/trend?scope=nonesuch')).status).toBe(400);
    expect((await get('/api/v1/compliance/trend?days=0')).status).toBe(400);
    expect((await get('/api/v1/compliance/trend?days=91')).status).toBe(400);

    // Ended days are walked once and kept; two first looks share one walk; the answer stays the same.
    let walked = 0;
    const counted = {
      summary: (query: { asOf?: Date; scope?: string }) => services.inventory.summary(query),
      evaluateAcross: (moments: readonly Date[], scope?: string) => ((walked += moments.length), services.inventory.evaluateAcross(moments, scope)),
    };
    const memo = createComplianceTrend(counted, inProcessWalker(counted));
    const now60 = { days: 60, now: new Date(clock.now) };
    const [first, second] = await Promise.all([memo.trend(now60), memo.trend(now60)]);
    expect(first).toEqual(items);
    expect(second).toEqual(items);
    expect(walked).toBe(59);
    expect(await memo.trend(now60)).toEqual(items);
    expect(walked).toBe(59);
    // Shortly after midnight yesterday is not settled yet (a snapshot may still commit for it): walked each time.
    const early = { days: 2, now: new Date('2026-10-21T02:00:00Z') };
    await memo.trend(early);
    await memo.trend(early);
    expect(walked).toBe(61);

    // serve walks in a worker thread with its own read-only connection to the same file: the same days.
    const inWorker = createComplianceTrend(counted, trendWorkerWalker(config));
    expect(await inWorker.trend(now60)).toEqual(items);
    expect(walked).toBe(61);
    const scopedInWorker = await createComplianceTrend(counted, trendWorkerWalker(config)).trend({ days: 3, scope: SUB_2, now: new Date(clock.now) });
    expect(scopedInWorker.map(figures)).toEqual((await get<{ items: TrendDay[] }>(`/api/v1/compliance/trend?days=3&scope=${SUB_2}`)).body.items.map(figures));
    await app.close();
    db.close();
  });
});
