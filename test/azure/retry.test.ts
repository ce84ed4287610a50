import { describe, expect, it } from 'vitest';
import { ArmCallError, classifyArmError, retryDelayInMs, withRetry, type RetryPolicy } from '../../src/azure/retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayInMs: 1000, maxDelayInMs: 8000, maxThrottleDelayInMs: 60_000, perRequestTimeoutInMs: 5000 };

function restError(statusCode: number | undefined, headers: Record<string, string> = {}, code?: string) {
  return Object.assign(new Error(`status ${statusCode}`), {
    name: 'RestError',
    statusCode,
    code,
    response: { headers: { get: (name: string) => headers[name.toLowerCase()] } },
  });
}

describe('classifyArmError', () => {
  it.each([
    [restError(429, { 'retry-after': '3' }), { throttled: true, retryable: true, retryAfterInMs: 3000 }],
    [restError(429, { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:04' }), { throttled: true, retryable: true, retryAfterInMs: 4000 }],
    [restError(429, { 'x-ms-retry-after-ms': '250' }), { throttled: true, retryAfterInMs: 250 }],
    [restError(503, { 'retry-after': '2' }), { throttled: true, retryable: true }],
    [restError(500), { throttled: false, retryable: true, retryAfterInMs: null }],
    [restError(504), { retryable: true }],
    [restError(undefined, {}, 'ECONNRESET'), { retryable: true, statusCode: null }],
    [Object.assign(new Error('timed out'), { name: 'AbortError' }), { retryable: true, code: 'RequestTimeout' }],
    [restError(400), { retryable: false }],
    [Object.assign(new Error('invalid_client'), { name: 'AuthenticationError', statusCode: 401 }), { retryable: false }],
    [Object.assign(new Error('no credential'), { name: 'CredentialUnavailableError' }), { retryable: false }],
    [restError(403), { retryable: false }],
    [restError(404), { retryable: false }],
    [restError(409), { retryable: false }],
  ])('%s', (error, expected) => {
    expect(classifyArmError(error, 0)).toMatchObject(expected);
  });

  it('reads an HTTP-date Retry-After relative to now', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(classifyArmError(restError(429, { 'retry-after': 'Wed, 25 Nov 2026 10:00:07 GMT' }), now).retryAfterInMs).toBe(7000);
  });
});

describe('retryDelayInMs', () => {
  it('waits what a throttle asked for, plus at most a little jitter', () => {
    const failure = classifyArmError(restError(429, { 'retry-after': '5' }));
    expect(retryDelayInMs(policy, 1, failure, 0)).toBe(5000);
    expect(retryDelayInMs(policy, 1, failure, 0.999)).toBeLessThanOrEqual(5600);
  });

  it('backs off exponentially with equal jitter, capped', () => {
    const failure = classifyArmError(restError(500));
    expect(retryDelayInMs(policy, 1, failure, 0)).toBe(500);
    expect(retryDelayInMs(policy, 3, failure, 0.999)).toBeLessThanOrEqual(4000);
    expect(retryDelayInMs(policy, 3, failure, 0)).toBe(2000);
    expect(retryDelayInMs(policy, 10, failure, 1)).toBe(8000);
  });
});

describe('withRetry', () => {
  const context = (now = { t: 0 }) => ({
    policy,
    deadline: 100_000,
    now: () => now.t,
    sleep: async (ms: number) => {
      now.t += ms;
    },
    random: () => 0,
  });

  it('retries transient failures and returns the success', async () => {
    const failures = [restError(503), restError(undefined, {}, 'ECONNRESET')];
    let calls = 0;
    const result = await withRetry('op', context(), async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after maxAttempts with an ArmCallError carrying the last failure', async () => {
    let calls = 0;
    await expect(
      withRetry('op', context(), async () => {
        calls++;
        throw restError(500);
      }),
    ).rejects.toMatchObject({ name: 'ArmCallError', attempts: 4, failure: { statusCode: 500 } });
    expect(calls).toBe(4);
  });

  it('never retries a client error', async () => {
    let calls = 0;
    await expect(
      withRetry('op', context(), async () => {
        calls++;
        throw restError(404);
      }),
    ).rejects.toBeInstanceOf(ArmCallError);
    expect(calls).toBe(1);
  });

  it('fails rather than wait past the deadline', async () => {
    const clock = { t: 0 };
    let calls = 0;
    await expect(
      withRetry('op', { ...context(clock), deadline: 10_000 }, async () => {
        calls++;
        throw restError(429, { 'retry-after': '30' });
      }),
    ).rejects.toMatchObject({ failure: { statusCode: 429 } });
    expect(calls).toBe(1);
    expect(clock.t).toBe(0);
  });
});
