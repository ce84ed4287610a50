import { randomUUID } from 'node:crypto';
import { armError } from './arm-errors.js';
import { json } from './http-types.js';
import type { EmulatorResponse } from './http-types.js';
import type { FaultRule } from './types.js';

/**
 * The answers of the `throttle`, `quota-throttle`, `error` and `drop` fault actions, in the dialect of the
 * endpoint that was hit: ARG (RateLimiting + quota headers), AKS/ARM (Throttled), Entra ID (OAuth error JSON).
 */
export function faultResponse(rule: FaultRule, operation: string): EmulatorResponse {
  if (rule.action === 'drop') return { status: 0, drop: true };
  const retryAfter = String(rule.retryAfterSeconds ?? 1);
  const isGraph = operation === 'resources';
  const isIdentity = operation === 'token' || operation === 'openidConfiguration' || operation === 'jwks' || operation === 'instanceDiscovery';

  if (rule.action === 'throttle' || rule.action === 'quota-throttle') {
    const quota = { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': `00:00:${retryAfter.padStart(2, '0')}` };
    // quota-throttle sends ONLY the ARG quota headers: the SDK does not retry that (azure-wire.md §1.4).
    const headers = rule.action === 'throttle' ? { ...(isGraph ? quota : {}), 'retry-after': retryAfter } : quota;
    if (isIdentity) {
      return json(429, { error: 'temporarily_unavailable', error_description: rule.message ?? 'AADSTS90055: The request is throttled.' }, headers);
    }
    const response = isGraph ? argRateLimiting(rule.code, rule.message) : armError(429, rule.code ?? 'Throttled', rule.message ?? `Request is throttled. Retry after ${retryAfter} seconds.`);
    response.headers = headers;
    return response;
  }

  const status = rule.status ?? 500;
  if (isIdentity) {
    return json(status, { error: rule.code ?? 'temporarily_unavailable', error_description: rule.message ?? 'AADSTS90033: A transient error has occurred. Please try again.' });
  }
  return armError(
    status,
    rule.code ?? (status >= 500 ? 'InternalServerError' : 'BadRequest'),
    rule.message ?? `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', correlation id '${randomUUID()}'.`,
  );
}

/** ARG's 429 body (seen in public issues, azure-wire.md §1.4). */
export function argRateLimiting(code = 'RateLimiting', message?: string): EmulatorResponse {
  return armError(429, code, supportMessage(), {
    details: [
      {
        code: 'RateLimiting',
        message: message ?? 'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.',
      },
    ],
  });
}

/** ARG's top-level error message carries no detail, only support identifiers (azure-wire.md §1.4). */
export function supportMessage(correlationId: string = randomUUID()): string {
  return `Please provide below info when asking for support: timestamp = ${new Date().toISOString()}, correlationId = ${correlationId}.`;
}
