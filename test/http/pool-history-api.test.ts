import { afterEach, describe, expect, it } from 'vitest';
import { SUB_1, SUB_2, UBUNTU } from '../helpers/fleets.js';
import { SMALL_FLEET_IMAGE, smallFleetApi } from '../helpers/api-harness.js';

const V1 = SMALL_FLEET_IMAGE;
const V2 = `${UBUNTU}-202609.16.0`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(env: Record<string, string> = {}) {
  const api = await smallFleetApi(env);
  cleanups.push(api.close);
  const snapshotAt = async (iso: string) => {
    const snapshot = await api.snapshotAt(iso);
    expect(snapshot.status).toBe('succeeded');
    return snapshot;
  };
  /** Every page of a listing, `limit` at a time (and the number of pages read). */
  const walk = async (url: string, limit: number) => {
    const items: Record<string, any>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = url.includes('?') ? '&' : '?';
      const page = await api.call('auditor', `${url}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    return { items, pages };
  };
  return { ...api, snapshotAt, walk };
}

const historyUrl = (poolId: string, query = '') => `/api/v1/pools/${encodeURIComponent(poolId)}/history${query}`;

describe('GET /api/v1/pools/{id}/history', () => {
  it("lists the snapshots at which the pool's image fields changed, newest first, in complete pages", async () => {
    const h = await harness();
    const keep = `${h.a}/agentPools/keep`;
    const s1 = await h.snapshotAt('2026-09-03T12:00:00Z'); // appears on V1, V1 latest
    await h.snapshotAt('2026-09-10T12:00:00Z'); // nothing changed: no entry
    h.emulator.fleet.setLatestImage('*', UBUNTU, V2);
    const s3 = await h.snapshotAt('2026-09-20T12:00:00Z'); // V2 becomes the latest
    h.emulator.fleet.setPoolImage(h.a, 'keep', V2);
    const s4 = await h.snapshotAt('2026-10-01T12:00:00Z'); // the pool is upgraded
    h.emulator.fleet.setKubernetesVersion(h.a, '1.31.2', 'keep');
    const s5 = await h.snapshotAt('2026-10-05T12:00:00Z');
    h.emulator.fleet.removePool(h.a, 'keep');
    const s6 = await h.snapshotAt('2026-10-10T12:00:00Z'); // gone
    await h.snapshotAt('2026-10-12T12:00:00Z');

    const all = await h.call('auditor', historyUrl(keep));
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items.map((item: { snapshotId: number; change: string; changedFields: string[] }) => [item.snapshotId, item.change, item.changedFields])).toEqual([
      [s6.id, 'deleted', ['nodeImageVersion', 'latestNodeImageVersion', 'kubernetesVersion', 'nodeCount']],
      [s5.id, 'changed', ['kubernetesVersion']],
      [s4.id, 'changed', ['nodeImageVersion']],
      [s3.id, 'changed', ['latestNodeImageVersion']],
      [s1.id, 'appeared', ['nodeImageVersion', 'latestNodeImageVersion', 'kubernetesVersion', 'nodeCount']],
    ]);
    // Each entry's status at its own moment.
    expect(all.body.items.map((item: { status: string | null }) => item.status)).toEqual([null, 'current', 'current', 'within_policy', 'current']);
    const [deleted, k8s, upgraded, latest, appeared] = all.body.items;
    expect(deleted).toMatchObject({ observedAt: '2026-10-10T12:00:00.000Z', nodeImageVersion: null, latestNodeImageVersion: null, nodeCount: null });
    expect(k8s).toMatchObject({ kubernetesVersion: '1.31.2', nodeImageVersion: V2, latestNodeImageVersion: V2 });
    expect(upgraded).toMatchObject({ observedAt: '2026-10-01T12:00:00.000Z', nodeImageVersion: V2, latestNodeImageVersion: V2, imageFamily: UBUNTU });
    expect(latest).toMatchObject({ observedAt: '2026-09-20T12:00:00.000Z', nodeImageVersion: V1, latestNodeImageVersion: V2 });
    expect(appeared).toMatchObject({ observedAt: '2026-09-03T12:00:00.000Z', nodeImageVersion: V1, latestNodeImageVersion: V1 });
    expect(typeof appeared.nodeCount).toBe('number');
    expect(k8s.nodeCount).toBe(appeared.nodeCount);

    // Paging: complete, in order, without overlap; the id in any case.
    for (const limit of [1, 2, 3]) {
      const { items, pages } = await h.walk(historyUrl(keep.toUpperCase()), limit);
      expect(items).toEqual(all.body.items);
      expect(pages).toBe(Math.ceil(5 / limit));
    }
    expect((await h.call('auditor', historyUrl(keep.toLowerCase()))).body).toEqual(all.body);

    // A window of observation times, inclusive.
    const window = await h.call('auditor', historyUrl(keep, '?from=2026-09-20T12:00:00Z&to=2026-10-01T12:00:00Z'));
    expect(window.body.items.map((item: { snapshotId: number }) => item.snapshotId)).toEqual([s4.id, s3.id]);
    expect((await h.walk(historyUrl(keep, '?from=2026-09-15T00:00:00Z'), 1)).items).toEqual(all.body.items.slice(0, 4));
    expect((await h.call('auditor', historyUrl(keep, '?to=2026-09-01T00:00:00Z'))).body).toEqual({ items: [], nextCursor: null });

    // Another pool of the group sees the latest image change too, and is still there.
    const gone = await h.call('auditor', historyUrl(`${h.a}/agentPools/gone`));
    expect(gone.body.items.map((item: { change: string; changedFields: string[] }) => [item.change, item.changedFields[0]])).toEqual([
      ['changed', 'latestNodeImageVersion'],
      ['appeared', 'nodeImageVersion'],
    ]);
  });

  it('answers 404 pool_not_found for a pool never observed, and 400 for a bad cursor or period', async () => {
    const h = await harness();
    await h.snapshotAt('2026-09-03T12:00:00Z');
    const keep = `${h.a}/agentPools/keep`;
    const unknown = await h.call('auditor', historyUrl(`${h.a}/agentPools/nope`));
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'pool_not_found' } } });
    expect((await h.call('auditor', historyUrl('not-a-pool'))).status).toBe(404);
    expect((await h.call('auditor', historyUrl(keep, '?cursor=garbage'))).body.error.code).toBe('invalid_cursor');
    expect((await h.call('auditor', historyUrl(keep, '?from=2026-10-01T00:00:00Z&to=2026-09-01T00:00:00Z'))).status).toBe(400);
    expect((await h.call('auditor', historyUrl(keep, '?limit=1001'))).status).toBe(400);
    expect((await h.call('auditor', historyUrl(keep, '?extra=1'))).status).toBe(400);
  });
});

describe('GET /api/v1/findings: clusterId and poolName', () => {
  it("lists one cluster's or one pool's findings, ids in any case", async () => {
    const h = await harness();
    await h.snapshotAt('2026-09-03T12:00:00Z');
    h.emulator.fleet.setLatestImage('*', UBUNTU, V2);
    await h.snapshotAt('2026-09-20T12:00:00Z');
    await h.snapshotAt('2026-10-20T12:00:00Z'); // all three pools beyond the SLA
    const names = async (query: string) => {
      const answer = await h.call('auditor', `/api/v1/findings${query}`);
      expect(answer.status).toBe(200);
      return answer.body.items.map((finding: { poolName: string }) => finding.poolName).sort();
    };
    expect(await names('')).toEqual(['gone', 'keep', 'nodes']);
    expect(await names(`?clusterId=${encodeURIComponent(h.a.toUpperCase())}`)).toEqual(['gone', 'keep']);
    expect(await names(`?clusterId=${encodeURIComponent(h.a)}&poolName=KEEP`)).toEqual(['keep']);
    expect(await names(`?clusterId=${encodeURIComponent(h.b)}&kind=sla_breach`)).toEqual(['nodes']);
    const onlyPool = await h.call('auditor', '/api/v1/findings?poolName=keep');
    expect(onlyPool).toMatchObject({ status: 400, body: { error: { code: 'pool_needs_cluster' } } });
  });
});

describe('GET /api/v1/exceptions: paging and the covering filters', () => {
  it('walks every page to the unpaged list, and lists what covers a subscription, a cluster or a pool', async () => {
    const h = await harness();
    await h.snapshotAt('2026-10-20T12:00:00Z');
    const request = async (at: string, scope: object) => {
      h.clock.now = Date.parse(at);
      const answer = await h.call('operator', '/api/v1/exceptions', { scope, reason: 'vendor fix pending', compensatingControl: 'WAF', ticket: 'RISK-1', expiresAt: '2026-12-01T00:00:00Z' });
      expect(answer.status).toBe(201);
      return answer.body.id as string;
    };
    // Two at the same moment: the order is then by id.
    const subscription = await request('2026-10-21T00:00:00Z', { kind: 'subscription', subscriptionId: SUB_1 });
    const clusterA = await request('2026-10-21T00:00:00Z', { kind: 'cluster', clusterId: h.a });
    const poolKeep = await request('2026-10-21T01:00:00Z', { kind: 'pool', clusterId: h.a.toUpperCase(), poolName: 'keep' });
    const poolGone = await request('2026-10-21T02:00:00Z', { kind: 'pool', clusterId: h.a, poolName: 'gone' });
    const clusterB = await request('2026-10-21T03:00:00Z', { kind: 'cluster', clusterId: h.b });
    const tag = await request('2026-10-21T04:00:00Z', { kind: 'tag', tag: 'team=web' });
    await h.call('admin', `/api/v1/exceptions/${clusterB}/approve`, {});

    const unpaged = await h.call('auditor', '/api/v1/exceptions');
    expect(unpaged.body.nextCursor).toBeNull();
    expect(unpaged.body.items.map((e: { id: string }) => e.id)).toEqual([...[subscription, clusterA].sort(), poolKeep, poolGone, clusterB, tag]);
    for (const limit of [1, 2, 4]) {
      const { items, pages } = await h.walk('/api/v1/exceptions', limit);
      expect(items).toEqual(unpaged.body.items);
      expect(pages).toBe(Math.ceil(6 / limit));
    }
    const newestFirst = [...unpaged.body.items].reverse();
    expect((await h.call('auditor', '/api/v1/exceptions?order=desc')).body.items).toEqual(newestFirst);
    for (const limit of [1, 4]) expect((await h.walk('/api/v1/exceptions?order=desc', limit)).items).toEqual(newestFirst);
    const ascCursor = (await h.call('auditor', '/api/v1/exceptions?limit=1')).body.nextCursor;
    expect((await h.call('auditor', `/api/v1/exceptions?order=desc&cursor=${encodeURIComponent(ascCursor)}`)).body.error.code).toBe('invalid_cursor');
    expect((await h.walk('/api/v1/exceptions?state=requested', 2)).items.map((e) => e.id)).toEqual(
      unpaged.body.items.filter((e: { id: string }) => e.id !== clusterB).map((e: { id: string }) => e.id),
    );

    const ids = async (query: string) => (await h.walk(`/api/v1/exceptions?${query}`, 2)).items.map((e) => e.id).sort();
    expect(await ids(`clusterId=${encodeURIComponent(h.a)}&poolName=KEEP`)).toEqual([subscription, clusterA, poolKeep].sort());
    expect(await ids(`clusterId=${encodeURIComponent(h.a.toLowerCase())}`)).toEqual([subscription, clusterA, poolKeep, poolGone].sort());
    expect(await ids(`subscriptionId=${SUB_2}`)).toEqual([clusterB]);
    expect(await ids(`subscriptionId=${SUB_1.toUpperCase()}`)).toEqual([subscription, clusterA, poolKeep, poolGone].sort());
    expect(await ids(`subscriptionId=${SUB_2}&clusterId=${encodeURIComponent(h.a)}`)).toEqual([]);
    expect((await h.call('auditor', '/api/v1/exceptions?poolName=keep')).body.error.code).toBe('pool_needs_cluster');
    expect((await h.call('auditor', '/api/v1/exceptions?cursor=bm9wZQ')).body.error.code).toBe('invalid_cursor');
  });
});

describe('GET /api/v1/evidence/checkpoints?order=desc', () => {
  it('reads the newest checkpoint first, and pages newest to oldest', async () => {
    const h = await harness();
    await h.snapshotAt('2026-09-03T12:00:00Z');
    await h.snapshotAt('2026-09-10T12:00:00Z');
    h.clock.now = Date.parse('2026-09-11T00:00:00Z');
    await h.call('operator', '/api/v1/exceptions', { scope: { kind: 'cluster', clusterId: h.a }, reason: 'r', compensatingControl: 'c', ticket: 't', expiresAt: '2026-10-01T00:00:00Z' });
    const ascending = (await h.walk('/api/v1/evidence/checkpoints', 1000)).items;
    expect(ascending.length).toBeGreaterThanOrEqual(3);
    const newest = await h.call('auditor', '/api/v1/evidence/checkpoints?order=desc&limit=1');
    expect(newest.body.items).toEqual([ascending.at(-1)]);
    expect(newest.body.nextCursor).not.toBeNull();
    expect((await h.walk('/api/v1/evidence/checkpoints?order=desc', 2)).items).toEqual([...ascending].reverse());
    expect((await h.walk('/api/v1/evidence/checkpoints?order=asc', 2)).items).toEqual(ascending);
    // A cursor continues only the order it was issued for.
    const ascPage = await h.call('auditor', '/api/v1/evidence/checkpoints?limit=1');
    const mixed = await h.call('auditor', `/api/v1/evidence/checkpoints?order=desc&cursor=${encodeURIComponent(ascPage.body.nextCursor)}`);
    expect(mixed).toMatchObject({ status: 400, body: { error: { code: 'invalid_cursor' } } });
    expect((await h.call('auditor', '/api/v1/evidence/checkpoints?order=sideways')).status).toBe(400);
  });
});
