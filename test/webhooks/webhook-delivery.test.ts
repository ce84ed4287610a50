import { describe, expect, it } from 'vitest';
import { verifySignatureHeader } from '../../src/lib/webhook-signature.js';
import { parseScrape } from '../helpers/prometheus.js';
import { capturedLogger, deliveryRows, FAST_WEBHOOKS, manualClock, newDataDir, SECRET, startReceiver, webhookConfig, webhookServices, type Behaviour } from './webhook-kit.js';

/** A service whose ledger verification just failed: one condition, one delivery enqueued. */
async function oneFiringDelivery(script?: (n: number) => Behaviour, timeoutInMs?: number) {
  const receiver = await startReceiver(script);
  const clock = manualClock(new Date('2026-10-10T12:00:00.000Z'));
  const captured = capturedLogger();
  const { services, db } = webhookServices(webhookConfig(newDataDir(), receiver.url), {
    now: clock.now,
    logger: captured.logger,
    webhooks: { ...FAST_WEBHOOKS, ...(timeoutInMs ? { timeoutInMs } : {}) },
  });
  services.webhooks.ledgerVerified(false);
  expect(services.webhooks.evaluate()).toEqual({ enqueued: 1 });
  const metric = async (outcome: string) => parseScrape(await services.metrics.render()).value('imagewarden_webhook_deliveries_total', { event: 'ledger_verification_failed', outcome });
  return { receiver, clock, services, db, logs: captured.text, metric };
}

describe('webhook delivery', () => {
  it('POSTs the JSON payload with its event, delivery id and a signature that verifies with the secret and fails with another', async () => {
    const h = await oneFiringDelivery();
    expect(await h.services.webhooks.deliverDue()).toBe(1);
    expect(h.receiver.received).toHaveLength(1);
    const [request] = h.receiver.received;
    const payload = JSON.parse(request!.body) as Record<string, unknown>;
    expect(payload).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: 'ledger_verification_failed',
      status: 'firing',
      occurredAt: '2026-10-10T12:00:00.000Z',
      summary: 'The evidence ledger failed verification: treat it as possible tampering',
      details: { verifiedAt: '2026-10-10T12:00:00.000Z' },
    });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-imagewarden-event': 'ledger_verification_failed',
      'x-imagewarden-delivery': payload.id,
      'user-agent': expect.stringMatching(/^imagewarden\//),
    });
    const signature = String(request!.headers['x-imagewarden-signature']);
    const t = Date.parse('2026-10-10T12:00:00.000Z') / 1000;
    expect(signature).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64}$`));
    expect(verifySignatureHeader(signature, request!.body, SECRET, t + 5)).toBe(true);
    expect(verifySignatureHeader(signature, request!.body, SECRET.replace('0', '1'), t + 5)).toBe(false);
    expect(deliveryRows(h.db)).toEqual([
      expect.objectContaining({ id: payload.id, status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null, deliveredAt: '2026-10-10T12:00:00.000Z' }),
    ]);
    expect(await h.metric('delivered')).toBe(1);
  });

  it('a condition that stays true is sent once; when it clears, resolved is sent once', async () => {
    const h = await oneFiringDelivery();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(60_000);
      expect(h.services.webhooks.evaluate()).toEqual({ enqueued: 0 });
    }
    h.services.webhooks.ledgerVerified(true);
    expect(h.services.webhooks.evaluate()).toEqual({ enqueued: 1 });
    expect(h.services.webhooks.evaluate()).toEqual({ enqueued: 0 });
    expect(await h.services.webhooks.deliverDue()).toBe(2);
    expect(h.receiver.payloads().map((p) => [p.event, p.status])).toEqual([
      ['ledger_verification_failed', 'firing'],
      ['ledger_verification_failed', 'resolved'],
    ]);
    expect(h.receiver.payloads()[1]).toMatchObject({ summary: 'The evidence ledger verified intact again', details: { verifiedAt: '2026-10-10T12:00:00.000Z' } });
  });

  it('retries after a 500 and after a dropped connection, on the backoff schedule, then delivers the same body with the same id', async () => {
    const h = await oneFiringDelivery((n) => (n === 0 ? { status: 500 } : n === 1 ? 'drop' : { status: 200 }));
    expect(await h.services.webhooks.deliverDue()).toBe(1);
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: '2026-10-10T12:00:01.000Z' });
    // Not due yet: nothing is sent before its time.
    expect(await h.services.webhooks.deliverDue()).toBe(0);
    h.clock.advance(1_000);
    expect(await h.services.webhooks.deliverDue()).toBe(1);
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: null, lastError: expect.stringMatching(/^network error: /), nextAttemptAt: '2026-10-10T12:00:05.000Z' });
    h.clock.advance(4_000);
    expect(await h.services.webhooks.deliverDue()).toBe(1);
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null, deliveredAt: '2026-10-10T12:00:05.000Z' });
    const [first, second, third] = h.receiver.received;
    expect(new Set([first, second, third].map((r) => r!.headers['x-imagewarden-delivery'])).size).toBe(1);
    expect(third!.body).toBe(first!.body);
    expect(verifySignatureHeader(String(third!.headers['x-imagewarden-signature']), third!.body, SECRET, Date.parse('2026-10-10T12:00:05Z') / 1000)).toBe(true);
    expect(await h.metric('retry')).toBe(2);
    expect(await h.metric('delivered')).toBe(1);
  });

  it('honours Retry-After on a 429 instead of its own backoff', async () => {
    const h = await oneFiringDelivery((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '7' } } : { status: 202 }));
    await h.services.webhooks.deliverDue();
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 429, nextAttemptAt: '2026-10-10T12:00:07.000Z' });
    h.clock.advance(6_999);
    expect(await h.services.webhooks.deliverDue()).toBe(0);
    h.clock.advance(1);
    expect(await h.services.webhooks.deliverDue()).toBe(1);
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('a 4xx is a permanent failure, recorded once and never retried', async () => {
    const h = await oneFiringDelivery(() => ({ status: 400 }));
    await h.services.webhooks.deliverDue();
    for (let i = 0; i < 5; i++) {
      h.clock.advance(86_400_000);
      expect(await h.services.webhooks.deliverDue()).toBe(0);
    }
    expect(h.receiver.received).toHaveLength(1);
    expect(deliveryRows(h.db)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, lastStatusCode: 400, lastError: 'HTTP 400', nextAttemptAt: null, deliveredAt: null })]);
    expect(await h.metric('failed')).toBe(1);
  });

  it('gives up after the last attempt; a receiver that never answers times out', async () => {
    const h = await oneFiringDelivery((n) => (n === 0 ? 'hang' : { status: 503 }), 1_000);
    await h.services.webhooks.deliverDue();
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'no answer within 1000 ms' });
    for (let i = 0; i < 10; i++) {
      h.clock.advance(60_000);
      await h.services.webhooks.deliverDue();
    }
    expect(h.receiver.received).toHaveLength(4);
    expect(deliveryRows(h.db)[0]).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503, lastError: 'HTTP 503 (gave up after 4 attempts)', nextAttemptAt: null });
  });

  it('logs the receiver by its origin, never the secret or the URL path', async () => {
    const h = await oneFiringDelivery((n) => (n === 0 ? { status: 500 } : n === 1 ? 'drop' : { status: 200 }));
    await h.services.webhooks.deliverDue();
    h.clock.advance(1_000);
    await h.services.webhooks.deliverDue();
    h.clock.advance(4_000);
    await h.services.webhooks.deliverDue();
    const logs = h.logs();
    expect(logs).toContain('webhook delivery failed; will retry');
    expect(logs).toContain('webhook delivered');
    expect(logs).toContain(new URL(h.receiver.url).origin);
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain('/hooks/imagewarden');
  });
});
