import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { readUpgradeTarget, type UpgradeTarget } from '../azure/upgrade-target.js';
import type { ArmClients } from '../azure/arm-clients.js';
import type { ClusterApi } from '../azure/cluster-api.js';
import { nodePrechecks, unreachableCheck } from '../domain/node-evidence.js';
import type { AttemptObserver, RetryPolicy } from '../azure/retry.js';
import { conflict, DomainError, invalidInput, notFound } from '../domain/errors.js';
import { clusterKey, parseClusterId } from '../domain/inventory.js';
import { maintenanceWindowAt } from '../domain/maintenance-window.js';
import { upgradeRulesFor, type Policy, type PoolIdentity } from '../domain/policy.js';
import { sameCaller, type Role } from '../domain/roles.js';
import { PlanError, planPools, prechecks, type Precheck, type PlannedPool, type RunStatus } from '../domain/upgrade.js';
import type { EvidenceSink } from '../evidence/ledger.js';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { UpgradeRepository, UpgradeRunRecord } from '../store/upgrade-repository.js';

export interface UpgradeRequest {
  readonly clusterId: string;
  readonly pools?: readonly string[];
  readonly reason: string;
  readonly changeTicket?: string;
  readonly dryRun?: boolean;
  readonly overrideWindow?: { readonly reason: string };
  readonly overrideBlocks?: { readonly reason: string };
}

export interface UpgradeServiceDeps {
  readonly db: Db;
  readonly repo: UpgradeRepository;
  readonly evidence: EvidenceSink;
  readonly clients: ArmClients;
  readonly config: Pick<Config, 'armEndpoint'>;
  readonly policy: () => Policy;
  readonly retryPolicy: RetryPolicy;
  readonly now: () => Date;
  /** Hours an approval may take before the run expires. */
  readonly approvalTtlHours: number;
  /** Tells the runner there is work. */
  readonly wake: () => void;
  /** Opens the cluster's own Kubernetes API (azure/cluster-api.ts); absent, node-level pre-checks are not made. */
  readonly clusterApi?: (clusterId: string) => Promise<ClusterApi>;
  /** Told of every ARM call attempt (metrics). */
  readonly onArmAttempt?: AttemptObserver;
}

export interface Plan {
  readonly clusterId: string;
  readonly status: RunStatus;
  readonly pools: readonly PlannedPool[];
  readonly prechecks: readonly Precheck[];
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export type UpgradeService = ReturnType<typeof createUpgradeService>;

/**
 * Recorded node-image-only upgrades: the request (idempotent per principal and key), the live pre-checks, approval by
 * a second admin where the policy asks for it, abort. The run is stored with its evidence before the API answers;
 * the runner executes it.
 */
export function createUpgradeService(deps: UpgradeServiceDeps) {
  async function plan(request: UpgradeRequest): Promise<Plan & { target: UpgradeTarget }> {
    const deadline = deps.now().getTime() + 5 * 60_000;
    const target = await readUpgradeTarget(deps.clients, request.clusterId, { policy: deps.retryPolicy, deadline, onAttempt: deps.onArmAttempt });
    if (target === null) throw notFound('cluster_not_found', `no managed cluster ${request.clusterId} readable by this identity`);
    let planned: PlannedPool[];
    try {
      planned = planPools(target.cluster, request.pools);
    } catch (error) {
      if (error instanceof PlanError) throw invalidInput(error.code, error.message, error.details);
      throw error;
    }
    if (planned.length === 0) {
      throw conflict('nothing_to_upgrade', 'every pool of the cluster already runs its latest node image', {
        pools: target.cluster.pools.map((p) => ({ poolName: p.name, nodeImageVersion: p.nodeImageVersion, latestNodeImageVersion: p.latestNodeImageVersion })),
      });
    }
    const id = parseClusterId(target.cluster.id)!;
    const identities: PoolIdentity[] = planned.map((p) => ({
      subscriptionId: id.subscriptionId,
      resourceGroup: id.resourceGroup,
      clusterId: target.cluster.id,
      clusterName: id.name,
      poolName: p.poolName,
      mode: target.cluster.pools.find((pool) => pool.name === p.poolName)?.mode ?? null,
      clusterTags: target.tags,
      poolTags: {},
    }));
    const rules = upgradeRulesFor(deps.policy(), identities);
    const window = maintenanceWindowAt(target.maintenance, deps.now());
    const checks = [
      ...prechecks({ cluster: target.cluster, requestedPools: request.pools, window, rules, overrideWindow: request.overrideWindow }, planned),
      ...(await nodeLevelPrechecks(target, planned)),
    ];
    const blocks = checks.filter((check) => check.verdict === 'block');
    const overridden = blocks.length > 0 && request.overrideBlocks !== undefined;
    const finalChecks = overridden ? [...checks, { name: 'override_blocks', verdict: 'warn' as const, observed: { reason: request.overrideBlocks!.reason, overridden: blocks.map((b) => b.name) } }] : checks;
    const status: RunStatus = blocks.length > 0 && !overridden ? 'blocked' : rules.requireApproval ? 'pending_approval' : 'queued';
    return { clusterId: target.cluster.id, status, pools: planned, prechecks: finalChecks, target };
  }

  /** What each pool's nodes and workloads say, from the cluster's own API; an unreachable one is recorded, not fatal. */
  async function nodeLevelPrechecks(target: UpgradeTarget, planned: readonly PlannedPool[]): Promise<Precheck[]> {
    if (deps.clusterApi === undefined) return [];
    let view;
    try {
      view = await (await deps.clusterApi(target.cluster.id)).read();
    } catch (error) {
      return [unreachableCheck((error as Error).message)];
    }
    const checks: Precheck[] = [{ name: 'kubernetes_api', verdict: 'ok', observed: { reachable: true, readAt: view.readAt, nodes: view.nodes.length, pods: view.pods.length, podDisruptionBudgets: view.pdbs.length } }];
    for (const plan of planned) {
      if (plan.status !== 'pending') continue;
      checks.push(...nodePrechecks(target.cluster.pools.find((pool) => pool.name === plan.poolName)!, view));
    }
    return checks;
  }

  return {
    /** `dryRun` answers the plan and stores nothing; otherwise the run and its first evidence are stored, then 202. */
    async request(body: UpgradeRequest, principal: { actor: string; role: Role }, idempotencyKey: string | undefined): Promise<{ statusCode: number; body: unknown }> {
      if ((body.overrideWindow || body.overrideBlocks) && principal.role !== 'admin') {
        throw new DomainError('forbidden', 'override_requires_admin', 'only an admin may override the maintenance window or a blocking pre-check');
      }
      if (body.dryRun) {
        const { target: _target, ...dry } = await plan(body);
        return { statusCode: 200, body: { dryRun: true, ...dry } };
      }
      if (idempotencyKey === undefined) throw invalidInput('idempotency_key_required', 'POST /api/v1/upgrades needs an Idempotency-Key header');
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalidInput('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
      const requestSha256 = sha256Hex(canonicalJson(body));
      const replay = () => {
        const stored = deps.repo.idempotencyRecord(principal.actor, idempotencyKey);
        if (stored === null) return null;
        if (stored.requestSha256 !== requestSha256) throw new DomainError('unprocessable', 'idempotency_key_reused', 'this Idempotency-Key was used with another request body');
        return { statusCode: stored.statusCode, body: stored.response };
      };
      const earlier = replay();
      if (earlier) return earlier;
      const active = deps.repo.activeFor(clusterKey(body.clusterId));
      if (active) throw conflict('upgrade_in_progress', `run ${active.id} is ${active.status} on this cluster`, { runId: active.id });
      const planned = await plan(body);
      const id = `upg_${randomUUID()}`;
      const at = deps.now().toISOString();
      const response = { id, status: planned.status };
      try {
        writeTransaction(deps.db, () => {
          const again = replay();
          if (again) return;
          const clusterId = planned.clusterId;
          deps.repo.insert(
            {
              id,
              clusterKey: clusterKey(clusterId),
              clusterId,
              subscriptionId: parseClusterId(clusterId)!.subscriptionId,
              status: planned.status,
              requestedBy: principal.actor,
              reason: body.reason,
              changeTicket: body.changeTicket ?? null,
              overrideWindow: body.overrideWindow?.reason ?? null,
              overrideBlocks: body.overrideBlocks?.reason ?? null,
              approvalExpiresAt: planned.status === 'pending_approval' ? new Date(deps.now().getTime() + deps.approvalTtlHours * 3_600_000).toISOString() : null,
              createdAt: at,
              prechecks: [...planned.prechecks],
              error: planned.status === 'blocked' ? { code: 'precheck_blocked', message: planned.prechecks.filter((c) => c.verdict === 'block').map((c) => c.name).join(', ') } : null,
            },
            planned.pools,
          );
          const record = (kind: string, event: Record<string, unknown>) => deps.evidence.append({ kind: `upgrade_${kind}`, subject: id, actor: principal.actor, body: { runId: id, ...event } });
          record('requested', { clusterId, pools: planned.pools, reason: body.reason, changeTicket: body.changeTicket ?? null, overrideWindow: body.overrideWindow ?? null, overrideBlocks: body.overrideBlocks ?? null, idempotencyKeySha256: sha256Hex(idempotencyKey), requestSha256 });
          record('prechecks', { status: planned.status, prechecks: planned.prechecks });
          if (planned.status === 'blocked') {
            // Refused as it is asked for: the run ends now, and none of its pools was attempted.
            const blockedBy = planned.prechecks.filter((c) => c.verdict === 'block');
            deps.repo.updateRun(id, { finishedAt: at });
            planned.pools.forEach((_, position) =>
              deps.repo.updatePool(id, position, { status: 'not_attempted', error: { code: 'precheck_blocked', message: `blocked by ${blockedBy.map((c) => c.name).join(', ')}` } }),
            );
            record('blocked', { status: 'blocked', blockedBy });
          }
          deps.repo.recordIdempotency(principal.actor, idempotencyKey, requestSha256, 202, response, at);
        });
      } catch (error) {
        // Two requests raced: the one-active-run index (or the key's primary key) let one through.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' || (error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          const earlierRun = replay();
          if (earlierRun) return earlierRun;
          const winner = deps.repo.activeFor(clusterKey(body.clusterId));
          throw conflict('upgrade_in_progress', 'another run started on this cluster meanwhile', { runId: winner?.id ?? null });
        }
        throw error;
      }
      deps.evidence.checkpoint();
      const stored = replay()!;
      deps.wake();
      return stored;
    },

    approve(id: string, actor: string, reason: string | null = null): UpgradeRunRecord {
      const run = this.get(id);
      if (run.status !== 'pending_approval') throw conflict('invalid_state', `run ${id} is ${run.status}`, { status: run.status });
      if (sameCaller(run.requestedBy, actor)) throw new DomainError('forbidden', 'four_eyes_required', 'a run must be approved by an admin other than its requester', { requestedBy: run.requestedBy });
      if (run.approvalExpiresAt !== null && run.approvalExpiresAt <= deps.now().toISOString()) {
        this.expirePending();
        throw conflict('invalid_state', `run ${id} expired waiting for approval`, { status: 'expired' });
      }
      writeTransaction(deps.db, () => {
        deps.repo.updateRun(id, { status: 'queued', approvedBy: actor });
        deps.evidence.append({ kind: 'upgrade_approved', subject: id, actor, body: { runId: id, approvedBy: actor, requestedBy: run.requestedBy, reason } });
      });
      deps.evidence.checkpoint();
      deps.wake();
      return this.get(id);
    },

    /** A run not yet started ends at once; a running one is cancelled in Azure by the runner, which records the outcome. */
    abort(id: string, actor: string, reason: string | null = null): UpgradeRunRecord {
      const run = this.get(id);
      if (!['pending_approval', 'queued', 'running'].includes(run.status)) throw conflict('invalid_state', `run ${id} is ${run.status}`, { status: run.status });
      writeTransaction(deps.db, () => {
        if (run.status === 'running') {
          deps.repo.updateRun(id, { abortRequestedBy: actor });
          deps.evidence.append({ kind: 'upgrade_progress', subject: id, actor, body: { runId: id, abortRequestedBy: actor, reason } });
          return;
        }
        for (const pool of run.pools) if (pool.status === 'pending') deps.repo.updatePool(id, pool.position, { status: 'not_attempted', error: { code: 'aborted', message: `aborted by ${actor} before it started` } });
        deps.repo.updateRun(id, { status: 'aborted', abortRequestedBy: actor, finishedAt: deps.now().toISOString() });
        deps.evidence.append({ kind: 'upgrade_aborted', subject: id, actor, body: { runId: id, abortedBy: actor, before: run.status, reason } });
      });
      deps.evidence.checkpoint();
      deps.wake();
      return this.get(id);
    },

    /** Runs that waited too long for approval expire (recorded); called by the runner. */
    expirePending(): number {
      const now = deps.now().toISOString();
      let expired = 0;
      for (const run of deps.repo.pendingApproval()) {
        if (run.approvalExpiresAt === null || run.approvalExpiresAt > now) continue;
        writeTransaction(deps.db, () => {
          deps.repo.updateRun(run.id, { status: 'expired', finishedAt: now });
          deps.evidence.append({ kind: 'upgrade_expired', subject: run.id, actor: 'system', body: { runId: run.id, approvalExpiresAt: run.approvalExpiresAt } });
        });
        expired++;
      }
      if (expired > 0) deps.evidence.checkpoint();
      return expired;
    },

    get(id: string): UpgradeRunRecord {
      const run = deps.repo.get(id);
      if (!run) throw notFound('upgrade_not_found', `no upgrade run ${id}`);
      return run;
    },
  };
}
