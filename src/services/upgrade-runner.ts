import type { Logger } from 'pino';
import type { ArmClients } from '../azure/arm-clients.js';
import { abortPoolOperation, assertArmHost, pollNodeImageUpgrade, submitNodeImageUpgrade, type PoolActivity, type Submission } from '../azure/node-image-upgrade.js';
import { classifyArmError, recordedArmError, type AttemptObserver, type RetryContext, type RetryPolicy } from '../azure/retry.js';
import { readPool, readUpgradeTarget } from '../azure/upgrade-target.js';
import type { ClusterApi } from '../azure/cluster-api.js';
import { newlyUnhealthy, nodesOfPool, nodesSettled, nodeTransitions, recordedNode, unhealthyPods, type NodeFact } from '../domain/node-evidence.js';
import { installedMeetsTarget, type ObservedPool } from '../domain/upgrade.js';
import type { EvidenceSink } from '../evidence/ledger.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { UpgradePoolRecord, UpgradeRepository, UpgradeRunRecord } from '../store/upgrade-repository.js';

export interface UpgradeRunnerDeps {
  readonly db: Db;
  readonly repo: UpgradeRepository;
  readonly evidence: EvidenceSink;
  readonly clients: ArmClients;
  readonly armEndpoint: string;
  readonly retryPolicy: RetryPolicy;
  readonly now: () => Date;
  readonly owner: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Takes a snapshot after a run so drift and findings show its result. */
  readonly snapshotAfter: (run: UpgradeRunRecord) => Promise<unknown>;
  readonly expirePending: () => number;
  /** Wait between polls (the SDK's default is 2 s; the emulator's runs are faster). */
  readonly updateIntervalInMs?: number;
  /** The longest one pool may take before the run gives up waiting (it is then recorded failed, never succeeded). */
  readonly poolDeadlineInMs?: number;
  /** Opens the cluster's own Kubernetes API; absent, runs are evidenced from ARM alone. */
  readonly clusterApi?: (clusterId: string) => Promise<ClusterApi>;
  /** After ARM reports a pool done, how long its nodes may take to be Ready on the target image (default 10 min). */
  readonly nodeSettleTimeoutInMs?: number;
  /** Told of every ARM call attempt made through the retry policy (metrics). */
  readonly onArmAttempt?: AttemptObserver;
  /** Told of each run this runner finishes, once it is recorded (metrics). */
  readonly onRunFinished?: (status: Outcome['status']) => void;
}

type Outcome = { status: 'succeeded' | 'failed' | 'aborted' | 'blocked'; error?: { code: string; message: string } };
const TERMINAL_POOL = new Set(['succeeded', 'failed', 'skipped', 'not_attempted', 'aborted']);

export type UpgradeRunner = ReturnType<typeof createUpgradeRunner>;

/**
 * Executes runs one pool at a time, level-driven: each step is decided from the stored run and the pool's actual
 * state in Azure, each decision is recorded with its evidence, and a restart resumes every unfinished run from the
 * stored poller state — or, when that is lost, from the pool's own state — never by blindly submitting again.
 */
export function createUpgradeRunner(deps: UpgradeRunnerDeps) {
  const interval = deps.updateIntervalInMs ?? 2000;
  const inFlight = new Map<string, Promise<void>>();
  let stopping = false;
  // Stopping wakes every wait at once: a shutdown never waits out a poll interval.
  const stop = new AbortController();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      // The listener goes with the timer: a run polls for hours, and every sleep would otherwise leave one behind.
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        stop.signal.removeEventListener('abort', wake);
        resolve();
      }, ms);
      stop.signal.addEventListener('abort', wake, { once: true });
    });
  // Operational time, not the (injectable) evidence clock: the deadline bounds real waiting, as withRetry measures it.
  // Retry waits sleep on the runner's own sleep, so a shutdown never waits out a Retry-After.
  const retry = (): RetryContext => ({ policy: deps.retryPolicy, deadline: Date.now() + 10 * 60_000, onAttempt: deps.onArmAttempt, sleep });

  const record = (run: UpgradeRunRecord, kind: string, body: Record<string, unknown>, change?: () => void) => {
    writeTransaction(deps.db, () => {
      change?.();
      deps.evidence.append({ kind: `upgrade_${kind}`, subject: run.id, actor: 'system', body: { runId: run.id, ...body } });
    });
  };

  async function drive(runId: string, resumed: boolean): Promise<void> {
    let run = deps.repo.get(runId)!;
    if (run.status === 'queued') {
      record(run, 'progress', { status: 'running', owner: deps.owner }, () => deps.repo.updateRun(run.id, { status: 'running', startedAt: deps.now().toISOString(), owner: deps.owner }));
    } else if (resumed) {
      record(run, 'resumed', { previousOwner: run.owner, owner: deps.owner, pools: run.pools.map((p) => ({ poolName: p.poolName, status: p.status })) }, () => deps.repo.updateRun(run.id, { owner: deps.owner }));
    }
    deps.evidence.checkpoint();
    run = deps.repo.get(runId)!;
    let outcome: Outcome = { status: 'succeeded' };
    for (const pool of run.pools) {
      if (TERMINAL_POOL.has(pool.status)) continue;
      if (stopping) return; // left resumable: the next start picks it up
      const result = await upgradePool(run, pool);
      if (result === 'stopped') return;
      if (result.status !== 'succeeded') {
        outcome = result;
        break;
      }
    }
    run = deps.repo.get(runId)!;
    if (outcome.status === 'succeeded') outcome = await postchecks(run);
    await finish(run, outcome);
  }

  async function upgradePool(run: UpgradeRunRecord, pool: UpgradePoolRecord, watchNodes = nodeWatcher(run, pool.poolName)): Promise<Outcome | 'stopped'> {
    let pollerState: string | null = null;
    let derivedFrom: 'poller' | 'resource_state' = 'poller';
    if (pool.pollerState === null) {
      let observed: ObservedPool | null;
      try {
        observed = await readPool(deps.clients, run.clusterId, pool.poolName, retry());
      } catch (error) {
        return failPool(run, pool, recordedArmError(error));
      }
      if (observed === null) return failPool(run, pool, { code: 'PoolNotFound', message: `agent pool ${pool.poolName} no longer exists` });
      if (installedMeetsTarget(observed.nodeImageVersion, pool.targetImage) && observed.provisioningState === 'Succeeded') {
        const current = observed;
        if (pool.status === 'running') {
          // This run sent (or adopted) the upgrade before a restart lost its answer (the `submitting` record below):
          // the pool's state confirms it. Recording it skipped would leave an upgrade we made without its record.
          return confirm(run, pool, { terminal: 'succeeded', error: null }, 'resource_state');
        }
        record(run, 'pool_succeeded', { poolName: pool.poolName, skipped: true, imageAfter: current.nodeImageVersion, note: 'already on the target image' }, () =>
          deps.repo.updatePool(run.id, pool.position, { status: 'skipped', imageAfter: current.nodeImageVersion, kubernetesVersionAfter: current.kubernetesVersion, finishedAt: deps.now().toISOString() }),
        );
        return { status: 'succeeded' };
      }
      if (observed.provisioningState === 'UpgradingNodeImageVersion') {
        // Submitted before a crash that lost the poller state: adopt the operation in flight, never submit twice.
        derivedFrom = 'resource_state';
        record(run, 'progress', { poolName: pool.poolName, adopted: true, derivedFrom, note: 'an upgrade was already in flight; its poll state was lost' }, () =>
          deps.repo.updatePool(run.id, pool.position, { status: 'running' }),
        );
      } else {
        // The nodes as they stand before Azure touches them: the baseline of every transition recorded after.
        await watchNodes();
        // Write-ahead, before the POST: a crash after Azure accepts it but before `submitted` is stored must resume as
        // this run's upgrade (adopted, or confirmed from the pool's state), not as a pool that was already current.
        if (pool.status === 'pending') {
          record(run, 'progress', { poolName: pool.poolName, submitting: true, targetImage: pool.targetImage }, () => deps.repo.updatePool(run.id, pool.position, { status: 'running' }));
        }
        let submission: Submission;
        try {
          submission = await submitNodeImageUpgrade(deps.clients, run.clusterId, pool.poolName, { updateIntervalInMs: interval, retry: retry(), activity: () => activityOf(run, pool) });
        } catch (error) {
          // Azure refused it (throttled or failing past the retry policy, or an answer no retry changes): recorded.
          return failPool(run, pool, recordedArmError(error));
        }
        if (submission.kind === 'blocked_by_azure') {
          const error = { code: submission.code, message: submission.message };
          record(run, 'pool_failed', { poolName: pool.poolName, blockedByAzure: true, error }, () =>
            deps.repo.updatePool(run.id, pool.position, { status: 'failed', error, finishedAt: deps.now().toISOString() }),
          );
          return { status: 'blocked', error };
        }
        if (submission.kind === 'already_current') return upgradePool(run, { ...pool, pollerState: null }, watchNodes);
        if (submission.kind === 'submitted') {
          pollerState = submission.pollerState;
          record(run, 'submitted', { poolName: pool.poolName, operationId: submission.operationId, operationUrl: submission.operationUrl, requestId: submission.requestId, targetImage: pool.targetImage }, () =>
            deps.repo.updatePool(run.id, pool.position, { status: 'running', pollerState: submission.pollerState, operationId: submission.operationId, submittedAt: deps.now().toISOString() }),
          );
        } else {
          // Accepted without its answer reaching us (an attempt answered with an error had been carried out after all,
          // or the answer was lost): no operation URL to poll, the pool's state is watched instead.
          let seen: PoolActivity | 'stopped' = 'upgrading';
          if (submission.kind === 'unconfirmed') {
            seen = await watchForAcceptance(run, pool, submission.error);
            if (seen === 'idle') return failPool(run, pool, unconfirmed(submission.error));
          }
          if (seen === 'stopped') return 'stopped';
          derivedFrom = 'resource_state';
          record(run, 'progress', { poolName: pool.poolName, adopted: true, derivedFrom, provisioningState: seen === 'upgrading' ? 'UpgradingNodeImageVersion' : 'Succeeded', note: 'the upgrade request was accepted although its answer did not reach us: watched through the pool state, never sent again' }, () =>
            deps.repo.updatePool(run.id, pool.position, { status: 'running', submittedAt: deps.now().toISOString() }),
          );
          if (seen === 'on_target') return confirm(run, pool, { terminal: 'succeeded', error: null }, derivedFrom);
        }
      }
    } else {
      try {
        assertArmHost(pool.pollerState, deps.armEndpoint);
        pollerState = pool.pollerState;
      } catch (error) {
        derivedFrom = 'resource_state';
        record(run, 'progress', { poolName: pool.poolName, derivedFrom, note: `stored poll state not used: ${(error as Error).message}` });
      }
    }
    deps.evidence.checkpoint();
    const waited = await waitFor(run, pool, pollerState, watchNodes);
    if (waited === 'stopped') return 'stopped';
    return confirm(run, pool, waited, derivedFrom);
  }

  /** What ARM says the pool is doing now: before the POST is sent again, and while an unanswered one is watched. */
  async function activityOf(run: UpgradeRunRecord, pool: UpgradePoolRecord): Promise<PoolActivity> {
    const observed = await readPool(deps.clients, run.clusterId, pool.poolName, retry());
    if (observed?.provisioningState === 'UpgradingNodeImageVersion') return 'upgrading';
    if (observed?.provisioningState === 'Succeeded' && installedMeetsTarget(observed.nodeImageVersion, pool.targetImage)) return 'on_target';
    return 'idle';
  }

  /** The failure of an upgrade request that got no answer, and after which the pool showed no upgrade. */
  function unconfirmed(error: { code: string; message: string }): { code: string; message: string } {
    return {
      code: 'SubmissionUnconfirmed',
      message:
        `the upgrade request got no answer (${error.code}: ${error.message}) and the pool showed no upgrade within ` +
        `${Math.round(acceptanceWindowInMs() / 100) / 10} s; it was not sent again, since Azure may still have accepted it`,
    };
  }

  /** As long as an unanswered request could still have been working: its per-request timeout (at least two polls). */
  const acceptanceWindowInMs = () => Math.max(deps.retryPolicy.perRequestTimeoutInMs, 2 * interval);

  /**
   * After an upgrade POST that got no answer: watches the pool's state for the acceptance window. An upgrade that
   * shows up (or has already finished) is adopted; `idle` when none did.
   */
  async function watchForAcceptance(run: UpgradeRunRecord, pool: UpgradePoolRecord, error: { code: string; message: string }): Promise<PoolActivity | 'stopped'> {
    record(run, 'progress', { poolName: pool.poolName, submission: 'unconfirmed', error, note: 'no answer to the upgrade request: watching the pool instead of sending it again' });
    const until = Date.now() + acceptanceWindowInMs();
    for (;;) {
      if (stopping) return 'stopped';
      const activity = await activityOf(run, pool).catch(() => 'idle' as const);
      if (activity !== 'idle' || Date.now() >= until) return activity;
      await sleep(interval);
    }
  }

  /**
   * Polls until Azure says the operation ended (or, without a usable poll state, until the pool's state does). Polls
   * go through the retry policy; when it gives up on them, the pool's own state decides, and when that cannot be read
   * either, three times in a row after retries, the wait ends with the last error: a clean failure, never a run left
   * `running`.
   */
  async function waitFor(run: UpgradeRunRecord, pool: UpgradePoolRecord, initial: string | null, watchNodes: () => Promise<void>) {
    let pollerState = initial;
    const deadline = Date.now() + (deps.poolDeadlineInMs ?? 6 * 3_600_000);
    let lastState: string | null = null;
    let pollerError: { code: string; message: string } | null = null;
    let unreadable = 0;
    let abortSent = false;
    for (;;) {
      if (stopping) return 'stopped' as const;
      await watchNodes();
      if (Date.now() > deadline) return { terminal: 'timeout' as const, error: { code: 'UpgradeTimedOut', message: 'the pool did not finish within the run deadline' } };
      if (!abortSent && deps.repo.get(run.id)!.abortRequestedBy !== null) {
        abortSent = true;
        try {
          await abortPoolOperation(deps.clients, run.clusterId, pool.poolName, retry());
          record(run, 'progress', { poolName: pool.poolName, abort: 'sent' });
        } catch (error) {
          record(run, 'progress', { poolName: pool.poolName, abort: 'failed', error: classifyArmError(error).message });
        }
      }
      if (pollerState !== null) {
        const polled = await pollNodeImageUpgrade(deps.clients, run.clusterId, pool.poolName, pollerState, { armEndpoint: deps.armEndpoint, updateIntervalInMs: interval, retry: retry(), stopSignal: stop.signal });
        pollerState = polled.pollerState;
        const outcome = polled.outcome;
        if (outcome.status === 'succeeded' || outcome.status === 'failed' || outcome.status === 'canceled') return { terminal: outcome.status, error: outcome.error };
        if (outcome.status === 'unknown' || outcome.status === 'unreachable') {
          pollerError = outcome.error;
          pollerState = null; // the pool's own state decides from here
          record(run, 'progress', { poolName: pool.poolName, pollFailed: outcome.error, derivedFrom: 'resource_state', note: 'the operation could not be polled: the pool state decides' });
        }
      }
      let observed: ObservedPool | null | undefined;
      try {
        observed = await readPool(deps.clients, run.clusterId, pool.poolName, retry());
        unreadable = 0;
      } catch (error) {
        if (pollerState === null && ++unreadable >= 3) return { terminal: 'unreachable' as const, error: recordedArmError(error) };
        observed = undefined;
      }
      if (observed === null) return { terminal: 'failed' as const, error: { code: 'PoolNotFound', message: `agent pool ${pool.poolName} was deleted during the upgrade` } };
      if (observed && observed.provisioningState !== lastState) {
        lastState = observed.provisioningState;
        record(run, 'progress', { poolName: pool.poolName, provisioningState: observed.provisioningState, nodeImageVersion: observed.nodeImageVersion });
      }
      if (pollerState === null && observed && observed.provisioningState !== 'UpgradingNodeImageVersion' && observed.provisioningState !== 'Canceling') {
        const state = observed.provisioningState;
        return { terminal: state === 'Canceled' ? ('canceled' as const) : state === 'Failed' ? ('failed' as const) : ('succeeded' as const), error: pollerError };
      }
      await sleep(interval);
    }
  }

  /** The outcome is always confirmed by re-reading the pool, never taken from the poller alone. */
  async function confirm(run: UpgradeRunRecord, pool: UpgradePoolRecord, waited: { terminal: string; error: { code: string; message: string } | null }, derivedFrom: string): Promise<Outcome> {
    let observed: ObservedPool | null;
    try {
      observed = await readPool(deps.clients, run.clusterId, pool.poolName, retry());
    } catch (error) {
      return failPool(run, pool, waited.terminal === 'unreachable' && waited.error ? waited.error : recordedArmError(error));
    }
    if (waited.terminal === 'canceled') {
      const error = { code: 'OperationCanceled', message: 'the upgrade was cancelled in Azure' };
      record(run, 'pool_failed', { poolName: pool.poolName, aborted: true, imageAfter: observed?.nodeImageVersion ?? null, error }, () =>
        deps.repo.updatePool(run.id, pool.position, { status: 'aborted', imageAfter: observed?.nodeImageVersion ?? null, error, finishedAt: deps.now().toISOString() }),
      );
      return { status: 'aborted', error };
    }
    if (observed !== null && observed.provisioningState === 'Succeeded' && installedMeetsTarget(observed.nodeImageVersion, pool.targetImage)) {
      const installed = observed;
      record(run, 'pool_succeeded', { poolName: pool.poolName, imageBefore: pool.imageBefore, targetImage: pool.targetImage, imageAfter: installed.nodeImageVersion, derivedFrom, pollerNote: waited.error }, () =>
        deps.repo.updatePool(run.id, pool.position, { status: 'succeeded', imageAfter: installed.nodeImageVersion, kubernetesVersionAfter: installed.kubernetesVersion, finishedAt: deps.now().toISOString() }),
      );
      return { status: 'succeeded' };
    }
    const error = waited.error ?? { code: waited.terminal === 'timeout' ? 'UpgradeTimedOut' : 'UpgradeFailed', message: `pool is ${observed?.provisioningState ?? 'gone'} on ${observed?.nodeImageVersion ?? 'no image'}` };
    return failPool(run, pool, error, observed);
  }

  function failPool(run: UpgradeRunRecord, pool: UpgradePoolRecord, error: { code: string; message: string }, observed?: ObservedPool | null): Outcome {
    record(run, 'pool_failed', { poolName: pool.poolName, imageAfter: observed?.nodeImageVersion ?? null, provisioningState: observed?.provisioningState ?? null, error }, () =>
      deps.repo.updatePool(run.id, pool.position, { status: 'failed', imageAfter: observed?.nodeImageVersion ?? null, kubernetesVersionAfter: observed?.kubernetesVersion ?? null, error, finishedAt: deps.now().toISOString() }),
    );
    return { status: 'failed', error };
  }

  /**
   * Records what the pool's nodes do while Azure upgrades it: their list at the first look, then every transition
   * (surge node added, cordoned, Ready, removed, new image label). An API server that cannot be read is recorded
   * once and then left alone: node evidence is extra, the run never depends on it.
   */
  function nodeWatcher(run: UpgradeRunRecord, poolName: string): () => Promise<void> {
    let api: ClusterApi | null = null;
    let unreadable = deps.clusterApi === undefined;
    let last: readonly NodeFact[] | null = null;
    return async () => {
      if (unreadable) return;
      try {
        api ??= await deps.clusterApi!(run.clusterId);
        const nodes = await api.poolNodes(poolName);
        if (last === null) record(run, 'progress', { poolName, nodes: nodes.map(recordedNode) });
        else {
          const transitions = nodeTransitions(last, nodes);
          if (transitions.length > 0) record(run, 'progress', { poolName, nodeTransitions: transitions });
        }
        last = nodes;
      } catch (error) {
        unreadable = true;
        record(run, 'progress', { poolName, kubernetesApi: { reachable: false, error: (error as Error).message, note: 'node transitions are not recorded for this pool' } });
      }
    };
  }

  /**
   * For each upgraded pool: waits (bounded) until every node is Ready, schedulable and on the target image, and
   * records the node list; then compares the pods left Pending or crash-looping with those before the run.
   */
  async function nodePostchecks(run: UpgradeRunRecord): Promise<Record<string, unknown>[]> {
    if (deps.clusterApi === undefined) return [];
    const unreachable = (error: unknown) => ({ name: 'kubernetes_api', ok: true, reachable: false, error: (error as Error).message, note: 'node-level post-checks skipped; ARM alone confirms the run' });
    let api: ClusterApi;
    try {
      api = await deps.clusterApi(run.clusterId);
    } catch (error) {
      return [unreachable(error)];
    }
    const upgraded = run.pools.filter((pool) => pool.status === 'succeeded');
    const checks: Record<string, unknown>[] = [];
    const settleBy = Date.now() + (deps.nodeSettleTimeoutInMs ?? 10 * 60_000);
    try {
      for (const pool of upgraded) {
        const started = Date.now();
        let nodes = await api.poolNodes(pool.poolName);
        let settled = nodesSettled(nodes, pool.targetImage);
        while (!settled.settled && Date.now() < settleBy && !stopping) {
          await sleep(Math.min(interval, 5_000));
          nodes = await api.poolNodes(pool.poolName);
          settled = nodesSettled(nodes, pool.targetImage);
        }
        checks.push({
          name: `nodes:${pool.poolName}`,
          ok: settled.settled,
          target: pool.targetImage,
          waitedSeconds: Math.round((Date.now() - started) / 100) / 10,
          nodes: nodes.map(recordedNode),
          stragglers: settled.stragglers,
          ...(settled.settled ? {} : { note: `not every node was Ready on the target image within ${Math.round((deps.nodeSettleTimeoutInMs ?? 600_000) / 1000)} s` }),
        });
      }
      const view = await api.read();
      for (const pool of upgraded) {
        const before = (run.prechecks.find((check) => check.name === `unhealthy_pods_before:${pool.poolName}`)?.observed.pods ?? []) as { namespace: string; name: string }[];
        const after = unhealthyPods(view, new Set(nodesOfPool(view, pool.poolName).map((node) => node.name)));
        const caused = newlyUnhealthy(before, after);
        checks.push({ name: `pods:${pool.poolName}`, ok: caused.length === 0, unhealthyBefore: before.length, unhealthyAfter: after, newlyUnhealthy: caused });
      }
    } catch (error) {
      checks.push(unreachable(error));
    }
    return checks;
  }

  /** Node-image-only, proven: every upgraded pool on (at least) its target image, no Kubernetes version changed. */
  async function postchecks(run: UpgradeRunRecord): Promise<Outcome> {
    let target: Awaited<ReturnType<typeof readUpgradeTarget>>;
    try {
      target = await readUpgradeTarget(deps.clients, run.clusterId, retry());
    } catch (error) {
      // The cluster cannot be read back: nothing is proven, so the run does not succeed. Recorded with Azure's error.
      const failed = recordedArmError(error);
      record(run, 'postchecks', { passed: false, checks: [{ name: 'cluster_readable', ok: false, error: failed }] });
      return { status: 'failed', error: { code: 'postcheck_failed', message: `post-checks failed: the cluster could not be read (${failed.code}: ${failed.message})` } };
    }
    const before = run.prechecks.find((c) => c.name === 'kubernetes_versions')?.observed as { cluster: string | null; pools: Record<string, string | null> } | undefined;
    const checks = [];
    checks.push({ name: 'cluster_kubernetes_version', ok: target !== null && target.cluster.kubernetesVersion === (before?.cluster ?? null), before: before?.cluster ?? null, after: target?.cluster.kubernetesVersion ?? null });
    for (const pool of run.pools) {
      const now = target?.cluster.pools.find((p) => p.name === pool.poolName);
      checks.push({ name: `kubernetes_version:${pool.poolName}`, ok: now !== undefined && now.kubernetesVersion === pool.kubernetesVersionBefore, before: pool.kubernetesVersionBefore, after: now?.kubernetesVersion ?? null });
      if (pool.status === 'succeeded' || pool.status === 'skipped') {
        checks.push({ name: `image:${pool.poolName}`, ok: installedMeetsTarget(now?.nodeImageVersion ?? null, pool.targetImage) && now?.provisioningState === 'Succeeded', target: pool.targetImage, installed: now?.nodeImageVersion ?? null, provisioningState: now?.provisioningState ?? null });
      }
    }
    const allChecks: Record<string, unknown>[] = [...checks, ...(await nodePostchecks(run))];
    const failed = allChecks.filter((check) => !check.ok);
    record(run, 'postchecks', { passed: failed.length === 0, checks: allChecks });
    return failed.length === 0 ? { status: 'succeeded' } : { status: 'failed', error: { code: 'postcheck_failed', message: `post-checks failed: ${failed.map((c) => String(c.name)).join(', ')}` } };
  }

  async function finish(run: UpgradeRunRecord, outcome: Outcome): Promise<void> {
    const at = deps.now().toISOString();
    const kind = outcome.status === 'succeeded' ? 'completed' : outcome.status === 'aborted' ? 'aborted' : outcome.status === 'blocked' ? 'blocked' : 'failed';
    const reason = outcome.status === 'aborted' ? 'an earlier pool was aborted' : `an earlier pool ${outcome.status === 'blocked' ? 'was blocked by Azure' : 'failed'}`;
    // An abort ends the run here, recorded by the runner: the entry names who asked for it.
    const abortedBy = outcome.status === 'aborted' ? { abortRequestedBy: deps.repo.get(run.id)!.abortRequestedBy } : {};
    record(run, kind, { status: outcome.status, error: outcome.error ?? null, ...abortedBy }, () => {
      for (const pool of deps.repo.get(run.id)!.pools) {
        if (!TERMINAL_POOL.has(pool.status)) deps.repo.updatePool(run.id, pool.position, { status: 'not_attempted', error: { code: 'not_attempted', message: reason } });
      }
      deps.repo.updateRun(run.id, { status: outcome.status, finishedAt: at, error: outcome.error ?? null });
    });
    deps.evidence.checkpoint();
    deps.logger.info({ runId: run.id, status: outcome.status }, 'upgrade run finished');
    deps.onRunFinished?.(outcome.status);
    // Drift and findings follow the result at once; a failed snapshot does not change the run's outcome.
    await deps.snapshotAfter(deps.repo.get(run.id)!).catch((error: unknown) => deps.logger.warn({ runId: run.id, err: error }, 'snapshot after the upgrade failed'));
  }

  function launch(runId: string, resumed: boolean): void {
    if (inFlight.has(runId) || stopping) return;
    const done = drive(runId, resumed)
      .catch((error: unknown) => {
        deps.logger.error({ runId, err: error }, 'upgrade run stopped on an error');
        const run = deps.repo.get(runId);
        if (run && run.status === 'running' && !stopping) return finish(run, { status: 'failed', error: { code: 'runner_error', message: (error as Error).message } });
      })
      .finally(() => inFlight.delete(runId));
    inFlight.set(runId, done);
  }

  return {
    /** At start: resume every run a previous process left queued or running. */
    start(): void {
      deps.expirePending();
      for (const run of deps.repo.unfinished()) launch(run.id, run.status === 'running');
    },
    /** New work (a queued or approved run, an abort request). */
    wake(): void {
      deps.expirePending();
      for (const run of deps.repo.unfinished()) if (run.status === 'queued') launch(run.id, false);
    },
    /** Stops driving runs; their state stays resumable by the next start. */
    async stop(): Promise<void> {
      stopping = true;
      stop.abort();
      await Promise.all(inFlight.values());
    },
    /** Resolves when no run is being driven (tests). */
    idle: async (): Promise<void> => {
      while (inFlight.size > 0) await Promise.all(inFlight.values());
    },
  };
}
