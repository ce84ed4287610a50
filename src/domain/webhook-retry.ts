/** How webhook deliveries are retried (docs/webhooks.md, "Retries"). */
export interface WebhookRetryPolicy {
  /** Attempts per delivery, the first included. */
  readonly maxAttempts: number;
  /** The wait after the first failed attempt; each later wait is 4 times the one before. */
  readonly baseDelayInMs: number;
  readonly maxDelayInMs: number;
  /** The longest `Retry-After` that is waited out as asked; a longer one is cut to this. */
  readonly maxRetryAfterInMs: number;
}

/** 8 attempts over about a day: waits of 30 s, 2 min, 8 min, 32 min, 2 h 8 min, 8 h 32 min, 12 h (±20 %). */
export const WEBHOOK_RETRY_POLICY: WebhookRetryPolicy = {
  maxAttempts: 8,
  baseDelayInMs: 30_000,
  maxDelayInMs: 12 * 3_600_000,
  maxRetryAfterInMs: 12 * 3_600_000,
};

/** What one attempt came back with: an HTTP answer, or none (refused, reset, timed out). */
export type AttemptResult = { readonly statusCode: number; readonly retryAfter: string | null } | { readonly error: string };

export type AttemptVerdict =
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'retry'; readonly delayInMs: number; readonly error: string }
  | { readonly outcome: 'failed'; readonly error: string };

/**
 * The wait before attempt `failedAttempt + 1`: exponential (×4) from the base, capped, with ±20 % jitter so that
 * many deliveries failed by one outage do not all come back in the same second. `random` is in [0, 1).
 */
export function backoffDelayInMs(policy: WebhookRetryPolicy, failedAttempt: number, random: number): number {
  const nominal = Math.min(policy.maxDelayInMs, policy.baseDelayInMs * 4 ** Math.max(0, failedAttempt - 1));
  return Math.round(nominal * (0.8 + 0.4 * random));
}

/** `Retry-After` in seconds or as an HTTP date, in ms from `at`; null when absent or unreadable. */
export function retryAfterInMs(value: string | null, at: Date): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - at.getTime());
}

const RETRIED_STATUSES = new Set([408, 429]);

/**
 * Whether an attempt delivered, is retried (no answer, 408, 429, 5xx; a `Retry-After` is honoured, up to
 * `maxRetryAfterInMs`), or failed for good (any other answer: the receiver refused it, and asking again would
 * get the same; or the attempts ran out). `attempts` counts this one.
 */
export function judgeAttempt(result: AttemptResult, attempts: number, policy: WebhookRetryPolicy, at: Date, random: number): AttemptVerdict {
  let error: string;
  let delayInMs = backoffDelayInMs(policy, attempts, random);
  if ('error' in result) error = result.error;
  else {
    const { statusCode } = result;
    if (statusCode >= 200 && statusCode < 300) return { outcome: 'delivered' };
    error = `HTTP ${statusCode}`;
    if (statusCode >= 300 && statusCode < 400) return { outcome: 'failed', error: `${error}: redirects are not followed` };
    if (!RETRIED_STATUSES.has(statusCode) && statusCode < 500) return { outcome: 'failed', error };
    const asked = retryAfterInMs(result.retryAfter, at);
    if (asked !== null) delayInMs = Math.min(asked, policy.maxRetryAfterInMs);
  }
  if (attempts >= policy.maxAttempts) return { outcome: 'failed', error: `${error} (gave up after ${attempts} attempts)` };
  return { outcome: 'retry', delayInMs, error };
}
