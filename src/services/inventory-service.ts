import { compliancePercentages, type PoolStatus } from '../domain/drift.js';
import { invalidInput } from '../domain/errors.js';
import type { ClusterObservation } from '../domain/inventory.js';
import { selectorMatches, type Policy, type Selector } from '../domain/policy.js';
import { toPoolView, type PoolView } from '../domain/pool-view.js';
import type { PolicyRepository } from '../store/policy-repository.js';
import type { ExceptionRepository } from '../store/exception-repository.js';
import type { Db } from '../store/database.js';
import type { FindingsService } from './findings-service.js';
import { identityOf, loadObservationHistory } from './observation-history.js';
import type { SnapshotRepository } from '../store/snapshot-repository.js';
import type { PoolState, StateRepository } from '../store/state-repository.js';

export interface InventoryServiceDeps {
  readonly snapshots: Pick<SnapshotRepository, 'latestCommittedAt' | 'get'>;
  readonly state: StateRepository;
  readonly policies: Pick<PolicyRepository, 'inForceAt'>;
  readonly exceptions: Pick<ExceptionRepository, 'all'>;
  readonly findings: Pick<FindingsService, 'openFindingIds'>;
  readonly db: Db;
  /** The policy this process loaded: used when none was ever recorded. */
  readonly currentPolicy: Policy;
  readonly now: () => Date;
}

export interface StateQuery {
  readonly asOf?: Date;
  readonly subscriptionId?: string;
  readonly clusterId?: string;
  readonly status?: PoolStatus;
  /** A report scope named in the policy file, or a subscription id. */
  readonly scope?: string;
  /** Pins paging to the snapshot the first page read. */
  readonly snapshotId?: number;
  readonly afterKey?: string;
  readonly limit: number;
}

export interface ClusterView extends ClusterObservation {
  readonly observedAt: string | null;
}

export type StatusCounts = Record<PoolStatus, number>;

export interface ComplianceSummary {
  asOf: string;
  scope: string | null;
  total: number;
  counts: StatusCounts;
  compliancePercent: number | null;
  compliancePercentWithExceptions: number | null;
  bySubscription: { subscriptionId: string; total: number; counts: StatusCounts; compliancePercent: number | null; compliancePercentWithExceptions: number | null }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHUNK = 1000;

export type InventoryService = ReturnType<typeof createInventoryService>;

/**
 * What imagewarden observed of the fleet at any moment `t` — the last committed snapshot at or before it — and each
 * pool's drift at `t`, computed from stored observations with the policy in force at `t`.
 */
export function createInventoryService(deps: InventoryServiceDeps) {
  /** Everything one evaluation at `t` shares: the snapshot that counts, the policy, the observation history. */
  function context(query: Pick<StateQuery, 'asOf' | 'snapshotId' | 'scope'>) {
    const at = query.asOf ?? deps.now();
    const atIso = at.toISOString();
    const snapshotId = query.snapshotId ?? deps.snapshots.latestCommittedAt(atIso)?.id ?? null;
    const policy = policyAt(atIso);
    const scope = query.scope === undefined ? null : resolveScope(policy, query.scope);
    if (snapshotId === null) return { at, snapshotId, scope, evaluate: () => [] as (PoolView & { key: string })[] };
    const observations = deps.state.subscriptionObservations(snapshotId);
    const history = loadObservationHistory({ db: deps.db, policyAt, exceptions: deps.exceptions.all() }, snapshotId);
    const evaluate = (rows: PoolState[]) =>
      rows.flatMap((row) => {
        if (scope && !selectorMatches(scope, identityOf(row.pool, row.cluster?.tags ?? {}))) return [];
        const drift = history.driftAt(row.pool, row.cluster, row.imageSince, snapshotId, atIso);
        const observedAt = observations.get(row.pool.subscriptionId.toLowerCase())?.observedAt ?? null;
        return [{ key: row.key, ...toPoolView(row, drift, observedAt), breached: drift.breachAt !== null && drift.breachAt < atIso }];
      });
    return { at, snapshotId, scope, evaluate };
  }

  const policyAt = (at: string) => deps.policies.inForceAt(at)?.policy ?? deps.currentPolicy;

  /** Walks the pools at the snapshot in key order, a chunk at a time, until `limit` pass the filters. */
  function* walk<T extends PoolView>(query: StateQuery, evaluate: (rows: PoolState[]) => T[], snapshotId: number) {
    let afterKey = query.afterKey;
    for (;;) {
      const rows = deps.state.pools(snapshotId, { ...query, ...(afterKey ? { afterKey } : {}), limit: CHUNK });
      for (const pool of evaluate(rows)) if (query.status === undefined || pool.status === query.status) yield pool;
      if (rows.length < CHUNK) return;
      afterKey = rows.at(-1)!.key;
    }
  }

  return {
    pools(query: StateQuery): { snapshotId: number | null; at: Date; items: (PoolView & { key: string })[] } {
      const { at, snapshotId, evaluate } = context(query);
      if (snapshotId === null) return { snapshotId, at, items: [] };
      const items: (PoolView & { key: string; breached: boolean })[] = [];
      for (const pool of walk(query, evaluate, snapshotId)) {
        items.push(pool);
        if (items.length >= query.limit) break;
      }
      // Only pools past their breach instant can have an open finding: derive those, and only those.
      const findingIds = deps.findings.openFindingIds(items.filter((p) => p.breached && p.status !== 'current' && p.status !== 'within_policy').map((p) => p.key), at);
      return { snapshotId, at, items: items.map(({ breached: _breached, ...pool }) => ({ ...pool, findingId: findingIds.get(pool.key) ?? null })) };
    },

    summary(query: { asOf?: Date; scope?: string }): ComplianceSummary {
      const { at, snapshotId, evaluate } = context(query);
      const overall = emptyCounts();
      const bySubscription = new Map<string, StatusCounts>();
      if (snapshotId !== null) {
        for (const pool of walk({ limit: Number.MAX_SAFE_INTEGER }, evaluate, snapshotId)) {
          overall[pool.status]++;
          const id = pool.subscriptionId.toLowerCase();
          const counts = bySubscription.get(id) ?? emptyCounts();
          counts[pool.status]++;
          bySubscription.set(id, counts);
        }
      }
      return {
        asOf: at.toISOString(),
        scope: query.scope ?? null,
        total: totalOf(overall),
        counts: overall,
        ...compliancePercentages(overall),
        bySubscription: [...bySubscription.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([subscriptionId, counts]) => ({ subscriptionId, total: totalOf(counts), counts, ...compliancePercentages(counts) })),
      };
    },

    /** The selector a `scope` names at `at` (a policy scope, or a subscription id); 400 for an unknown one. */
    scopeSelector(scope: string, at: Date): Selector {
      return resolveScope(policyAt(at.toISOString()), scope);
    },

    clusters(query: StateQuery): { snapshotId: number | null; at: Date; items: (ClusterView & { key: string })[] } {
      const at = query.asOf ?? deps.now();
      const snapshotId = query.snapshotId ?? deps.snapshots.latestCommittedAt(at.toISOString())?.id ?? null;
      if (snapshotId === null) return { snapshotId, at, items: [] };
      const observations = deps.state.subscriptionObservations(snapshotId);
      return {
        snapshotId,
        at,
        items: deps.state.clusters(snapshotId, query).map(({ key, cluster }) => ({
          key,
          ...cluster,
          observedAt: observations.get(cluster.subscriptionId.toLowerCase())?.observedAt ?? null,
        })),
      };
    },
  };
}

/** `scope` is a report scope named in the policy file, or a subscription id. */
function resolveScope(policy: Policy, scope: string): Selector {
  const named = policy.scopes[scope];
  if (named) return named;
  if (UUID.test(scope)) return { subscriptions: [scope] };
  throw invalidInput('unknown_scope', `no report scope named ${scope} in the policy file, and not a subscription id`, {
    scope,
    scopes: Object.keys(policy.scopes),
  });
}

function emptyCounts(): StatusCounts {
  return { current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 };
}

function totalOf(counts: StatusCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
