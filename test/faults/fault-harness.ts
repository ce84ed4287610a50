import { expect } from 'vitest';
import type { RetryPolicy } from '../../src/azure/retry.js';
import type { Snapshot } from '../../src/domain/snapshot.js';
import type { FaultRule, RunningEmulator } from '../../src/emulator/types.js';
import type { UpgradeRunRecord } from '../../src/store/upgrade-repository.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { pool, UBUNTU } from '../helpers/fleets.js';
import { parseScrape, type Scrape } from '../helpers/prometheus.js';
import { createTestServices, testConfig } from '../helpers/service.js';
import { AZL, faultFleet, LATEST, OLD, SUBSCRIPTIONS, UPGRADE_CLUSTER } from './fault-fleet.js';

/**
 * One service against one emulator, with the fault plan applied to every phase, and the invariants every run must
 * keep whatever the faults: a snapshot ends succeeded with exactly the emulator's truth stored, or partial/failed
 * with each failed subscription's error recorded and none of its data touched; an upgrade run ends succeeded with
 * every pool on its target in the emulator, or failed naming the pool and Azure's error; no pool is upgraded twice;
 * the evidence ledger verifies after every step.
 */

/** FAST_RETRY's shape with a per-request timeout short enough that latency faults can go past it. */
export const FAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayInMs: 20,
  maxDelayInMs: 200,
  maxThrottleDelayInMs: 3_000,
  perRequestTimeoutInMs: 1_000,
};
export const UPGRADE_DURATION_MS = 100;
export const POLL_INTERVAL_MS = 40;
/** A run that has not ended by then is stuck: the invariant is broken, not the test slow. */
const RUN_LIMIT_MS = 30_000;

export const SUBMIT = 'agentPools.upgradeNodeImageVersion';
export const POLL = 'operations.get';
/** The operations whose every attempt goes through the retry policy, and so shows in `imagewarden_arm_requests_total`. */
export const COUNTED_OPERATIONS = ['resources', 'agentPools.getUpgradeProfile', SUBMIT, POLL] as const;

/** One answered request, from the emulator's request log (dropped connections are not logged). */
export interface Exchange {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly operation: string;
}

interface StoredPool {
  readonly subscriptionId: string;
  readonly location: string;
  readonly imageFamily: string | null;
  readonly nodeImageVersion: string | null;
  readonly latestNodeImageVersion: string | null;
}

interface TruePool {
  readonly subscriptionId: string;
  readonly location: string;
  readonly nodeImageVersion: string | null;
  readonly provisioningState: string | null;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

export async function startHarness(options: { rules?: FaultRule[]; env?: Record<string, string>; clustersPerSubscription?: number } = {}) {
  const exchanges: Exchange[] = [];
  /** Told of each answered request as it is answered (a test acting "at the same moment" as a fault). */
  let onExchange: ((exchange: Exchange) => void) | undefined;
  const emulator = await startTestEmulator(faultFleet(options.clustersPerSubscription), {
    upgradeDurationMs: UPGRADE_DURATION_MS,
    log: (line) => {
      const match = /^(GET|POST) (\S+) -> (\d+) (\S+) /.exec(line);
      if (!match) return;
      const exchange = { at: Date.now(), method: match[1]!, path: match[2]!, status: Number(match[3]), operation: match[4]! };
      exchanges.push(exchange);
      onExchange?.(exchange);
    },
  });
  const { services, db } = createTestServices(testConfig(emulator, options.env), { retry: FAULT_RETRY, upgradeIntervalInMs: POLL_INTERVAL_MS });
  const rules = options.rules ?? [];
  const clusterId = emulator.fleet.listClusterIds().find((id) => id.endsWith(`/${UPGRADE_CLUSTER}`))!;
  const runs: UpgradeRunRecord[] = [];
  let requests = 0;

  /** The plan again, counters reset: each phase (snapshot, upgrade) meets the whole plan. */
  const arm = (plan: FaultRule[] = rules) => emulator.setFaults({ rules: plan });

  const verifyLedger = () => {
    const verification = services.evidence.verify();
    expect(verification.intact, JSON.stringify(verification)).toBe(true);
  };

  /** A fleet snapshot under the plan, checked against the emulator's truth. */
  async function snapshot(plan?: FaultRule[]): Promise<Snapshot> {
    const before = storedPools(services);
    arm(plan);
    const taken = await services.snapshotService.run('cli', 'fault-plan');
    arm([]);
    checkSnapshot(taken, before);
    verifyLedger();
    return taken;
  }

  function checkSnapshot(taken: Snapshot, before: Map<string, StoredPool>): void {
    const context = `snapshot ${taken.id} ${taken.status} ${JSON.stringify(taken.subscriptions)} ${taken.error ?? ''}`;
    expect(['succeeded', 'partial', 'failed'], context).toContain(taken.status);
    expect(services.snapshots.get(taken.id)?.status, context).toBe(taken.status);
    const now = storedPools(services);
    const real = truePools(emulator);
    const failed = new Set(taken.subscriptions.filter((s) => s.status === 'failed').map((s) => s.id.toLowerCase()));
    for (const s of taken.subscriptions) if (s.status === 'failed') expect(s.error, context).toMatch(/\S/);
    if (taken.status === 'succeeded') {
      expect(taken.subscriptions.map((s) => s.id.toLowerCase()).sort(), context).toEqual([...SUBSCRIPTIONS].sort());
      expect(failed.size, context).toBe(0);
    } else if (taken.status === 'partial') {
      expect(failed.size, context).toBeGreaterThan(0);
      expect(failed.size, context).toBeLessThan(taken.subscriptions.length);
    } else {
      expect(taken.error, context).toMatch(/\S/);
      expect(taken.subscriptions.every((s) => s.status === 'failed'), context).toBe(true);
    }
    const read = new Set(taken.status === 'failed' ? [] : taken.subscriptions.filter((s) => s.status === 'succeeded').map((s) => s.id.toLowerCase()));
    let readPools = 0;
    for (const subscription of SUBSCRIPTIONS) {
      const stored = pick(now, subscription);
      if (!read.has(subscription)) {
        // No partial data: a subscription that failed keeps exactly what it had (nothing, on a fresh store).
        expect(stored, `${context}: ${subscription} failed, its pools must not change`).toEqual(pick(before, subscription));
        continue;
      }
      const truth = pick(real, subscription);
      expect(mapValues(stored, (p) => p.nodeImageVersion), `${context}: ${subscription}`).toEqual(mapValues(truth, (p) => p.nodeImageVersion));
      readPools += stored.size;
      for (const [key, p] of stored) {
        const want = p.imageFamily === null ? null : (LATEST[p.location]?.[p.imageFamily] ?? null);
        const warned = taken.warnings.some(
          (w) => w.code === 'latest_image_unavailable' && String(w.subscriptionId).toLowerCase() === subscription && w.location === p.location && w.imageFamily === p.imageFamily,
        );
        // Never a wrong latest image: the emulator's, or unknown when its lookup failed (and a warning says so).
        if (warned) expect([want, null], `${context}: ${key}`).toContain(p.latestNodeImageVersion);
        else expect(p.latestNodeImageVersion, `${context}: ${key}`).toBe(want);
      }
    }
    if (taken.status !== 'failed') expect(taken.poolCount, context).toBe(readPools);
  }

  /**
   * Requests an upgrade of every pool of `aks-upg` behind its latest image under the plan, and waits for the run to
   * end (bounded). A request refused because the pre-check reads failed is a clean outcome too: nothing is stored.
   */
  async function upgrade(plan?: FaultRule[]): Promise<UpgradeRunRecord | null> {
    services.upgradeRunner.start();
    arm(plan);
    let id: string;
    try {
      const response = await services.upgradeService.request({ clusterId, reason: 'fault plan', changeTicket: 'CHG-FAULT' }, { actor: 'key:ops', role: 'operator' }, `fault-${++requests}`);
      id = (response.body as { id: string }).id;
    } catch {
      arm([]);
      expect(services.upgradeRepo.activeFor(clusterId.toLowerCase()), 'a refused request stores no run').toBeNull();
      verifyLedger();
      return null;
    }
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), RUN_LIMIT_MS)));
    const ended = await Promise.race([services.upgradeRunner.idle().then(() => 'ended' as const), limit]);
    clearTimeout(timer);
    arm([]);
    const run = services.upgradeService.get(id);
    expect(ended, `run ${id} is still ${run.status}: ${JSON.stringify(run.pools)}`).toBe('ended');
    await quiesce();
    checkRun(run);
    verifyLedger();
    runs.push(run);
    return run;
  }

  /** Waits (bounded) until no upgrade runs in the emulator, so its state is the truth to compare with. */
  async function quiesce(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (![...truePools(emulator).values()].some((p) => p.provisioningState === 'UpgradingNodeImageVersion')) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function checkRun(run: UpgradeRunRecord): void {
    const context = `run ${run.id} ${run.status} ${JSON.stringify(run.error)} ${JSON.stringify(run.pools.map((p) => [p.poolName, p.status, p.error]))}`;
    expect(['succeeded', 'failed', 'blocked'], context).toContain(run.status);
    const real = truePools(emulator);
    const onTarget = (poolName: string) => {
      const p = [...real.entries()].find(([key]) => key.endsWith(`/${UPGRADE_CLUSTER}/${poolName}`))?.[1];
      const family = poolName === 'batch' ? AZL : UBUNTU;
      return p?.provisioningState === 'Succeeded' && p.nodeImageVersion === LATEST[p.location]![family];
    };
    const entries = [...services.evidenceRepo.entries()].filter((e) => e.subject === run.id);
    const bodies = entries.map((e) => ({ kind: e.kind, body: JSON.parse(e.body) as Record<string, unknown> }));
    expect(entries.at(-1)?.kind, context).toBe(run.status === 'succeeded' ? 'upgrade_completed' : `upgrade_${run.status}`);
    for (const p of run.pools) if (p.status === 'succeeded' || p.status === 'skipped') expect(onTarget(p.poolName), `${context}: ${p.poolName} in the emulator`).toBe(true);
    if (run.status === 'succeeded') {
      expect(run.error, context).toBeNull();
      for (const p of run.pools) expect(['succeeded', 'skipped'], `${context}: ${p.poolName}`).toContain(p.status);
    } else {
      expect(run.error?.code, context).toMatch(/\S/);
      expect(run.error?.message, context).toMatch(/\S/);
      const failedAt = run.pools.findIndex((p) => p.status === 'failed');
      if (failedAt === -1) {
        expect(run.error?.code, context).toBe('postcheck_failed');
        expect(bodies.some((b) => b.kind === 'upgrade_postchecks' && b.body.passed === false), context).toBe(true);
      } else {
        const failing = run.pools[failedAt]!;
        expect(failing.error?.code, context).toMatch(/\S/);
        expect(failing.error?.message, context).toMatch(/\S/);
        expect(run.error, context).toEqual(failing.error);
        // Azure's error is in the run's evidence, under the failing pool.
        expect(bodies.some((b) => b.kind === 'upgrade_pool_failed' && b.body.poolName === failing.poolName && JSON.stringify(b.body.error) === JSON.stringify(failing.error)), context).toBe(true);
        for (const p of run.pools.slice(0, failedAt)) expect(['succeeded', 'skipped'], `${context}: ${p.poolName}`).toContain(p.status);
        for (const p of run.pools.slice(failedAt + 1)) expect(p.status, `${context}: ${p.poolName}`).toBe('not_attempted');
      }
    }
    checkPosts(context, [run]);
  }

  /**
   * Never a pool upgraded twice: Azure accepted (202) at most one POST per pool over the whole scenario, and every
   * other POST was answered by a fault (429, 5xx) or dropped by one before Azure saw it. Never a 409: no second
   * POST raced the first.
   */
  function checkPosts(context: string, current: UpgradeRunRecord[]): void {
    const posts = exchanges.filter((e) => e.operation === SUBMIT);
    const accepted = new Map<string, number>();
    for (const post of posts) {
      const poolName = /\/agentpools\/([^/]+)\/upgradenodeimageversion/i.exec(post.path)?.[1] ?? '?';
      if (post.status === 202 || post.status === 200) accepted.set(poolName, (accepted.get(poolName) ?? 0) + 1);
      else expect([429, 500, 502, 503, 504], `${context}: POST ${poolName} answered ${post.status}`).toContain(post.status);
    }
    for (const [poolName, n] of accepted) expect(n, `${context}: ${poolName} accepted ${n} upgrade POSTs`).toBe(1);
    expect(emulator.callCounts()[SUBMIT] ?? 0, context).toBeGreaterThanOrEqual(posts.length);
    // An upgraded pool took exactly one accepted POST; a pool no run attempted took none.
    const all = [...runs, ...current];
    for (const poolName of new Set(all.flatMap((r) => r.pools.map((p) => p.poolName)))) {
      const statuses = all.flatMap((r) => r.pools.filter((p) => p.poolName === poolName).map((p) => p.status));
      if (statuses.includes('succeeded')) expect(accepted.get(poolName), `${context}: ${poolName}`).toBe(1);
      if (statuses.every((status) => status === 'not_attempted' || status === 'skipped')) expect(accepted.get(poolName), `${context}: ${poolName}`).toBeUndefined();
    }
  }

  /** Changes one pool in every subscription behind imagewarden's back (and adds one), so the next snapshot has news. */
  function drift(): void {
    for (const subscription of SUBSCRIPTIONS) {
      const ids = emulator.fleet.listClusterIds().filter((id) => id.toLowerCase().includes(subscription) && /\/aks-\d-\d{4}$/.test(id));
      // Filler clusters 0 and 1 run Ubuntu, in westeurope and northeurope.
      emulator.fleet.setPoolImage(ids[0]!, 'nodes', OLD[UBUNTU]!);
      emulator.fleet.addPool(ids[1]!, pool('extra', { nodeImageVersion: OLD[UBUNTU]! }));
    }
  }

  /** Every attempt of the counted operations is one request the emulator received, and the metrics count each. */
  async function checkMetrics(): Promise<Scrape> {
    const scrape = parseScrape(await services.metrics.render());
    const counts = emulator.callCounts();
    for (const operation of COUNTED_OPERATIONS) {
      expect(scrape.sum('imagewarden_arm_requests_total', { operation }), `arm_requests_total{operation=${operation}}`).toBe(counts[operation] ?? 0);
    }
    return scrape;
  }

  async function close(): Promise<void> {
    await services.upgradeRunner.stop();
    db.close();
    await emulator.close();
  }

  return {
    emulator,
    services,
    clusterId,
    exchanges,
    snapshot,
    upgrade,
    drift,
    checkMetrics,
    close,
    onExchange: (hook: (exchange: Exchange) => void) => void (onExchange = hook),
  };
}

/** The pools the service holds now (its newest committed state), by `<cluster id>/<pool>` in lower case. */
function storedPools(services: Harness['services']): Map<string, StoredPool> {
  const pools = new Map<string, StoredPool>();
  for (const p of services.inventory.pools({ limit: Number.MAX_SAFE_INTEGER }).items) {
    pools.set(`${p.clusterId.toLowerCase()}/${p.poolName}`, {
      subscriptionId: p.subscriptionId.toLowerCase(),
      location: p.location,
      imageFamily: p.imageFamily,
      nodeImageVersion: p.nodeImageVersion,
      latestNodeImageVersion: p.latestNodeImageVersion,
    });
  }
  return pools;
}

/** The emulator's fleet as it is now, keyed like storedPools. */
export function truePools(emulator: RunningEmulator): Map<string, TruePool> {
  const pools = new Map<string, TruePool>();
  for (const id of emulator.fleet.listClusterIds()) {
    const cluster = emulator.fleet.getCluster(id) as { location: string; properties: { agentPoolProfiles: { name: string; nodeImageVersion?: string | null; provisioningState?: string }[] } };
    for (const p of cluster.properties.agentPoolProfiles) {
      pools.set(`${id.toLowerCase()}/${p.name}`, {
        subscriptionId: id.split('/')[2]!.toLowerCase(),
        location: cluster.location,
        nodeImageVersion: p.nodeImageVersion ?? null,
        provisioningState: p.provisioningState ?? null,
      });
    }
  }
  return pools;
}

function pick<T extends { subscriptionId: string }>(pools: Map<string, T>, subscription: string): Map<string, T> {
  return new Map([...pools].filter(([, p]) => p.subscriptionId === subscription));
}

function mapValues<T, U>(map: Map<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries([...map].map(([key, value]) => [key, f(value)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}
