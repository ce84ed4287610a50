import { describe, expect, it } from 'vitest';
import { SUB_1, SUB_2, UBUNTU } from '../helpers/fleets.js';
import { SMALL_FLEET_IMAGE, smallFleetApi } from '../helpers/api-harness.js';

const V1 = SMALL_FLEET_IMAGE;
const V2 = `${UBUNTU}-202609.16.0`;

const harness = smallFleetApi;

describe('findings', () => {
  it('open at the breach instant, turn risk_accepted under an exception, end remediated or retired, with statistics', async () => {
    const h = await harness();
    await h.snapshotAt('2026-09-03T12:00:00Z'); // V1 latest: current
    h.emulator.fleet.setLatestImage('*', UBUNTU, V2);
    await h.snapshotAt('2026-09-20T12:00:00Z'); // V2 seen: within policy until 2026-10-16
    await h.snapshotAt('2026-10-20T12:00:00Z'); // all three beyond the SLA
    const open = await h.call('auditor', '/api/v1/findings?kind=sla_breach');
    expect(open.body.items).toHaveLength(3);
    for (const finding of open.body.items) {
      expect(finding).toMatchObject({ kind: 'sla_breach', state: 'open', openedAt: '2026-10-16T00:00:00.000Z', closedAt: null, timeToRemediateHours: null });
      expect(finding.detail).toMatchObject({ imageAtOpen: V1, supersededAt: '2026-09-16T00:00:00.000Z', slaDays: 30, policyRule: 'default' });
    }
    const keep = open.body.items.find((f: { poolName: string }) => f.poolName === 'keep');
    const pools = (await h.call('auditor', '/api/v1/pools')).body.items;
    expect(pools.find((p: { poolName: string }) => p.poolName === 'keep')).toMatchObject({ status: 'non_compliant', findingId: keep.id });

    h.clock.now = Date.parse('2026-10-21T00:00:00Z');
    const exception = await h.call('operator', '/api/v1/exceptions', {
      scope: { kind: 'cluster', clusterId: h.b },
      reason: 'kernel module pinned',
      compensatingControl: 'isolated',
      ticket: 'RISK-7',
      expiresAt: '2026-12-01T00:00:00Z',
    });
    await h.call('admin', `/api/v1/exceptions/${exception.body.id}/approve`, {});
    expect((await h.call('auditor', `/api/v1/findings?subscriptionId=${SUB_2}`)).body.items).toEqual([
      expect.objectContaining({ poolName: 'nodes', state: 'risk_accepted', exceptionId: exception.body.id }),
    ]);

    h.emulator.fleet.setPoolImage(h.a, 'keep', V2);
    h.emulator.fleet.removePool(h.a, 'gone');
    await h.snapshotAt('2026-10-25T12:00:00Z');
    const all = await h.call('auditor', '/api/v1/findings?kind=sla_breach');
    const byPool = Object.fromEntries(all.body.items.map((f: { poolName: string }) => [f.poolName, f]));
    expect(byPool.keep).toMatchObject({ id: keep.id, state: 'remediated', closedAt: '2026-10-25T12:00:00.000Z', timeToRemediateHours: 228 });
    expect(byPool.keep.detail).toMatchObject({ imageAtClose: V2 });
    expect(byPool.gone).toMatchObject({ state: 'retired', closedAt: '2026-10-25T12:00:00.000Z', timeToRemediateHours: null });
    expect(byPool.nodes).toMatchObject({ state: 'risk_accepted' });
    expect(all.body.statistics).toMatchObject({
      total: 3,
      slaBreaches: 3,
      open: 0,
      riskAccepted: 1,
      remediated: 1,
      retired: 1,
      meanTimeToRemediateHours: 228,
      p90TimeToRemediateHours: 228,
    });
    expect(all.body.statistics.bySubscription.map((s: { subscriptionId: string; total: number }) => [s.subscriptionId, s.total])).toEqual([
      [SUB_1, 2],
      [SUB_2, 1],
    ]);

    // Filters: state, window, and the past as it was.
    expect((await h.call('auditor', '/api/v1/findings?state=remediated')).body.items.map((f: { poolName: string }) => f.poolName)).toEqual(['keep']);
    expect((await h.call('auditor', '/api/v1/findings?from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z')).body.items).toEqual([]);
    const asOfBreach = await h.call('auditor', '/api/v1/findings?to=2026-10-22T00:00:00Z');
    expect(asOfBreach.body.items.find((f: { poolName: string }) => f.poolName === 'keep')).toMatchObject({ state: 'open', closedAt: null });
    const paged = await h.call('auditor', '/api/v1/findings?limit=2');
    const rest = await h.call('auditor', `/api/v1/findings?limit=2&cursor=${paged.body.nextCursor}`);
    expect([...paged.body.items, ...rest.body.items].map((f: { id: string }) => f.id)).toEqual(all.body.items.map((f: { id: string }) => f.id));
    await h.close();
  });

  it('records coverage gaps: an unreadable required subscription, and missed scheduled snapshots', async () => {
    const h = await harness({ IMAGEWARDEN_SNAPSHOT_CRON: '0 * * * *' });
    await h.snapshotAt('2026-10-01T00:00:05Z');
    await h.snapshotAt('2026-10-01T01:00:05Z');
    h.emulator.fleet.setSubscriptionAccess(SUB_2, 'silent');
    await h.snapshotAt('2026-10-01T02:00:05Z');
    h.emulator.fleet.setSubscriptionAccess(SUB_2, 'read');
    await h.snapshotAt('2026-10-01T03:00:05Z');
    // 04:00, 05:00 and 06:00 are missed; 07:00 runs.
    await h.snapshotAt('2026-10-01T07:00:05Z');
    h.clock.now = Date.parse('2026-10-01T07:30:00Z');
    const gaps = (await h.call('auditor', '/api/v1/findings?kind=coverage_gap')).body.items;
    expect(gaps).toEqual([
      expect.objectContaining({
        subscriptionId: null,
        state: 'remediated',
        openedAt: '2026-10-01T04:00:00.000Z',
        closedAt: '2026-10-01T07:00:05.000Z',
        detail: { reason: 'missed_scheduled_snapshot', schedule: '0 * * * *', missedRuns: 3 },
      }),
      expect.objectContaining({
        subscriptionId: SUB_2,
        poolName: null,
        state: 'remediated',
        openedAt: '2026-10-01T02:00:05.000Z',
        closedAt: '2026-10-01T03:00:05.000Z',
        detail: expect.objectContaining({ reason: 'subscription_unreadable', failedSnapshots: 1 }),
      }),
    ]);
    await h.close();
  });

  it.each([
    ['an unknown state', '?state=closed'],
    ['an unknown kind', '?kind=drift'],
    ['an absurd date', '?from=2026-13-45'],
    ['from after to', '?from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z'],
    ['an unknown parameter', '?severity=high'],
    ['an unknown scope', '?scope=nowhere'],
    ['a forged cursor', '?cursor=eyJ4IjoxfQ'],
  ])('refuses %s with a 400', async (_name, query) => {
    const h = await harness();
    const response = await h.call('auditor', `/api/v1/findings${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toMatch(/^[a-z_]+$/);
    await h.close();
  });
});
