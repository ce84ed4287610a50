import type { ArgQuota } from './types.js';

/**
 * Resource Graph's per-user query quota (azure-wire.md §1.4): a fixed window per principal. When enforcement is
 * off the headers still go out, with a constant "plenty left" value, so clients can parse them on every answer.
 */

export interface QuotaDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

const RELAXED_REMAINING = 14; // what a fresh 15-per-5s window shows after one query
const RELAXED_WINDOW_SECONDS = 5;

export function createArgQuotaTracker(getQuota: () => ArgQuota | undefined) {
  const windows = new Map<string, { startedAtMs: number; used: number }>();

  return {
    consume(principalKey: string): QuotaDecision {
      const quota = getQuota();
      if (!quota) return { allowed: true, headers: quotaHeaders(RELAXED_REMAINING, RELAXED_WINDOW_SECONDS) };
      const windowMs = quota.windowSeconds * 1000;
      const nowMs = Date.now();
      let window = windows.get(principalKey);
      if (!window || nowMs - window.startedAtMs >= windowMs) {
        window = { startedAtMs: nowMs, used: 0 };
        windows.set(principalKey, window);
      }
      const resetsAfter = Math.max(1, Math.ceil((window.startedAtMs + windowMs - nowMs) / 1000));
      if (window.used >= quota.limit) return { allowed: false, headers: quotaHeaders(0, resetsAfter) };
      window.used++;
      return { allowed: true, headers: quotaHeaders(quota.limit - window.used, resetsAfter) };
    },
    reset(): void {
      windows.clear();
    },
  };
}

export function quotaHeaders(remaining: number, resetsAfterSeconds: number): Record<string, string> {
  return {
    'x-ms-user-quota-remaining': String(remaining),
    'x-ms-user-quota-resets-after': formatDuration(resetsAfterSeconds),
  };
}

/** `hh:mm:ss`, as ARG formats x-ms-user-quota-resets-after. */
function formatDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}
