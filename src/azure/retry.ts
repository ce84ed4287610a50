/**
 * The one retry policy for every ARM call imagewarden makes. The SDK clients are built with
 * `maxRetries: 0`, so retries are never stacked: this loop alone decides, and it records what it did.
 *
 * - Throttling (429, or 503 with a hint): wait exactly what the service asked — `Retry-After` (seconds or
 *   HTTP date), `retry-after-ms` / `x-ms-retry-after-ms`, or for Resource Graph quota throttling, which
 *   sends no Retry-After, `x-ms-user-quota-resets-after` (hh:mm:ss) — plus a little jitter.
 * - Transient faults (408, 500, 502, 503, 504, reset or refused connections, per-request timeouts):
 *   exponential backoff with equal jitter, `baseDelayInMs * 2^(attempt-1)`, capped at `maxDelayInMs`.
 * - Anything else (400, 401, 403, 404, 409, ...) fails at once.
 * - Never past the deadline: a wait that would end after it fails the call now, with the last error.
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayInMs: number;
  readonly maxDelayInMs: number;
  /** A throttle asking for a longer wait than this fails instead of stalling the snapshot. */
  readonly maxThrottleDelayInMs: number;
  readonly perRequestTimeoutInMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayInMs: 1_000,
  maxDelayInMs: 30_000,
  maxThrottleDelayInMs: 120_000,
  perRequestTimeoutInMs: 30_000,
});

export interface ArmFailure {
  readonly statusCode: number | null;
  readonly code: string | null;
  readonly message: string;
  readonly retryAfterInMs: number | null;
  readonly throttled: boolean;
  readonly retryable: boolean;
}

const TRANSIENT_STATUS = new Set([408, 500, 502, 503, 504]);
/** Credential failures carry no HTTP answer from ARM but are not network faults: retrying cannot fix them. */
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

interface ErrorLike {
  statusCode?: number;
  code?: string;
  name?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** Classifies an error thrown by an SDK call (a RestError, an AbortError, or a socket error). */
export function classifyArmError(error: unknown, now: number = Date.now()): ArmFailure {
  const e = (error ?? {}) as ErrorLike;
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : null;
  const header = (name: string) => e.response?.headers?.get(name) ?? null;
  const retryAfterInMs = parseRetryAfter(header, now);
  const throttled = statusCode === 429 || (statusCode === 503 && retryAfterInMs !== null);
  const credential = CREDENTIAL_ERRORS.has(e.name ?? '');
  const transport = statusCode === null && !credential; // no HTTP answer at all: reset, refused, timed out
  return {
    statusCode,
    code: e.code ?? (e.name === 'AbortError' || e.name === 'TimeoutError' ? 'RequestTimeout' : null),
    message: e.message ?? String(error),
    retryAfterInMs,
    throttled,
    retryable: throttled || transport || (statusCode !== null && TRANSIENT_STATUS.has(statusCode) && !credential),
  };
}

function parseRetryAfter(header: (name: string) => string | null, now: number): number | null {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(header(name));
    if (header(name) !== null && Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = header('retry-after');
  if (retryAfter !== null) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const resetsAfter = /^(\d+):(\d{2}):(\d{2})$/.exec(header('x-ms-user-quota-resets-after') ?? '');
  if (resetsAfter) return ((Number(resetsAfter[1]) * 60 + Number(resetsAfter[2])) * 60 + Number(resetsAfter[3])) * 1000;
  return null;
}

/** How long to wait before attempt `attempt + 1`; `random` in [0, 1). */
export function retryDelayInMs(policy: RetryPolicy, attempt: number, failure: ArmFailure, random: number): number {
  if (failure.throttled && failure.retryAfterInMs !== null) {
    return failure.retryAfterInMs + Math.floor(random * Math.min(1_000, failure.retryAfterInMs * 0.1 + 100));
  }
  const ceiling = Math.min(policy.maxDelayInMs, policy.baseDelayInMs * 2 ** (attempt - 1));
  return Math.floor(ceiling / 2 + (random * ceiling) / 2);
}

export class ArmCallError extends Error {
  constructor(
    readonly operation: string,
    readonly failure: ArmFailure,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `${operation} failed after ${attempts} attempt(s): ` +
        `${failure.statusCode ?? 'no response'} ${failure.code ?? ''} ${failure.message}`.trim(),
      options,
    );
    this.name = 'ArmCallError';
  }
}

/** A failed call as a run's evidence records it: the ARM error code (else `HTTP<status>`, or `NoResponse`) and what it came to. */
export function recordedArmError(error: unknown): { code: string; message: string } {
  if (error instanceof ArmCallError) {
    const { failure } = error;
    return { code: failure.code ?? (failure.statusCode === null ? 'NoResponse' : `HTTP${failure.statusCode}`), message: error.message };
  }
  return { code: 'UnexpectedError', message: error instanceof Error ? error.message : String(error) };
}

export interface RetryEvent {
  readonly operation: string;
  readonly attempt: number;
  readonly delayInMs: number;
  readonly failure: ArmFailure;
}

/** What one attempt came to: `failure` null when the call succeeded; `willRetry` when another attempt follows. */
export interface AttemptEvent {
  readonly operation: string;
  readonly attempt: number;
  readonly failure: ArmFailure | null;
  readonly willRetry: boolean;
}

/** Told of every attempt (metrics): this module only reports them, it never knows how they are counted. */
export type AttemptObserver = (event: AttemptEvent) => void;

export interface RetryContext {
  readonly policy: RetryPolicy;
  /** Epoch ms after which no call or wait may start (a shutdown may bring it forward: read at every attempt). */
  deadline: number;
  readonly onRetry?: (event: RetryEvent) => void;
  readonly onAttempt?: AttemptObserver | undefined;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Per-call refinements of the policy, for calls that are not plain reads. */
export interface RetryOptions<T> {
  /**
   * Narrows which retryable failures are retried: a write whose request went out and got no answer may have been
   * carried out, so it must not be sent again blindly (azure/node-image-upgrade.ts).
   */
  readonly retryIf?: (failure: ArmFailure, error: unknown) => boolean;
  /**
   * Runs after the wait, before the next attempt. A value returned ends the call with that value: the attempt is no
   * longer needed (e.g. a re-read found that Azure had carried out the write after all). Its own errors propagate.
   */
  readonly beforeRetry?: () => Promise<T | undefined>;
}

/** Runs `call` under the policy; `call` receives an AbortSignal bounded by the per-request timeout and the deadline. */
export async function withRetry<T>(
  operation: string,
  context: RetryContext,
  call: (abortSignal: AbortSignal) => Promise<T>,
  options: RetryOptions<T> = {},
): Promise<T> {
  const { policy } = context;
  const now = context.now ?? Date.now;
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = context.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    const remaining = context.deadline - now();
    if (remaining <= 0) {
      throw new ArmCallError(operation, deadlineFailure(), attempt - 1);
    }
    let result: T;
    try {
      result = await call(AbortSignal.timeout(Math.min(policy.perRequestTimeoutInMs, remaining)));
    } catch (error) {
      const failure = classifyArmError(error, now());
      const delayInMs = retryDelayInMs(policy, attempt, failure, random());
      const tooLong = failure.throttled && delayInMs > policy.maxThrottleDelayInMs;
      const refused = options.retryIf !== undefined && !options.retryIf(failure, error);
      const giveUp = !failure.retryable || refused || attempt >= policy.maxAttempts || tooLong || now() + delayInMs >= context.deadline;
      context.onAttempt?.({ operation, attempt, failure, willRetry: !giveUp });
      if (giveUp) throw new ArmCallError(operation, failure, attempt, { cause: error });
      context.onRetry?.({ operation, attempt, delayInMs, failure });
      await sleep(delayInMs);
      const settled = options.beforeRetry ? await options.beforeRetry() : undefined;
      if (settled !== undefined) return settled;
      continue;
    }
    // Reported outside the try: an observer's own failure must never pass for the call's.
    context.onAttempt?.({ operation, attempt, failure: null, willRetry: false });
    return result;
  }
}

function deadlineFailure(): ArmFailure {
  return {
    statusCode: null,
    code: 'SnapshotDeadlineExceeded',
    message: 'the snapshot deadline passed (or the service was shutting down) before this call could start',
    retryAfterInMs: null,
    throttled: false,
    retryable: false,
  };
}
