import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config } from '../config.js';
import { compliancePercentages } from '../domain/drift.js';
import { dayEnd } from '../domain/report-period.js';
import type { InventoryService, StatusCounts } from './inventory-service.js';
import { runInWorker } from '../lib/worker-thread.js';
import type { TrendWorkerInput } from './trend-worker.js';

export interface TrendDay {
  day: string;
  at: string;
  total: number;
  counts: StatusCounts;
  compliancePercent: number | null;
  compliancePercentWithExceptions: number | null;
}

/** Days the trend covers when not told (the API's default, and what the dashboard's overview shows). */
export const TREND_DEFAULT_DAYS = 30;

const DAY_IN_MS = 86_400_000;
/**
 * A day's figures are kept once its end is this far behind: by then every snapshot that could count for it has
 * committed. Statuses at a moment follow only what was recorded up to it (exception decisions, policy versions
 * and observations all take effect from when they were recorded), so an ended day's figures never change.
 */
const SETTLED_AFTER_IN_MS = 6 * 3_600_000;
/** Days × scopes kept; past it the memo starts afresh (a few hundred bytes each). */
const MAX_KEPT_DAYS = 20_000;

export type ComplianceTrend = ReturnType<typeof createComplianceTrend>;

/** A day of the trend and the moment its figures are taken at (its 23:59:59Z, or now for today). */
export interface TrendMoment {
  readonly day: string;
  readonly at: string;
}

/** Evaluates the fleet at each moment: in this process (walkTrendDays) or in a worker thread (trendWorkerWalker). */
export type TrendDayWalker = (moments: readonly TrendMoment[], scope: string | undefined, now: Date) => Promise<TrendDay[]>;

/**
 * Each moment's summary counts, walked the way a report walks its period (InventoryService.evaluateAcross: each
 * day's pools as changes from the day before), yielding to the event loop between days.
 */
export async function walkTrendDays(inventory: Pick<InventoryService, 'evaluateAcross'>, moments: readonly TrendMoment[], scope: string | undefined): Promise<TrendDay[]> {
  const evaluated = inventory.evaluateAcross(
    moments.map(({ at }) => new Date(at)),
    scope,
  );
  const days: TrendDay[] = [];
  for (const { day, at } of moments) {
    const counts: StatusCounts = { current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 };
    const { pools } = evaluated.next().value as { pools: Iterable<{ drift: { status: keyof StatusCounts } }> };
    for (const { drift } of pools) counts[drift.status]++;
    const total = counts.current + counts.within_policy + counts.non_compliant + counts.excepted + counts.unknown;
    days.push({ day, at, total, counts, ...compliancePercentages(counts) });
    await yieldToEventLoop();
  }
  return days;
}

/** The walk in this process, between requests (the tests, and the CLI). */
export const inProcessWalker =
  (inventory: Pick<InventoryService, 'evaluateAcross'>): TrendDayWalker =>
  (moments, scope) =>
    walkTrendDays(inventory, moments, scope);

/**
 * The walk in a worker thread of its own with a read-only connection (trend-worker.ts), so that a first look at a
 * large fleet costs requests nothing. Secrets stay here.
 */
export function trendWorkerWalker(config: Config): TrendDayWalker {
  const workerConfig: Config = { ...config, armToken: null, apiKey: null, clientSecret: null, metricsToken: null, webhook: null };
  return (moments, scope, now) => runInWorker<TrendDay[]>('services/trend-worker.js', { config: workerConfig, moments, scope, now: now.getTime() } satisfies TrendWorkerInput);
}

/**
 * The last `days` UTC days up to today, each day's figures at 23:59:59Z: the summary's counts at each moment.
 * Today's come from the summary (kept while nothing changes); an ended day is walked once (by `walkDays`) and kept.
 * One walk of settled days runs at a time, and a second caller waits for its days rather than computing them again.
 */
export function createComplianceTrend(inventory: Pick<InventoryService, 'summary'>, walkDays: TrendDayWalker) {
  const kept = new Map<string, TrendDay>();
  let walking: Promise<void> = Promise.resolve();
  const keyOf = (scope: string | undefined, day: string) => `${scope ?? ''}\n${day}`;

  async function walk(moments: readonly TrendMoment[], scope: string | undefined, now: Date, into: Map<string, TrendDay>): Promise<void> {
    for (const day of await walkDays(moments, scope, now)) into.set(keyOf(scope, day.day), day);
  }

  return {
    async trend(query: { days: number; scope?: string; now: Date }): Promise<TrendDay[]> {
      const nowIso = query.now.toISOString();
      const today = Date.parse(`${nowIso.slice(0, 10)}T00:00:00.000Z`);
      const moments = Array.from({ length: query.days }, (_, index) => {
        const day = new Date(today - (query.days - 1 - index) * DAY_IN_MS).toISOString().slice(0, 10);
        const end = dayEnd(day);
        return { day, at: end < nowIso ? end : nowIso };
      });
      const settled = (at: string) => Date.parse(at) + SETTLED_AFTER_IN_MS <= query.now.getTime();
      const past = moments.filter(({ at }) => at !== nowIso);
      // Days not settled yet are walked for this answer only.
      const fresh = new Map<string, TrendDay>();
      const unsettled = past.filter(({ at }) => !settled(at));
      if (unsettled.length > 0) await walk(unsettled, query.scope, query.now, fresh);
      // Settled days: read from the memo, walking the missing ones first, one walk at a time.
      const settledDays = walking.then(async () => {
        const isMissing = ({ day, at }: { day: string; at: string }) => settled(at) && !kept.has(keyOf(query.scope, day));
        if (kept.size + past.filter(isMissing).length > MAX_KEPT_DAYS) kept.clear();
        const missing = past.filter(isMissing);
        if (missing.length > 0) await walk(missing, query.scope, query.now, kept);
        return new Map(past.filter(({ at }) => settled(at)).map(({ day }) => [keyOf(query.scope, day), kept.get(keyOf(query.scope, day))!]));
      });
      walking = settledDays.then(
        () => undefined,
        () => undefined,
      );
      for (const [key, value] of await settledDays) fresh.set(key, value);
      return moments.map(({ day, at }) => {
        if (at === nowIso) {
          const { total, counts, compliancePercent, compliancePercentWithExceptions } = inventory.summary({ asOf: query.now, ...(query.scope === undefined ? {} : { scope: query.scope }) });
          return { day, at, total, counts, compliancePercent, compliancePercentWithExceptions };
        }
        return fresh.get(keyOf(query.scope, day))!;
      });
    },
  };
}
