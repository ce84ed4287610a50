import { describe, expect, it } from 'vitest';
import { startService } from '../../src/main.js';
import { openDatabase } from '../../src/store/database.js';
import { capturedLogger, deliveryRows, manualClock, newDataDir, startReceiver, webhookConfig, webhookServices } from './webhook-kit.js';

async function until(condition: () => boolean, timeoutInMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('webhooks across a restart', () => {
  it('new services over the same database resume the pending delivery, send it once, and enqueue nothing again', async () => {
    let up = false;
    const receiver = await startReceiver(() => (up ? { status: 204 } : { status: 503 }));
    const clock = manualClock(new Date('2026-10-10T12:00:00.000Z'));
    const config = webhookConfig(newDataDir(), receiver.url);
    const first = webhookServices(config, { now: clock.now });
    first.services.webhooks.ledgerVerified(false);
    // A pool-less fleet: no_fleet_snapshot starts waiting out its 2 h (pending, stored, nothing sent).
    expect(first.services.webhooks.evaluate()).toEqual({ enqueued: 1 });
    await first.services.webhooks.deliverDue();
    const [pending] = deliveryRows(first.db);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503 });
    await first.close();

    up = true;
    clock.advance(60_000);
    const second = webhookServices(config, { now: clock.now });
    // The ledger's last verification is unknown to the new process: its alert stays firing, nothing is resolved.
    expect(second.services.webhooks.evaluate()).toEqual({ enqueued: 0 });
    second.services.webhooks.ledgerVerified(false);
    expect(second.services.webhooks.evaluate()).toEqual({ enqueued: 0 });
    expect(await second.services.webhooks.deliverDue()).toBe(1);
    expect(await second.services.webhooks.deliverDue()).toBe(0);
    expect(deliveryRows(second.db)).toEqual([expect.objectContaining({ id: pending!.id, status: 'delivered', attempts: 2 })]);
    expect(receiver.received.map((r) => r.headers['x-imagewarden-delivery'])).toEqual([pending!.id, pending!.id]);

    // The 2 h of no_fleet_snapshot counted across the restart: it fires once, then stays quiet.
    clock.advance(2 * 3_600_000);
    expect(second.services.webhooks.evaluate()).toEqual({ enqueued: 1 });
    expect(second.services.webhooks.evaluate()).toEqual({ enqueued: 0 });
    expect(deliveryRows(second.db).map((d) => [d.event, d.alertStatus])).toEqual([
      ['ledger_verification_failed', 'firing'],
      ['no_fleet_snapshot', 'firing'],
    ]);
  });

  it('serve sends what a previous process left pending as it starts, and stops cleanly with a delivery in flight', async () => {
    let mode: 'down' | 'up' | 'hang' = 'down';
    const receiver = await startReceiver(() => (mode === 'down' ? { status: 500 } : mode === 'up' ? { status: 200 } : 'hang'));
    const clock = manualClock();
    const config = webhookConfig(newDataDir(), receiver.url);
    const before = webhookServices(config, { now: clock.now });
    before.services.webhooks.ledgerVerified(false);
    before.services.webhooks.evaluate();
    await before.services.webhooks.deliverDue();
    await before.close();

    mode = 'up';
    clock.advance(10_000);
    const captured = capturedLogger();
    const serve = await startService({ config, logger: captured.logger, now: clock.now });
    try {
      await until(() => receiver.received.length === 2);
      await until(() => deliveryRows(serve.db)[0]?.status === 'delivered');
      expect(deliveryRows(serve.db)).toHaveLength(1);
      // A new transition while serving is delivered by the loop, without anyone asking.
      mode = 'hang';
      serve.services.webhooks.ledgerVerified(true);
      await until(() => receiver.received.length === 3);
    } finally {
      await serve.close();
    }
    // Cut short by the shutdown: not counted as an attempt, still pending for the next start.
    const db = openDatabase(config.databaseFile);
    expect(deliveryRows(db).map((d) => [d.alertStatus, d.status, d.attempts])).toEqual([
      ['firing', 'delivered', 2],
      ['resolved', 'pending', 0],
    ]);
    db.close();
  });
});
