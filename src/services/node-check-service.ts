import type { Logger } from 'pino';
import type { ArmClients } from '../azure/arm-clients.js';
import type { ClusterApi } from '../azure/cluster-api.js';
import type { AttemptObserver, RetryPolicy } from '../azure/retry.js';
import { readPool } from '../azure/upgrade-target.js';
import { conflict } from '../domain/errors.js';
import { compareNodeLabels, nodesOfPool } from '../domain/node-evidence.js';
import type { EvidenceSink } from '../evidence/ledger.js';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { NodeCheck, NodeCheckRepository, NodeCheckResult, NodeCheckTrigger } from '../store/node-check-repository.js';
import type { PoolState, StateRepository } from '../store/state-repository.js';

export interface NodeCheckServiceDeps {
  readonly db: Db;
  readonly repo: NodeCheckRepository;
  readonly state: Pick<StateRepository, 'newestSnapshotId' | 'pools'>;
  readonly clusterApi: (clusterId: string) => Promise<ClusterApi>;
  readonly clients: ArmClients;
  readonly retryPolicy: RetryPolicy;
  readonly evidence: EvidenceSink;
  readonly now: () => Date;
  readonly owner: string;
  readonly isOwnerAlive: (owner: string) => boolean;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Clusters read at once (each is a few list calls to its own API server). */
  readonly concurrency?: number;
  /** After a check completes (with its status): record the finding transitions it caused. */
  readonly onCompleted?: (status: NodeCheck['status']) => void;
  /** Told of every ARM call attempt (metrics). */
  readonly onArmAttempt?: AttemptObserver;
}

export type NodeCheckService = ReturnType<typeof createNodeCheckService>;

/**
 * The node-level cross-check (IMAGEWARDEN_NODE_CHECK_CRON): for every cluster of the newest snapshot, each pool's
 * image as ARM reports it against the image labels of its nodes. A disagreement is confirmed against a live ARM
 * read (the snapshot may be an hour old) before it is recorded. Clusters are read a few at a time; one that cannot
 * be read (private API server, missing RBAC, stopped) is recorded as such and never fails the others. The results
 * and the ledger entry are committed together, so a check that dies half-way leaves nothing but its failure.
 */
export function createNodeCheckService(deps: NodeCheckServiceDeps) {
  let current: Promise<NodeCheck> | null = null;

  async function checkCluster(clusterId: string, pools: readonly PoolState[]): Promise<NodeCheckResult[]> {
    const subscriptionId = pools[0]!.pool.subscriptionId;
    const base = { clusterId, subscriptionId };
    const cluster = pools[0]!.cluster;
    if ((cluster.powerState ?? 'Running') !== 'Running') {
      return pools.map(({ pool }) => ({ ...base, poolName: pool.poolName, verdict: 'skipped', poolVersion: pool.nodeImageVersion, nodeVersions: {}, detail: { reason: `cluster ${cluster.powerState}` } }));
    }
    let nodes;
    try {
      nodes = await (await deps.clusterApi(clusterId)).allNodes();
    } catch (error) {
      return [{ ...base, poolName: null, verdict: 'unreachable', poolVersion: null, nodeVersions: {}, detail: { error: (error as Error).message } }];
    }
    const results: NodeCheckResult[] = [];
    for (const { pool } of pools) {
      if ((pool.provisioningState ?? 'Succeeded') !== 'Succeeded') {
        results.push({ ...base, poolName: pool.poolName, verdict: 'skipped', poolVersion: pool.nodeImageVersion, nodeVersions: {}, detail: { reason: `pool ${pool.provisioningState}` } });
        continue;
      }
      const own = nodesOfPool({ nodes }, pool.poolName);
      let comparison = compareNodeLabels(pool.nodeImageVersion, own);
      let detail: Record<string, unknown> | null = null;
      if (comparison.verdict === 'mismatch') {
        // The snapshot may predate an upgrade: judge against what ARM says now.
        const live = await readPool(deps.clients, clusterId, pool.poolName, { policy: deps.retryPolicy, deadline: Date.now() + 60_000, onAttempt: deps.onArmAttempt }).catch((error: unknown) => error as Error);
        if (live instanceof Error) detail = { liveArmRead: `failed: ${live.message}`, judgedOn: 'snapshot' };
        else if (live === null || (live.provisioningState ?? 'Succeeded') !== 'Succeeded') {
          const reason = live === null ? 'pool deleted since the snapshot' : `pool ${live.provisioningState} now`;
          results.push({ ...base, poolName: pool.poolName, verdict: 'skipped', poolVersion: live?.nodeImageVersion ?? pool.nodeImageVersion, nodeVersions: comparison.nodeVersions, detail: { reason } });
          continue;
        } else {
          comparison = compareNodeLabels(live.nodeImageVersion, own);
          detail = { snapshotVersion: pool.nodeImageVersion, liveArmVersion: live.nodeImageVersion, judgedOn: 'live ARM read' };
        }
        if (comparison.verdict === 'mismatch') detail = { ...detail, nodes: own.map((node) => ({ name: node.name, image: node.imageVersion, ready: node.ready })) };
      }
      results.push({ ...base, poolName: pool.poolName, verdict: comparison.verdict, poolVersion: comparison.poolVersion, nodeVersions: comparison.nodeVersions, detail });
    }
    return results;
  }

  async function execute(check: NodeCheck): Promise<NodeCheck> {
    const results: NodeCheckResult[] = [];
    let error: string | null = null;
    try {
      const snapshotId = deps.state.newestSnapshotId();
      const byCluster = new Map<string, PoolState[]>();
      if (snapshotId !== null) {
        for (const state of deps.state.pools(snapshotId, { limit: Number.MAX_SAFE_INTEGER })) {
          const list = byCluster.get(state.cluster.id) ?? [];
          list.push(state);
          byCluster.set(state.cluster.id, list);
        }
      }
      const queue = [...byCluster.entries()];
      const worker = async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.push(...(await checkCluster(next[0], next[1])));
      };
      await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 4, queue.length) }, worker));
    } catch (caught) {
      error = (caught as Error).message;
    }
    results.sort((a, b) => a.clusterId.localeCompare(b.clusterId) || (a.poolName ?? '').localeCompare(b.poolName ?? ''));
    const unreachable = results.filter((r) => r.verdict === 'unreachable');
    const mismatches = results.filter((r) => r.verdict === 'mismatch');
    const outcome = {
      status: error !== null ? ('failed' as const) : unreachable.length > 0 ? ('partial' as const) : ('succeeded' as const),
      finishedAt: deps.now().toISOString(),
      clusters: new Set(results.map((r) => r.clusterId.toLowerCase())).size,
      unreachable: unreachable.length,
      mismatches: mismatches.length,
      error,
    };
    writeTransaction(deps.db, () => {
      if (error === null) deps.repo.addResults(check.id, results);
      deps.repo.finish(check.id, outcome);
      deps.evidence.append({
        kind: 'node_check_completed',
        subject: `node_check:${check.id}`,
        actor: check.requestedBy,
        body: {
          checkId: check.id,
          trigger: check.trigger,
          startedAt: check.startedAt,
          ...outcome,
          results: results.length,
          resultsSha256: sha256Hex(canonicalJson(results)),
          mismatched: mismatches.slice(0, 1000).map((r) => ({ clusterId: r.clusterId, poolName: r.poolName, poolVersion: r.poolVersion, nodeVersions: r.nodeVersions })),
          unreachableClusters: unreachable.slice(0, 1000).map((r) => ({ clusterId: r.clusterId, error: r.detail?.error ?? null })),
        },
      });
    });
    deps.evidence.checkpoint();
    deps.logger.info({ checkId: check.id, ...outcome }, 'node check finished');
    try {
      deps.onCompleted?.(outcome.status);
    } catch (caught) {
      deps.logger.error({ err: caught }, 'recording findings after the node check failed');
    }
    return deps.repo.get(check.id)!;
  }

  function begin(trigger: NodeCheckTrigger, requestedBy: string): { check: NodeCheck; done: Promise<NodeCheck> } {
    if (current !== null) {
      const running = deps.repo.running();
      if (running) return { check: running, done: current };
    }
    const started = writeTransaction(deps.db, () => deps.repo.start({ trigger, requestedBy, owner: deps.owner, startedAt: deps.now().toISOString() }));
    if (!started.started) throw conflict('node_check_in_progress', `node check ${started.check.id} is running in another process`, { id: started.check.id });
    const done = execute(started.check).finally(() => {
      current = null;
    });
    current = done;
    return { check: started.check, done };
  }

  return {
    /** Runs a check to its end (the scheduler, the CLI). */
    run: (trigger: NodeCheckTrigger, requestedBy: string): Promise<NodeCheck> => begin(trigger, requestedBy).done,
    /** Starts a check and returns it running (the API); a check already running here is returned instead. */
    start: (trigger: NodeCheckTrigger, requestedBy: string): NodeCheck => {
      const { check, done } = begin(trigger, requestedBy);
      // Nobody awaits an API-started check: a failure to record its end (the database gone, a disk full) is logged
      // here, not left as an unhandled rejection that would bring the process down.
      done.catch((error: unknown) => deps.logger.error({ err: error, checkId: check.id }, 'node check could not be recorded'));
      return check;
    },
    /** Marks a check whose process died as failed (at start). */
    recoverInterrupted(): void {
      const running = deps.repo.running();
      if (running === null || current !== null || deps.isOwnerAlive(running.owner)) return;
      writeTransaction(deps.db, () => deps.repo.finish(running.id, { status: 'failed', finishedAt: deps.now().toISOString(), clusters: 0, unreachable: 0, mismatches: 0, error: `interrupted: the process running it (${running.owner}) stopped` }));
    },
    get: (id: number) => deps.repo.get(id),
    list: (before: number | null, limit: number) => deps.repo.list(before, limit),
    results: (id: number) => deps.repo.results(id),
    drain: async (): Promise<void> => {
      await current?.catch(() => undefined);
    },
  };
}
