import { ContainerServiceClient } from '@azure/arm-containerservice';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { staticTokenCredential } from '../../src/azure/credential.js';
import { parseClusterId } from '../../src/domain/inventory.js';
import type { FaultRule } from '../../src/emulator/types.js';
import { SUB_1, SUB_2, SUB_3 } from '../helpers/fleets.js';
import { parseScrape } from '../helpers/prometheus.js';
import { FAULT_RETRY, POLL, startHarness, SUBMIT, UPGRADE_DURATION_MS, type Exchange, type Harness } from './fault-harness.js';

/**
 * The emulator's fault plan across whole snapshots and whole upgrade runs: 429 storms with Retry-After, 5xx bursts,
 * connection resets, latency beyond the per-request timeout, a mix, and seeded random plans. Whatever the plan,
 * every snapshot and every run ends clean (the invariants are checked by the harness after each step), transient
 * faults are ridden out, and persistent ones end in a recorded failure.
 *
 * Each phase (snapshot, upgrade) meets the whole plan: the harness re-arms it, counters reset. Within a phase, the
 * Resource Graph calls are: 1 subscriptions query, then inventory pages 1 and 2 (1,022 clusters, 1,000 a page).
 */

const ALL_SUBSCRIPTIONS = { IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2},${SUB_3}` };

/** The POLL label covers both requests of a poll: the operation status and, once done, its result (Location). */
const labelOf = (e: Exchange) => (e.operation === 'operationResults.get' ? POLL : e.operation);

/** How long after the `index`-th answer of `operation` the next request of it was answered. */
function gapAfter(exchanges: Exchange[], operation: string, index: number): number {
  const of = exchanges.filter((e) => labelOf(e) === operation);
  return of[index + 1]!.at - of[index]!.at;
}

async function withHarness(options: Parameters<typeof startHarness>[0], body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(options);
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

describe('fault plans over whole snapshots and upgrade runs', () => {
  it('a 429 storm with Retry-After over Resource Graph, the latest-image lookups, the upgrade POST and its polls is ridden out, honouring every wait', async () => {
    const storm: FaultRule[] = [
      { operation: 'resources', action: 'throttle', retryAfterSeconds: 0, times: 3 },
      { operation: 'resources', nth: 5, action: 'quota-throttle', retryAfterSeconds: 0, times: 2 },
      { operation: 'resources', nth: 8, action: 'throttle', retryAfterSeconds: 1 },
      { operation: 'agentPools.getUpgradeProfile', action: 'throttle', retryAfterSeconds: 0, times: 5 },
      { operation: SUBMIT, action: 'throttle', retryAfterSeconds: 1 },
      { operation: SUBMIT, nth: 2, action: 'throttle', retryAfterSeconds: 0, times: 3 },
      { operation: POLL, action: 'throttle', retryAfterSeconds: 1 },
      { operation: POLL, nth: 3, action: 'throttle', retryAfterSeconds: 0, times: 2 },
      { operation: 'operationResults.get', action: 'throttle', retryAfterSeconds: 0 },
    ];
    await withHarness({ rules: storm }, async (h) => {
      const first = await h.snapshot();
      expect(first).toMatchObject({ status: 'succeeded', warnings: [] });
      // Resource Graph's 8th call (the second inventory page) asked for a second: it got it before the retry.
      expect(gapAfter(h.exchanges, 'resources', 7)).toBeGreaterThanOrEqual(1_000);

      const run = await h.upgrade();
      expect(run).toMatchObject({ status: 'succeeded' });
      expect(run!.pools.map((p) => [p.poolName, p.status])).toEqual([['batch', 'succeeded'], ['web', 'succeeded'], ['system', 'succeeded']]);
      // batch's POST met 4 throttles, then Azure accepted it; the others went through at once: 7 POSTs, 3 upgrades.
      expect(h.emulator.callCounts()[SUBMIT]).toBe(7);
      expect(gapAfter(h.exchanges, SUBMIT, 0)).toBeGreaterThanOrEqual(1_000);
      // The first poll was asked to wait a second too.
      const polls = h.exchanges.filter((e) => labelOf(e) === POLL);
      expect(polls[0]!.status).toBe(429);
      expect(gapAfter(h.exchanges, POLL, 0)).toBeGreaterThanOrEqual(1_000);
      const posts = h.exchanges.filter((e) => e.operation === SUBMIT);

      // Every POST and poll attempt is counted like any other ARM call: by status, throttles and retries.
      const scrape = await h.checkMetrics();
      expect(scrape.value('imagewarden_arm_requests_total', { operation: SUBMIT, status: '429' })).toBe(posts.filter((e) => e.status === 429).length);
      expect(scrape.value('imagewarden_arm_requests_total', { operation: SUBMIT, status: '2xx' })).toBe(3);
      expect(scrape.value('imagewarden_arm_throttled_total', { operation: SUBMIT })).toBe(4);
      expect(scrape.value('imagewarden_arm_retries_total', { operation: SUBMIT })).toBe(4);
      expect(scrape.value('imagewarden_arm_throttled_total', { operation: POLL })).toBe(polls.filter((e) => e.status === 429).length);
      expect(scrape.value('imagewarden_arm_throttled_total', { operation: POLL })).toBe(1 + 2 + 1);
    });
  });

  it('a POST answered with an error is re-sent only after a re-read: an upgrade that started meanwhile is adopted, never POSTed again', async () => {
    await withHarness({ clustersPerSubscription: 2 }, async (h) => {
      // Another actor starts web's upgrade (a long one) while imagewarden waits out the Retry-After of its 429.
      const { subscriptionId, resourceGroup, name } = parseClusterId(h.clusterId)!;
      const aks = new ContainerServiceClient(staticTokenCredential(h.emulator.token), subscriptionId, { endpoint: h.emulator.url, retryOptions: { maxRetries: 0 } });
      let external: Promise<void> | undefined;
      h.onExchange((e) => {
        if (external || e.operation !== SUBMIT || e.status !== 429) return;
        h.emulator.configure({ upgradeDurationMs: 1_500 });
        external = aks.agentPools.upgradeNodeImageVersion(resourceGroup, name, 'web', { updateIntervalInMs: 50 }).submitted().finally(() => h.emulator.configure({ upgradeDurationMs: UPGRADE_DURATION_MS }));
      });
      const run = await h.upgrade([{ operation: SUBMIT, poolName: 'web', action: 'throttle', retryAfterSeconds: 1 }]);
      await external;
      expect(run).toMatchObject({ status: 'succeeded' });
      expect(run!.pools.find((p) => p.poolName === 'web')).toMatchObject({ status: 'succeeded', pollerState: null });
      // batch 1, web 2 (imagewarden's throttled one, the other actor's), system 1: web's was never sent again.
      expect(h.emulator.callCounts()[SUBMIT]).toBe(4);
      const web = [...h.services.evidenceRepo.entries()].filter((e) => e.subject === run!.id).map((e) => JSON.parse(e.body) as Record<string, unknown>).filter((e) => e.poolName === 'web');
      expect(web.some((e) => e.adopted === true && e.derivedFrom === 'resource_state')).toBe(true);
      expect(web.some((e) => 'operationId' in e)).toBe(false);
      // imagewarden's own POSTs, as counted: the throttled one, batch's and system's.
      const scrape = parseScrape(await h.services.metrics.render());
      expect(scrape.value('imagewarden_arm_requests_total', { operation: SUBMIT, status: '429' })).toBe(1);
      expect(scrape.value('imagewarden_arm_requests_total', { operation: SUBMIT, status: '2xx' })).toBe(2);
    });
  });

  it('5xx bursts on each operation are retried with backoff: the snapshot and the run succeed, each pool upgraded once', async () => {
    const bursts: FaultRule[] = [
      { operation: 'resources', nth: 2, action: 'error', status: 503, times: 2 },
      { operation: 'resources', nth: 5, action: 'error', status: 500 },
      { operation: 'agentPools.getUpgradeProfile', action: 'error', status: 502, times: 3 },
      { operation: 'agentPools.getUpgradeProfile', nth: 7, action: 'error', status: 504, times: 2 },
      { operation: SUBMIT, action: 'error', status: 503, times: 2 },
      { operation: SUBMIT, nth: 4, action: 'error', status: 500 },
      { operation: POLL, action: 'error', status: 500, times: 3 },
      { operation: 'operationResults.get', action: 'error', status: 503, times: 2 },
    ];
    await withHarness({ rules: bursts }, async (h) => {
      expect(await h.snapshot()).toMatchObject({ status: 'succeeded', warnings: [] });
      const run = await h.upgrade();
      expect(run).toMatchObject({ status: 'succeeded', error: null });
      // batch: 503, 503, accepted; web: 500, accepted; system: accepted.
      expect(h.emulator.callCounts()[SUBMIT]).toBe(6);
      const scrape = await h.checkMetrics();
      expect(scrape.value('imagewarden_arm_requests_total', { operation: SUBMIT, status: '503' })).toBe(2);
      expect(scrape.value('imagewarden_arm_requests_total', { operation: POLL, status: '500' })).toBe(3);
    });
  });

  it('5xx that persist end clean: the snapshot fails per subscription and keeps what it had; the run fails at the pool, with Azure\'s error', async () => {
    await withHarness({}, async (h) => {
      expect(await h.snapshot()).toMatchObject({ status: 'succeeded' });
      const run = await h.upgrade([{ operation: SUBMIT, poolName: 'web', action: 'error', status: 503, code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.', times: -1 }]);
      expect(run!.status).toBe('failed');
      expect(run!.pools.map((p) => [p.poolName, p.status])).toEqual([['batch', 'succeeded'], ['web', 'failed'], ['system', 'not_attempted']]);
      expect(run!.pools[1]!.error).toMatchObject({ code: 'ServiceUnavailable', message: expect.stringMatching(/after 6 attempt\(s\): 503 ServiceUnavailable The service is temporarily unavailable/) });
      // Six POSTs for web, every one refused before Azure took it; one accepted for batch.
      const webPosts = h.exchanges.filter((e) => e.operation === SUBMIT && /\/web\//i.test(e.path));
      expect(webPosts.map((e) => e.status)).toEqual([503, 503, 503, 503, 503, 503]);

      h.drift();
      const failed = await h.snapshot([{ operation: 'resources', nth: 2, action: 'error', status: 503, times: -1 }]);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/503/);
      expect(failed.subscriptions).toHaveLength(3);
      for (const s of failed.subscriptions) expect(s).toMatchObject({ status: 'failed', error: expect.stringMatching(/503/) });
      await h.checkMetrics();
    });
  });

  it('connection resets are retried where repeating is safe; a reset upgrade POST is never sent again: watched, then recorded failed', async () => {
    const resets: FaultRule[] = [
      { operation: 'resources', nth: 2, action: 'drop' },
      { operation: 'resources', nth: 4, action: 'drop' },
      { operation: 'agentPools.getUpgradeProfile', nth: 2, action: 'drop', times: 2 },
      { operation: POLL, nth: 2, action: 'drop', times: 2 },
      { operation: 'operationResults.get', action: 'drop' },
      { operation: 'agentPools.get', nth: 3, action: 'drop' },
    ];
    await withHarness({ rules: resets }, async (h) => {
      expect(await h.snapshot()).toMatchObject({ status: 'succeeded', warnings: [] });

      // The reset comes after the POST went out: Azure may have taken it (here it did not). Not re-sent.
      const first = await h.upgrade([...resets, { operation: SUBMIT, poolName: 'web', action: 'drop' }]);
      expect(first!.status).toBe('failed');
      expect(first!.pools.map((p) => [p.poolName, p.status])).toEqual([['batch', 'succeeded'], ['web', 'failed'], ['system', 'not_attempted']]);
      expect(first!.pools[1]!.error).toMatchObject({ code: 'SubmissionUnconfirmed', message: expect.stringMatching(/no answer .*not sent again/) });
      expect(h.emulator.callCounts()[SUBMIT]).toBe(2); // batch accepted, web dropped once; system never tried
      const events = [...h.services.evidenceRepo.entries()].filter((e) => e.subject === first!.id).map((e) => JSON.parse(e.body) as Record<string, unknown>);
      expect(events.some((e) => e.poolName === 'web' && e.submission === 'unconfirmed')).toBe(true);

      // The outcome is visible (no upgrade in flight): a new run upgrades what is left, web exactly once.
      const second = await h.upgrade(resets);
      expect(second).toMatchObject({ status: 'succeeded' });
      expect(second!.pools.map((p) => p.poolName)).toEqual(['web', 'system']);
      const scrape = await h.checkMetrics();
      expect(scrape.value('imagewarden_arm_requests_total', { operation: SUBMIT, status: 'network' })).toBe(1);
      expect(scrape.value('imagewarden_arm_retries_total', { operation: SUBMIT })).toBeUndefined();
      expect(scrape.sum('imagewarden_arm_requests_total', { operation: POLL, status: 'network' })).toBeGreaterThanOrEqual(2);
    });
  });

  it('latency: slow answers are waited for; answers beyond the per-request timeout are retried, and a timed-out POST is adopted once Azure shows it', async () => {
    const beyond = FAULT_RETRY.perRequestTimeoutInMs + 300;
    const slowStart: FaultRule = { operation: '*', action: 'slow', delayMs: 150, times: 3 };
    const snapshotLatency: FaultRule[] = [
      slowStart,
      { operation: 'resources', nth: 3, action: 'slow', delayMs: beyond },
      { operation: 'agentPools.getUpgradeProfile', nth: 4, action: 'slow', delayMs: beyond },
    ];
    const upgradeLatency: FaultRule[] = [
      slowStart,
      { operation: SUBMIT, nth: 2, action: 'slow', delayMs: beyond },
      { operation: POLL, nth: 3, action: 'slow', delayMs: beyond },
      { operation: 'operationResults.get', action: 'slow', delayMs: 400 },
    ];
    await withHarness({}, async (h) => {
      expect(await h.snapshot(snapshotLatency)).toMatchObject({ status: 'succeeded', warnings: [] });
      const run = await h.upgrade(upgradeLatency);
      expect(run).toMatchObject({ status: 'succeeded' });
      // web's POST timed out on our side but Azure took it: adopted from the pool's state, never sent twice.
      expect(h.emulator.callCounts()[SUBMIT]).toBe(3);
      const web = [...h.services.evidenceRepo.entries()].filter((e) => e.subject === run!.id).map((e) => JSON.parse(e.body) as Record<string, unknown>).filter((e) => e.poolName === 'web');
      expect(web.some((e) => e.submission === 'unconfirmed')).toBe(true);
      expect(web.some((e) => e.adopted === true && e.derivedFrom === 'resource_state')).toBe(true);

      const scrape = await h.checkMetrics();
      for (const operation of ['resources', 'agentPools.getUpgradeProfile', SUBMIT, POLL]) {
        expect(scrape.value('imagewarden_arm_requests_total', { operation, status: 'network' }), operation).toBeGreaterThanOrEqual(1);
      }
    });
  });

  it('a mixed plan: a forbidden subscription leaves the snapshot partial with its data kept; Azure failing one pool fails the run with its error', async () => {
    const mixed: FaultRule[] = [
      { operation: 'resources', subscriptionId: SUB_3, action: 'error', status: 403, code: 'AuthorizationFailed', times: -1 },
      { operation: 'resources', nth: 2, action: 'throttle', retryAfterSeconds: 0 },
      { operation: 'resources', nth: 4, action: 'drop' },
      { operation: 'resources', nth: 6, action: 'slow', delayMs: FAULT_RETRY.perRequestTimeoutInMs + 300 },
      { operation: 'agentPools.getUpgradeProfile', nth: 2, action: 'error', status: 503, times: 2 },
      { operation: 'agentPools.getUpgradeProfile', nth: 5, action: 'quota-throttle', retryAfterSeconds: 0 },
      { operation: SUBMIT, action: 'throttle', retryAfterSeconds: 0 },
      { operation: SUBMIT, nth: 3, action: 'error', status: 500 },
      { operation: POLL, nth: 2, action: 'drop' },
      { operation: POLL, nth: 4, action: 'error', status: 502, times: 2 },
      { operation: POLL, nth: 7, action: 'slow', delayMs: FAULT_RETRY.perRequestTimeoutInMs + 300 },
      { operation: 'operationResults.get', action: 'throttle', retryAfterSeconds: 0 },
      { operation: 'agentPools.get', nth: 2, action: 'error', status: 500 },
      { action: 'fail-upgrade', poolName: 'system', code: 'UpgradeFailed', message: 'Drain of node aks-system-1 failed: Cannot evict pod as it would violate the pod\'s disruption budget.' },
    ];
    await withHarness({ env: ALL_SUBSCRIPTIONS }, async (h) => {
      expect(await h.snapshot([])).toMatchObject({ status: 'succeeded' });
      h.drift();
      const partial = await h.snapshot(mixed);
      expect(partial.status).toBe('partial');
      expect(partial.subscriptions).toEqual([
        { id: SUB_1, status: 'succeeded' },
        { id: SUB_2, status: 'succeeded' },
        { id: SUB_3, status: 'failed', error: expect.stringMatching(/403 AuthorizationFailed/) },
      ]);

      const run = await h.upgrade(mixed);
      expect(run!.status).toBe('failed');
      expect(run!.pools.map((p) => [p.poolName, p.status])).toEqual([['batch', 'succeeded'], ['web', 'succeeded'], ['system', 'failed']]);
      expect(run!.error).toEqual({ code: 'UpgradeFailed', message: expect.stringContaining('violate the pod\'s disruption budget') });
      expect(h.emulator.callCounts()[SUBMIT]).toBe(3 + 2);
      await h.checkMetrics();
    });
  });

  it('seeded random fault plans over the same operations: every run ends clean and the ledger verifies', async () => {
    const operations = ['resources', 'agentPools.getUpgradeProfile', SUBMIT, POLL, 'operationResults.get', 'agentPools.get'];
    const action: fc.Arbitrary<Omit<FaultRule, 'operation' | 'nth'>> = fc.oneof(
      fc.record({ action: fc.constant('throttle' as const), retryAfterSeconds: fc.constantFrom(0, 0, 1), times: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ action: fc.constant('quota-throttle' as const), retryAfterSeconds: fc.constant(0), times: fc.constantFrom(1, 2, -1) }),
      fc.record({ action: fc.constant('error' as const), status: fc.constantFrom(500, 502, 503, 504), times: fc.constantFrom(1, 2, 3, -1) }),
      fc.record({ action: fc.constant('drop' as const), times: fc.constantFrom(1, 2, -1) }),
      fc.record({ action: fc.constant('slow' as const), delayMs: fc.constantFrom(100, 400, FAULT_RETRY.perRequestTimeoutInMs + 300), times: fc.integer({ min: 1, max: 2 }) }),
    );
    const rule: fc.Arbitrary<FaultRule> = fc
      .record({ operation: fc.constantFrom(...operations), nth: fc.integer({ min: 1, max: 6 }), action })
      .map(({ action: a, ...where }) => ({ ...where, ...a }));
    const outcomes: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 5 }), async (rules) => {
        await withHarness({ rules }, async (h) => {
          const first = await h.snapshot();
          const run = await h.upgrade();
          h.drift();
          const second = await h.snapshot();
          await h.checkMetrics();
          outcomes.push(`${first.status}/${run?.status ?? 'refused'}/${second.status}`);
        });
      }),
      { numRuns: 6, seed: 20261125, endOnFailure: true },
    );
    expect(outcomes).toHaveLength(6);
    // The seed's plans reach both endings of a run: ridden out, and a recorded failure.
    expect(outcomes.some((o) => o.split('/')[1] === 'succeeded')).toBe(true);
    expect(outcomes.some((o) => o.split('/')[1] === 'failed')).toBe(true);
  });
});
