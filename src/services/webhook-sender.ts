import type { Logger } from 'pino';
import type { WebhookEvent } from '../domain/webhook-alerts.js';
import { judgeAttempt, type AttemptResult, type WebhookRetryPolicy } from '../domain/webhook-retry.js';
import { VERSION } from '../lib/version.js';
import { signatureHeader } from '../lib/webhook-signature.js';
import type { DueDelivery, WebhookRepository } from '../store/webhook-repository.js';

/** Where deliveries go, and the secret they are signed with (IMAGEWARDEN_WEBHOOK_URL / _SECRET). */
export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface WebhookSenderDeps {
  readonly repo: Pick<WebhookRepository, 'due' | 'recordAttempt'>;
  readonly target: WebhookTarget;
  readonly policy: WebhookRetryPolicy;
  readonly timeoutInMs: number;
  readonly now: () => Date;
  readonly random: () => number;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly onAttempt?: (event: WebhookEvent, outcome: AttemptOutcome) => void;
}

/** Deliveries attempted per pass; the pass after it follows at once. */
const BATCH = 50;

/**
 * Attempts the deliveries that are due: a signed POST each, its outcome recorded at once. Logs name the receiver by
 * its origin only (a path may carry a token) and never the secret.
 */
export function createWebhookSender(deps: WebhookSenderDeps) {
  const origin = new URL(deps.target.url).origin;

  async function post(delivery: DueDelivery, signal: AbortSignal): Promise<AttemptResult> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': `imagewarden/${VERSION}`,
      'x-imagewarden-event': delivery.event,
      'x-imagewarden-delivery': delivery.id,
      'x-imagewarden-signature': signatureHeader(deps.target.secret, delivery.payload, deps.now().getTime() / 1000),
    };
    try {
      const response = await fetch(deps.target.url, {
        method: 'POST',
        headers,
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutInMs)]),
      });
      // The answer's body is not read: only its status (and Retry-After) count.
      await response.body?.cancel().catch(() => undefined);
      return { statusCode: response.status, retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      return { error: describe(error, deps.timeoutInMs) };
    }
  }

  async function attempt(delivery: DueDelivery, signal: AbortSignal): Promise<void> {
    const result = await post(delivery, signal);
    // Cut short by a shutdown: not an attempt. It stays pending and is sent after the restart.
    if (signal.aborted) return;
    const attempts = delivery.attempts + 1;
    const at = deps.now();
    const verdict = judgeAttempt(result, attempts, deps.policy, at, deps.random());
    deps.repo.recordAttempt(delivery.id, {
      status: verdict.outcome === 'retry' ? 'pending' : verdict.outcome,
      attempts,
      at: at.toISOString(),
      statusCode: 'statusCode' in result ? result.statusCode : null,
      error: verdict.outcome === 'delivered' ? null : verdict.error,
      nextAttemptAt: verdict.outcome === 'retry' ? new Date(at.getTime() + verdict.delayInMs).toISOString() : null,
    });
    deps.onAttempt?.(delivery.event, verdict.outcome);
    const fields = { deliveryId: delivery.id, event: delivery.event, receiver: origin, attempts };
    if (verdict.outcome === 'delivered') deps.logger.info(fields, 'webhook delivered');
    else if (verdict.outcome === 'retry') deps.logger.warn({ ...fields, error: verdict.error, retryInMs: verdict.delayInMs }, 'webhook delivery failed; will retry');
    else deps.logger.warn({ ...fields, error: verdict.error }, 'webhook delivery failed for good');
  }

  return {
    /** Attempts every delivery due now, one at a time, oldest first; returns how many were attempted. */
    async deliverDue(signal: AbortSignal): Promise<number> {
      let attempted = 0;
      for (;;) {
        const batch = deps.repo.due(deps.now().toISOString(), BATCH);
        for (const delivery of batch) {
          if (signal.aborted) return attempted;
          await attempt(delivery, signal);
          attempted++;
        }
        if (batch.length < BATCH) return attempted;
      }
    },
  };
}

/** A failure without an HTTP answer, in words that name no URL: a timeout, or the network error's code. */
function describe(error: unknown, timeoutInMs: number): string {
  const { name, cause } = error as { name?: string; cause?: { code?: unknown } };
  if (name === 'TimeoutError') return `no answer within ${timeoutInMs} ms`;
  const code = typeof cause?.code === 'string' ? cause.code : name ?? 'error';
  return `network error: ${code}`;
}
