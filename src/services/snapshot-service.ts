import type { Logger } from 'pino';
import type { ArmClients } from '../azure/arm-clients.js';
import { INVENTORY_QUERY, SUBSCRIPTIONS_QUERY } from '../azure/inventory-query.js';
import { InvalidRowError, queryAllPages, toObservations } from '../azure/inventory.js';
import { getLatestNodeImageVersion } from '../azure/latest-images.js';
import { ArmCallError, DEFAULT_RETRY_POLICY, type AttemptObserver, type RetryContext, type RetryPolicy } from '../azure/retry.js';
import type { ClusterObservation, PoolObservation } from '../domain/inventory.js';
import { poolKey } from '../domain/inventory.js';
import { planLatestImageLookups, reconcileLatest } from '../domain/latest-image-lookup.js';
import { compareNodeImageVersions, imageFamilyOf } from '../domain/node-image.js';
import {
  snapshotStatusOf,
  type Snapshot,
  type SnapshotTrigger,
  type SnapshotWarning,
  type SubscriptionResult,
} from '../domain/snapshot.js';
import { mapWithConcurrency } from '../lib/concurrency.js';
import type { LatestImageObservation } from '../store/observation-writer.js';
import type { SnapshotEvidence, SnapshotRepository } from '../store/snapshot-repository.js';
import { readClusterObservation } from '../azure/cluster-read.js';
import { clusterKey } from '../domain/inventory.js';
import type { StateRepository } from '../store/state-repository.js';

export interface SnapshotServiceOptions {
  readonly retryPolicy?: RetryPolicy;
  /** No ARM call or retry wait starts later than this after the snapshot began. */
  readonly deadlineInMs?: number;
  /** Latest-version lookups in flight at once. */
  readonly concurrency?: number;
  /** Subscriptions per Resource Graph query (the service advises batches under 300). */
  readonly subscriptionBatchSize?: number;
}

export interface SnapshotServiceDeps {
  readonly snapshots: SnapshotRepository;
  readonly state: Pick<StateRepository, 'currentSubscriptions'>;
  readonly clients: ArmClients;
  /** IMAGEWARDEN_SUBSCRIPTIONS (lower-case), or null for every readable subscription. */
  readonly requiredSubscriptions: readonly string[] | null;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly now: () => Date;
  readonly owner: string;
  readonly isOwnerAlive: (owner: string) => boolean;
  readonly options?: SnapshotServiceOptions;
  /** Human-readable progress (the CLI prints it on stderr). */
  readonly onProgress?: (message: string) => void;
  /** Records each finished snapshot in the evidence ledger (inside its commit), then checkpoints (after it). */
  readonly evidence?: { readonly record: SnapshotEvidence; readonly committed: (snapshot: Snapshot) => void };
  /** Told of every ARM call attempt (metrics). */
  readonly onArmAttempt?: AttemptObserver;
  /** Told of each snapshot as it ends, with how long this process ran it (null: an interrupted one, marked failed). */
  readonly onEnded?: (snapshot: Snapshot, durationInSeconds: number | null) => void;
}

export const DEFAULT_SNAPSHOT_DEADLINE_IN_MS = 15 * 60_000;

export type SnapshotService = ReturnType<typeof createSnapshotService>;

/**
 * Takes fleet snapshots: which subscriptions can be read, every cluster in them (Resource Graph, all pages),
 * the latest node image per (subscription, location, family), then one transaction that records the change
 * set and the outcome. One snapshot runs at a time across all processes sharing the database.
 */
export function createSnapshotService(deps: SnapshotServiceDeps) {
  const policy = deps.options?.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const deadlineInMs = deps.options?.deadlineInMs ?? DEFAULT_SNAPSHOT_DEADLINE_IN_MS;
  const concurrency = deps.options?.concurrency ?? 8;
  const batchSize = deps.options?.subscriptionBatchSize ?? 200;
  const progress = (message: string) => deps.onProgress?.(message);
  const inFlight = new Map<number, Promise<Snapshot>>();
  /** Each running snapshot's retry context: a shutdown that runs out of patience brings its deadline forward. */
  const retries = new Map<number, RetryContext>();

  /** After a snapshot's commit: the ledger signs a checkpoint over it (a failure here must not fail the snapshot). */
  function finished(snapshot: Snapshot): Snapshot {
    try {
      deps.evidence?.committed(snapshot);
    } catch (error) {
      deps.logger.error({ snapshotId: snapshot.id, err: error }, 'could not checkpoint the evidence ledger after the snapshot');
    }
    return snapshot;
  }

  function ended(snapshot: Snapshot, durationInSeconds: number | null): Snapshot {
    try {
      deps.onEnded?.(snapshot, durationInSeconds);
    } catch (error) {
      deps.logger.error({ snapshotId: snapshot.id, err: error }, 'could not observe the end of the snapshot');
    }
    return snapshot;
  }

  /** Marks snapshots whose process died as failed: they committed nothing, and must not block the next one. */
  function recoverInterrupted(): Snapshot | null {
    const running = deps.snapshots.running();
    if (!running || inFlight.has(running.id)) return null;
    const overdue = deps.now().getTime() - Date.parse(running.startedAt) > deadlineInMs * 2;
    if (deps.isOwnerAlive(running.owner) && !overdue) return null;
    deps.logger.warn({ snapshotId: running.id, owner: running.owner }, 'marking interrupted snapshot as failed');
    const failed = finished(deps.snapshots.fail(running.id, {
      status: 'failed',
      finishedAt: deps.now().toISOString(),
      subscriptions: [],
      warnings: [],
      error: `interrupted: the process running it (${running.owner}) stopped before it finished`,
      armCalls: 0,
      clusterCount: 0,
      poolCount: 0,
    }, deps.evidence?.record));
    return ended(failed, null);
  }

  /**
   * Starts a snapshot in the background — of the fleet, or (`cluster`, a cluster id) of one cluster read straight
   * from the AKS API; while one runs, returns the running one instead.
   */
  function start(trigger: SnapshotTrigger, requestedBy: string, cluster?: string): { snapshot: Snapshot; started: boolean; completion: Promise<Snapshot> } {
    recoverInterrupted();
    const { started, snapshot } = deps.snapshots.start({
      trigger,
      scope: cluster === undefined ? 'fleet' : 'cluster',
      ...(cluster === undefined ? {} : { scopeCluster: clusterKey(cluster) }),
      requestedBy,
      owner: deps.owner,
      startedAt: deps.now().toISOString(),
    });
    if (!started) {
      return { snapshot, started, completion: inFlight.get(snapshot.id) ?? waitForOther(snapshot.id) };
    }
    const began = performance.now();
    const completion = (cluster === undefined ? execute(snapshot) : executeCluster(snapshot, cluster))
      .then((outcome) => ended(outcome, (performance.now() - began) / 1000))
      .finally(() => {
        inFlight.delete(snapshot.id);
        retries.delete(snapshot.id);
      });
    inFlight.set(snapshot.id, completion);
    return { snapshot, started, completion };
  }

  /** Another process runs it: poll the database until it ends. */
  async function waitForOther(id: number): Promise<Snapshot> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      recoverInterrupted();
      const current = deps.snapshots.get(id);
      if (!current || current.status !== 'running') return current!;
    }
  }

  async function execute(snapshot: Snapshot): Promise<Snapshot> {
    let armCalls = 0;
    const warnings: SnapshotWarning[] = [];
    const retry: RetryContext = {
      policy,
      // Operational time, not the (injectable) evidence clock: the deadline bounds real waiting.
      deadline: Date.now() + deadlineInMs,
      onAttempt: deps.onArmAttempt,
      onRetry: (event) => {
        deps.logger.warn({ snapshotId: snapshot.id, ...event }, 'retrying ARM call');
        progress(`retrying ${event.operation} in ${event.delayInMs} ms (${event.failure.statusCode ?? event.failure.code})`);
      },
    };
    retries.set(snapshot.id, retry);
    const countCall = () => {
      armCalls++;
    };
    const finish = (outcome: Omit<Parameters<SnapshotRepository['fail']>[1], 'finishedAt' | 'armCalls'>) => ({
      ...outcome,
      finishedAt: deps.now().toISOString(),
      armCalls,
    });

    try {
      progress(`snapshot ${snapshot.id}: resolving subscriptions`);
      const { readable, results } = await resolveSubscriptions(retry, countCall);

      progress(`snapshot ${snapshot.id}: reading clusters in ${readable.length} subscription(s)`);
      const clusters: ClusterObservation[] = [];
      const pools: PoolObservation[] = [];
      for (let i = 0; i < readable.length; i += batchSize) {
        const batch = readable.slice(i, i + batchSize);
        const read = await readInventory(batch, retry, countCall);
        for (const [subscription, error] of read.failures) results.set(subscription, { id: subscription, status: 'failed', error });
        clusters.push(...read.clusters);
        pools.push(...read.pools);
        warnings.push(...read.warnings);
      }

      const succeeded = new Set([...results.values()].filter((r) => r.status === 'succeeded').map((r) => r.id));
      const keptClusters = clusters.filter((c) => succeeded.has(c.subscriptionId.toLowerCase()));
      const keptPools = pools.filter((p) => succeeded.has(p.subscriptionId.toLowerCase()));

      progress(`snapshot ${snapshot.id}: ${keptClusters.length} clusters, ${keptPools.length} pools; resolving latest images`);
      const latestImages = await resolveLatestImages(snapshot.id, keptPools, retry, countCall, warnings);

      const subscriptions = [...results.values()].sort((a, b) => a.id.localeCompare(b.id));
      const status = snapshotStatusOf(subscriptions);
      if (subscriptions.length === 0) {
        warnings.push({ code: 'no_subscriptions', message: 'the identity can read no subscription; nothing was observed' });
      }
      const outcome = finish({
        status,
        subscriptions,
        warnings,
        error: status === 'failed' ? `every subscription failed: ${subscriptions.map((s) => `${s.id}: ${s.error}`).join('; ')}` : null,
        clusterCount: keptClusters.length,
        poolCount: keptPools.length,
      });
      if (status === 'failed') return finished(deps.snapshots.fail(snapshot.id, outcome, deps.evidence?.record));
      const committed = finished(
        deps.snapshots.commit(snapshot.id, outcome, { subscriptions: succeeded, clusters: keptClusters, pools: keptPools, latestImages }, deps.evidence?.record),
      );
      deps.logger.info({ snapshotId: committed.id, status: committed.status, armCalls, pools: keptPools.length }, 'snapshot finished');
      progress(`snapshot ${snapshot.id}: ${committed.status}`);
      return committed;
    } catch (error) {
      deps.logger.error({ snapshotId: snapshot.id, err: error }, 'snapshot failed');
      const message = error instanceof Error ? error.message : String(error);
      try {
        return finished(
          deps.snapshots.fail(
            snapshot.id,
            finish({ status: 'failed', subscriptions: [], warnings, error: message, clusterCount: 0, poolCount: 0 }),
            deps.evidence?.record,
          ),
        );
      } catch (recordError) {
        deps.logger.error({ snapshotId: snapshot.id, err: recordError }, 'could not record the failed snapshot');
        throw error;
      }
    }
  }

  /** A cluster-scope snapshot: one cluster, fresh from the AKS API, its latest images, committed for that cluster only. */
  async function executeCluster(snapshot: Snapshot, clusterId: string): Promise<Snapshot> {
    let armCalls = 0;
    const warnings: SnapshotWarning[] = [];
    const retry: RetryContext = { policy, deadline: Date.now() + deadlineInMs, onAttempt: deps.onArmAttempt };
    retries.set(snapshot.id, retry);
    const countCall = () => {
      armCalls++;
    };
    const subscriptionId = clusterId.split('/')[2]?.toLowerCase() ?? '';
    const outcome = (status: 'succeeded' | 'failed', error: string | null, clusters: number, pools: number) => ({
      status,
      subscriptions: [{ id: subscriptionId, status, ...(error ? { error } : {}) }],
      warnings,
      error,
      clusterCount: clusters,
      poolCount: pools,
      finishedAt: deps.now().toISOString(),
      armCalls,
    });
    try {
      const observed = await readClusterObservation(deps.clients, clusterId, retry, countCall);
      if (observed === null) return finished(deps.snapshots.fail(snapshot.id, outcome('failed', `cluster ${clusterId} not found`, 0, 0), deps.evidence?.record));
      const latestImages = await resolveLatestImages(snapshot.id, observed.pools, retry, countCall, warnings);
      return finished(
        deps.snapshots.commit(
          snapshot.id,
          outcome('succeeded', null, 1, observed.pools.length),
          { subscriptions: new Set([subscriptionId]), clusterScope: clusterKey(clusterId), clusters: [observed.cluster], pools: observed.pools, latestImages },
          deps.evidence?.record,
        ),
      );
    } catch (error) {
      deps.logger.error({ snapshotId: snapshot.id, err: error }, 'cluster snapshot failed');
      return finished(deps.snapshots.fail(snapshot.id, outcome('failed', describe(error), 0, 0), deps.evidence?.record));
    }
  }

  /**
   * The subscriptions to read and the ones that already failed. Required subscriptions that Resource Graph
   * does not list are unreadable (it leaves them out silently); without a required list, every readable one is
   * read, and subscriptions we hold state for but can no longer read fail rather than look deleted.
   */
  async function resolveSubscriptions(retry: RetryContext, onCall: () => void) {
    const results = new Map<string, SubscriptionResult>();
    const required = deps.requiredSubscriptions;
    let listed: Set<string>;
    try {
      listed = await listSubscriptions(required ?? undefined, retry, onCall);
    } catch (error) {
      if (!(error instanceof ArmCallError) || error.failure.statusCode !== 403 || !required) throw error;
      // One forbidden subscription fails the whole query: ask for each one to find out which.
      listed = new Set();
      for (const subscription of required) {
        try {
          for (const id of await listSubscriptions([subscription], retry, onCall)) listed.add(id);
        } catch (single) {
          if (!(single instanceof ArmCallError) || single.failure.statusCode !== 403) throw single;
          results.set(subscription, { id: subscription, status: 'failed', error: describe(single) });
        }
      }
    }
    const candidates = required ?? [...new Set([...listed, ...deps.state.currentSubscriptions()])];
    for (const subscription of candidates) {
      if (results.has(subscription)) continue;
      if (listed.has(subscription)) results.set(subscription, { id: subscription, status: 'succeeded' });
      else {
        results.set(subscription, {
          id: subscription,
          status: 'failed',
          error: 'not readable by this identity: Resource Graph returned no row for this subscription',
        });
      }
    }
    const readable = [...results.values()].filter((r) => r.status === 'succeeded').map((r) => r.id);
    return { readable, results };
  }

  async function listSubscriptions(scope: readonly string[] | undefined, retry: RetryContext, onCall: () => void) {
    const ids = new Set<string>();
    for await (const rows of queryAllPages(deps.clients.resourceGraph, SUBSCRIPTIONS_QUERY, {
      ...(scope ? { subscriptions: scope } : {}),
      retry,
      onCall,
    })) {
      for (const row of rows) {
        const id = (row as { subscriptionId?: unknown }).subscriptionId;
        if (typeof id === 'string') ids.add(id.toLowerCase());
      }
    }
    return ids;
  }

  async function readInventory(batch: readonly string[], retry: RetryContext, onCall: () => void) {
    const clusters: ClusterObservation[] = [];
    const pools: PoolObservation[] = [];
    const failures = new Map<string, string>();
    const warnings: SnapshotWarning[] = [];
    const inBatch = new Set(batch);
    try {
      for await (const rows of queryAllPages(deps.clients.resourceGraph, INVENTORY_QUERY, { subscriptions: batch, retry, onCall })) {
        for (const row of rows) {
          try {
            const observed = toObservations(row);
            if (!inBatch.has(observed.cluster.subscriptionId.toLowerCase())) {
              warnings.push({ code: 'unexpected_subscription', message: `row outside the requested scope: ${observed.cluster.id}` });
              continue;
            }
            clusters.push(observed.cluster);
            pools.push(...observed.pools);
          } catch (error) {
            if (!(error instanceof InvalidRowError)) throw error;
            // A row we cannot read makes its subscription's observation incomplete: fail that subscription only.
            const subscription = error.subscriptionId?.toLowerCase();
            if (subscription && inBatch.has(subscription)) failures.set(subscription, error.message);
            else throw error;
          }
        }
      }
    } catch (error) {
      const message = describe(error);
      for (const subscription of batch) failures.set(subscription, message);
    }
    return { clusters, pools, failures, warnings };
  }

  async function resolveLatestImages(
    snapshotId: number,
    pools: readonly PoolObservation[],
    retry: RetryContext,
    onCall: () => void,
    warnings: SnapshotWarning[],
  ): Promise<LatestImageObservation[]> {
    const groups = planLatestImageLookups(pools, snapshotId);
    const answers = await mapWithConcurrency(groups, concurrency, async (group) => {
      try {
        const primary = await getLatestNodeImageVersion(deps.clients, group.primary, retry, onCall);
        const verifier = group.verifier ? await getLatestNodeImageVersion(deps.clients, group.verifier, retry, onCall) : null;
        return { group, primary, verifier };
      } catch (error) {
        warnings.push({
          code: 'latest_image_unavailable',
          message: `latest node image unknown for ${group.imageFamily} in ${group.location} (${group.subscriptionId}): ${describe(error)}`,
          subscriptionId: group.subscriptionId,
          location: group.location,
          imageFamily: group.imageFamily,
        });
        return null;
      }
    });
    const latest: LatestImageObservation[] = [];
    for (const answer of answers) {
      if (!answer) continue;
      const { group, primary, verifier } = answer;
      if (primary === null) {
        warnings.push({
          code: 'latest_image_unavailable',
          message: `AKS reported no latestNodeImageVersion for ${group.primary.clusterName}/${group.primary.poolName}`,
          subscriptionId: group.subscriptionId,
          location: group.location,
          imageFamily: group.imageFamily,
        });
        continue;
      }
      const { version, disagreement } = reconcileLatest(primary, verifier);
      if (disagreement) {
        warnings.push({
          code: 'latest_image_disagreement',
          message: `pools of one group report different latest images (${primary} vs ${verifier}); using ${version}`,
          subscriptionId: group.subscriptionId,
          location: group.location,
          imageFamily: group.imageFamily,
          pools: [poolKey(group.primary.clusterId, group.primary.poolName), poolKey(group.verifier!.clusterId, group.verifier!.poolName)],
        });
      }
      if (imageFamilyOf(version) !== group.imageFamily || compareNodeImageVersions(version, group.primary.nodeImageVersion!) === null) {
        warnings.push({
          code: 'latest_image_family_mismatch',
          message: `AKS offers ${version} to pools on ${group.imageFamily}: not the same image family`,
          subscriptionId: group.subscriptionId,
          location: group.location,
          imageFamily: group.imageFamily,
        });
      }
      latest.push({
        subscriptionId: group.subscriptionId,
        location: group.location,
        imageFamily: group.imageFamily,
        version,
        sourcePoolKey: poolKey(group.primary.clusterId, group.primary.poolName),
      });
    }
    return latest;
  }

  return {
    start,
    recoverInterrupted,
    /** Takes a snapshot and waits for it (the CLI and the scheduler). */
    async run(trigger: SnapshotTrigger, requestedBy: string): Promise<Snapshot> {
      return start(trigger, requestedBy).completion;
    },
    /** Takes a snapshot of one cluster and waits for it (after an upgrade). */
    async runCluster(clusterId: string, trigger: SnapshotTrigger, requestedBy: string): Promise<Snapshot> {
      return start(trigger, requestedBy, clusterId).completion;
    },
    /** Waits for snapshots this process runs (graceful shutdown). */
    /**
     * Waits for snapshots this process runs (graceful shutdown). After `graceInMs` their remaining ARM calls are cut
     * short: they end failed or partial, recorded, instead of retrying against an ARM that may be gone.
     */
    async drain(options: { graceInMs?: number } = {}): Promise<void> {
      const all = Promise.allSettled([...inFlight.values()]);
      if (options.graceInMs === undefined) return void (await all);
      let timer: NodeJS.Timeout | undefined;
      const patience = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.graceInMs)));
      if ((await Promise.race([all, patience])) === 'timeout') {
        for (const retry of retries.values()) retry.deadline = 0;
        deps.logger.warn({ snapshots: [...inFlight.keys()] }, 'shutting down: cutting in-flight snapshots short');
      }
      clearTimeout(timer);
      await all;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
