import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { FleetFile } from '../../src/emulator/types.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { manualClock, newDataDir, startReceiver, webhookConfig, webhookServices } from './webhook-kit.js';

const LATEST = `${UBUNTU}-{{YYYYMM.DD-1}}.0`;
const DAY = 86_400_000;

/** By the emulator's clock (now): `old` far beyond the 30-day SLA, `soon` 5 days from its breach, `new` current. */
const fleet: FleetFile = {
  tenantId: TENANT,
  images: { '*': { [UBUNTU]: LATEST } },
  subscriptions: [
    {
      id: SUB_1,
      clusters: [
        cluster('aks-old', [pool('old', { nodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-90}}.0` })]),
        cluster('aks-soon', [pool('soon', { nodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-25}}.0` })]),
        cluster('aks-new', [pool('new', { nodeImageVersion: LATEST })]),
      ],
    },
  ],
};

describe('webhooks over a fleet', () => {
  it('a pool due to breach within 7 days is announced once, with its cluster, pool and breach instant; resolved as breached once the instant passes', async () => {
    const emulator = await startTestEmulator(fleet);
    const receiver = await startReceiver();
    const clock = manualClock();
    const { services } = webhookServices(webhookConfig(newDataDir(), receiver.url, emulator), { now: clock.now });
    await services.snapshotService.run('api', 'test');
    expect(services.webhooks.evaluate()).toEqual({ enqueued: 1 });
    clock.advance(60_000);
    expect(services.webhooks.evaluate()).toEqual({ enqueued: 0 });
    await services.webhooks.deliverDue();
    const [due] = receiver.payloads();
    expect(due).toMatchObject({
      event: 'sla_breach_due',
      status: 'firing',
      summary: '1 node pool will breach the patch SLA within 7 days (1 in all)',
      details: { count: 1, truncated: false, firingCount: 1, pools: [{ clusterId: expect.stringMatching(/\/aks-soon$/), poolName: 'soon', subscriptionId: SUB_1, breachAt: expect.any(String) }] },
    });
    const breachAt = Date.parse((due!.details as { pools: { breachAt: string }[] }).pools[0]!.breachAt);
    expect(breachAt - clock.now().getTime()).toBeGreaterThan(4 * DAY);
    expect(breachAt - clock.now().getTime()).toBeLessThanOrEqual(6 * DAY);

    // Six days on, without a new snapshot: the breach instant passed, and the evidence went stale.
    clock.advance(6 * DAY);
    expect(services.webhooks.evaluate()).toEqual({ enqueued: 2 });
    await services.webhooks.deliverDue();
    const [, ...later] = receiver.payloads();
    expect(later.map((p) => [p.event, p.status])).toEqual([
      ['snapshot_stale', 'firing'],
      ['sla_breach_due', 'resolved'],
    ]);
    expect(later[1]).toMatchObject({ details: { count: 1, firingCount: 0, pools: [{ poolName: 'soon', breached: true }] } });
  });

  it('GET /api/v1/webhooks/deliveries lists deliveries to an admin, newest first, with their outcome, paged and filtered', async () => {
    const receiver = await startReceiver((n) => (n === 0 ? { status: 410 } : { status: 200 }));
    const clock = manualClock(new Date('2026-10-10T12:00:00.000Z'));
    const { services } = webhookServices(webhookConfig(newDataDir(), receiver.url), { now: clock.now });
    services.webhooks.ledgerVerified(false);
    services.webhooks.evaluate();
    await services.webhooks.deliverDue();
    services.webhooks.ledgerVerified(true);
    services.webhooks.evaluate();
    await services.webhooks.deliverDue();
    const app = await buildApp({ services });
    const admin = services.keyService.create({ name: 'admin', role: 'admin', expiresAt: null, actor: 'test' }).key;
    const auditor = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key;
    const get = (url: string, key = admin) => app.inject({ url, headers: { authorization: `Bearer ${key}` } });

    const all = await get('/api/v1/webhooks/deliveries');
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toEqual({
      items: [
        expect.objectContaining({ event: 'ledger_verification_failed', alertStatus: 'resolved', status: 'delivered', attempts: 1, lastStatusCode: 200, deliveredAt: '2026-10-10T12:00:00.000Z' }),
        expect.objectContaining({ event: 'ledger_verification_failed', alertStatus: 'firing', status: 'failed', attempts: 1, lastStatusCode: 410, lastError: 'HTTP 410', nextAttemptAt: null }),
      ],
      nextCursor: null,
    });
    const first = (await get('/api/v1/webhooks/deliveries?limit=1')).json() as { items: { id: string }[]; nextCursor: string };
    expect(first.items.map((d) => d.id)).toEqual([all.json().items[0].id]);
    const second = (await get(`/api/v1/webhooks/deliveries?limit=1&cursor=${first.nextCursor}`)).json() as { items: { id: string }[]; nextCursor: string | null };
    expect(second).toEqual({ items: [expect.objectContaining({ id: all.json().items[1].id })], nextCursor: null });
    expect((await get('/api/v1/webhooks/deliveries?status=failed')).json().items).toHaveLength(1);
    expect((await get('/api/v1/webhooks/deliveries?status=sent')).statusCode).toBe(400);
    expect((await get('/api/v1/webhooks/deliveries', auditor)).statusCode).toBe(403);
    // The payload and the secret stay in the store.
    expect(all.body).not.toContain('whsec');
    await app.close();
  });
});
