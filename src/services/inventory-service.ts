import { compliancePercentages, type Drift, type PoolStatus } from '../domain/drift.js';
import { invalidInput } from '../domain/errors.js';
import { exceptionsChangeAfter } from '../domain/exceptions.js';
import type { ClusterObservation } from '../domain/inventory.js';
import { selectorMatches, type Policy, type Selector } from '../domain/policy.js';
import { firstAfterPosition, sortByPosition, sortValueOf, type PoolSort, type SortPosition } from '../domain/pool-order.js';
import { toPoolView, type PoolView } from '../domain/pool-view.js';
import type { ExceptionRepository } from '../store/exception-repository.js';
import { answersFor, countsOf, emptyCounts, evaluateFleet, keptPage, pageOf, sortedIndexes, type FleetEvaluation, type FleetPageItem, type StatusCounts } from './fleet-evaluation.js';
import type { FindingsService } from './findings-service.js';
import { createPoolHistoryReader } from './pool-history-reader.js';
import { identityOf, type createObservationHistory } from './observation-history.js';
import type { SnapshotRepository } from '../store/snapshot-repository.js';
import type { PoolState, StateRepository, SubscriptionObservation } from '../store/state-repository.js';

export interface InventoryServiceDeps {
  readonly snapshots: Pick<SnapshotRepository, 'latestCommittedAt' | 'get'>;
  readonly state: StateRepository;
  /** The patch policy in force at a moment (the recorded versions, else the one this process loaded). */
  readonly policyAt: (at: string) => Policy;
  readonly exceptions: Pick<ExceptionRepository, 'all'>;
  readonly findings: Pick<FindingsService, 'openFindingIds'>;
  readonly history: ReturnType<typeof createObservationHistory>;
  readonly now: () => Date;
  /**
   * The newest committed snapshot, and a cheap fingerprint of what an evaluation reads that can change without time
   * passing (committed snapshots, exception decisions, policy versions). With it, the newest snapshot's evaluation
   * is kept while it holds.
   */
  readonly evaluationInputs?: () => { readonly newestSnapshotId: number | null; readonly fingerprint: string };
  /** The first moment after `at` (epoch ms) at which `policyAt` answers differently; null: never. */
  readonly policyChangesAfter?: (at: string) => number | null;
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

export type { StatusCounts } from './fleet-evaluation.js';

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

/** One pool evaluated at a moment; `view()` builds the API view only where a caller needs one. */
export interface Evaluation {
  readonly key: string;
  readonly state: PoolState;
  readonly drift: Drift;
  readonly view: () => PoolView;
}

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
    if (snapshotId === null) {
      return { at, snapshotId, scope, observations: new Map<string, SubscriptionObservation>(), evaluate: () => null, driftOf: () => null };
    }
    const observations = deps.state.subscriptionObservations(snapshotId);
    const history = deps.history({ policyAt, exceptions: deps.exceptions.all() }, snapshotId);
    /** The pool's drift at `t`, or null when it lies outside the scope. */
    const driftOf = (row: PoolState) =>
      scope && !selectorMatches(scope, identityOf(row.pool, row.cluster.tags)) ? null : history.driftAt(row.pool, row.cluster, row.imageSince, snapshotId, atIso);
    const evaluate = (row: PoolState) => {
      const drift = driftOf(row);
      if (drift === null) return null;
      const observedAt = observations.get(row.pool.subscriptionId.toLowerCase())?.observedAt ?? null;
      return { key: row.key, ...toPoolView(row, drift, observedAt), breached: isBreached(drift, atIso) };
    };
    return { at, snapshotId, scope, observations, evaluate, driftOf };
  }

  const { policyAt } = deps;

  /** Walks the pools at the snapshot in key order, evaluating each as the caller reads it, until `limit` pass the filters. */
  function* walk<T extends { status: PoolStatus }>(query: StateQuery, evaluate: (row: PoolState) => T | null, snapshotId: number) {
    for (const rows of chunks(query, snapshotId)) {
      for (const row of rows) {
        const pool = evaluate(row);
        if (pool !== null && (query.status === undefined || pool.status === query.status)) yield pool;
      }
    }
  }

  /**
   * The newest snapshot's evaluation at `at` (for a pinned `snapshotId`, only if that is the newest): the one kept
   * while it answers exactly as a fresh one would (see FleetEvaluation), else a fresh one, which is then kept. Null
   * when the snapshot that counts at `at` is not the newest (its pools are read a chunk at a time) or there is none.
   * The kept one is recognised by the fingerprint alone: while it is unchanged, no snapshot committed since, so the
   * snapshot that counted at its moment still counts at any later one.
   */
  let kept: FleetEvaluation | null = null;
  function evaluationAt(at: Date, pinned?: number): FleetEvaluation | null {
    if (deps.evaluationInputs === undefined) return null;
    // Read before the evaluation: a change committed meanwhile makes the next request evaluate again.
    const { newestSnapshotId, fingerprint: inputs } = deps.evaluationInputs();
    if (kept !== null && (pinned === undefined || pinned === kept.snapshotId) && answersFor(kept, inputs, at)) return kept;
    const atIso = at.toISOString();
    const snapshotId = pinned ?? deps.snapshots.latestCommittedAt(atIso)?.id ?? null;
    if (snapshotId === null || snapshotId !== newestSnapshotId) return null;
    const exceptions = deps.exceptions.all();
    const history = deps.history({ policyAt, exceptions }, snapshotId);
    const sighting = history.sightingAfter(atIso);
    kept = evaluateFleet({
      snapshotId,
      inputs,
      at,
      rows: newestRows(snapshotId),
      driftOf: (row) => history.driftAt(row.pool, row.cluster, row.imageSince, snapshotId, atIso),
      observations: deps.state.subscriptionObservations(snapshotId),
      inputsChangeAt: [
        exceptionsChangeAfter(exceptions, atIso),
        deps.policyChangesAfter?.(atIso) ?? null,
        sighting === null ? null : Date.parse(sighting),
      ],
    });
    return kept;
  }

  /**
   * A page of the kept evaluation, with the finding ids of its breached pools (derived once per evaluation). The same
   * query is answered with the very same list while the evaluation holds (the route serialises it once).
   */
  const pageFrom = (evaluation: FleetEvaluation, query: StateQuery, at: Date) => keptPage(evaluation, query, () => buildPage(evaluation, query, at));
  function buildPage(evaluation: FleetEvaluation, query: StateQuery, at: Date): FleetPageItem[] {
    const scope = query.scope === undefined ? null : resolveScope(policyAt(at.toISOString()), query.scope);
    return viewsOf(evaluation, pageOf(evaluation, query, scope), at);
  }
  /** The API views of the evaluation's pools at `page` (indexes into its rows), with their open findings' ids. */
  function viewsOf(evaluation: FleetEvaluation, page: readonly number[], at: Date): FleetPageItem[] {
    const atIso = at.toISOString();
    const breached = page.map((index) => evaluation.rows[index]!.key).filter((key, i) => isOpenBreach(evaluation.drifts[page[i]!]!, atIso) && !evaluation.findingIds.has(key));
    if (breached.length > 0) {
      const found = deps.findings.openFindingIds(breached, at);
      for (const key of breached) evaluation.findingIds.set(key, found.get(key) ?? null);
    }
    return page.map((index) => {
      const row = evaluation.rows[index]!;
      const observedAt = evaluation.observations.get(row.pool.subscriptionId.toLowerCase())?.observedAt ?? null;
      const view = toPoolView(row, evaluation.drifts[index]!, observedAt);
      view.findingId = evaluation.findingIds.get(row.key) ?? null;
      return Object.assign(view, { key: row.key });
    });
  }

  /**
   * What a committed snapshot observed never changes, and the newest one is what nearly every request reads: its
   * pools are kept in memory (parsed, in key order) until a newer snapshot commits. Other snapshots are read from
   * the database a chunk at a time.
   */
  let newest: { snapshotId: number; rows: PoolState[] } | null = null;
  const newestRows = (snapshotId: number) => {
    if (newest?.snapshotId !== snapshotId) newest = { snapshotId, rows: [...readChunks({}, snapshotId)].flat() };
    return newest.rows;
  };
  function* chunks(query: StateQuery, snapshotId: number): Generator<PoolState[]> {
    if (snapshotId === deps.state.newestSnapshotId()) {
      const rows = filterInMemory(newestRows(snapshotId), query);
      for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
      return;
    }
    yield* readChunks(query, snapshotId);
  }

  function* readChunks(query: Pick<StateQuery, 'subscriptionId' | 'clusterId' | 'afterKey'>, snapshotId: number): Generator<PoolState[]> {
    let afterKey = query.afterKey;
    const clusters = new Map<string, ClusterObservation>();
    for (;;) {
      const rows = deps.state.pools(snapshotId, { ...query, ...(afterKey ? { afterKey } : {}), limit: CHUNK }, clusters);
      yield rows;
      if (rows.length < CHUNK) return;
      afterKey = rows.at(-1)!.key;
    }
  }

  /** Pools read outside the kept evaluation, with their open findings' ids. */
  function withFindingIds(items: readonly (PoolView & { key: string; breached: boolean })[], at: Date): FleetPageItem[] {
    // Only pools past their breach instant can have an open finding: derive those, and only those.
    const findingIds = deps.findings.openFindingIds(items.filter((p) => p.breached && p.status !== 'current' && p.status !== 'within_policy').map((p) => p.key), at);
    return items.map(({ breached: _breached, ...pool }) => ({ ...pool, findingId: findingIds.get(pool.key) ?? null }));
  }

  return {
    /** A page of pools; while the fleet's evaluation holds, the same query answers the very same (frozen) list. */
    pools(query: StateQuery): { snapshotId: number | null; at: Date; items: readonly FleetPageItem[] } {
      const at = query.asOf ?? deps.now();
      const evaluation = evaluationAt(at, query.snapshotId);
      if (evaluation !== null) return { snapshotId: evaluation.snapshotId, at, items: pageFrom(evaluation, query, at) };
      const { evaluate, snapshotId } = context({ ...query, asOf: at });
      if (snapshotId === null) return { snapshotId, at, items: [] };
      const items: (PoolView & { key: string; breached: boolean })[] = [];
      for (const pool of walk(query, evaluate, snapshotId)) {
        items.push(pool);
        if (items.length >= query.limit) break;
      }
      return { snapshotId, at, items: withFindingIds(items, at) };
    },

    /**
     * A page of pools in `sort`'s order (pool-order.ts), the first `limit` after `after`. The kept evaluation sorts
     * each filter once; at another moment the filter's pools are all evaluated and sorted for each page.
     */
    sortedPools(query: StateQuery & { readonly sort: PoolSort; readonly after?: SortPosition }): { snapshotId: number | null; at: Date; items: readonly FleetPageItem[] } {
      const at = query.asOf ?? deps.now();
      const { sort, after } = query;
      const evaluation = evaluationAt(at, query.snapshotId);
      if (evaluation !== null) {
        const scope = query.scope === undefined ? null : resolveScope(policyAt(at.toISOString()), query.scope);
        const order = sortedIndexes(evaluation, query, sort, scope);
        const start = after === undefined ? 0 : firstAfterPosition(sort, order, after);
        return { snapshotId: evaluation.snapshotId, at, items: viewsOf(evaluation, order.slice(start, start + query.limit).map(({ index }) => index), at) };
      }
      const { evaluate, snapshotId } = context({ ...query, asOf: at });
      if (snapshotId === null) return { snapshotId, at, items: [] };
      const all = [...walk({ ...query, limit: Number.MAX_SAFE_INTEGER }, evaluate, snapshotId)].map((pool) => ({ pool, key: pool.key, value: sortValueOf(sort.field, pool[sort.field]) }));
      const order = sortByPosition(sort, all);
      const start = after === undefined ? 0 : firstAfterPosition(sort, order, after);
      const items = order.slice(start, start + query.limit).map(({ pool }) => pool);
      return { snapshotId, at, items: withFindingIds(items, at) };
    },

    summary(query: { asOf?: Date; scope?: string }): ComplianceSummary {
      const at = query.asOf ?? deps.now();
      const evaluation = evaluationAt(at);
      if (evaluation !== null) {
        const scope = query.scope === undefined ? null : resolveScope(policyAt(at.toISOString()), query.scope);
        return toSummary(at, query.scope ?? null, countsOf(evaluation, query.scope ?? '', scope));
      }
      const { driftOf, snapshotId } = context({ ...query, asOf: at });
      const overall = emptyCounts();
      const bySubscription = new Map<string, StatusCounts>();
      // Counting needs each pool's status only: no views are built.
      if (snapshotId !== null) {
        for (const rows of chunks({ limit: Number.MAX_SAFE_INTEGER }, snapshotId)) {
          for (const row of rows) {
            const drift = driftOf(row);
            if (drift === null) continue;
            overall[drift.status]++;
            const id = row.pool.subscriptionId.toLowerCase();
            const counts = bySubscription.get(id) ?? emptyCounts();
            counts[drift.status]++;
            bySubscription.set(id, counts);
          }
        }
      }
      return toSummary(at, query.scope ?? null, { overall, bySubscription });
    },

    /**
     * Every pool in `scope` at `at` with its drift, in key order, a chunk at a time: the report's walk over the
     * population. `view()` builds the API view only where a caller needs one.
     */
    *evaluateAt(query: { asOf: Date; scope?: string }): Generator<Evaluation> {
      const evaluation = evaluationAt(query.asOf);
      if (evaluation !== null) {
        const scope = query.scope === undefined ? null : resolveScope(policyAt(query.asOf.toISOString()), query.scope);
        for (const [index, state] of evaluation.rows.entries()) {
          if (scope !== null && !selectorMatches(scope, identityOf(state.pool, state.cluster.tags))) continue;
          const drift = evaluation.drifts[index]!;
          const observedAt = evaluation.observations.get(state.pool.subscriptionId.toLowerCase())?.observedAt ?? null;
          yield { key: state.key, state, drift, view: () => toPoolView(state, drift, observedAt) };
        }
        return;
      }
      const { snapshotId, driftOf, observations } = context(query);
      if (snapshotId === null) return;
      for (const rows of chunks({ limit: Number.MAX_SAFE_INTEGER }, snapshotId)) {
        for (const row of rows) {
          const drift = driftOf(row);
          if (drift === null) continue;
          const observedAt = observations.get(row.pool.subscriptionId.toLowerCase())?.observedAt ?? null;
          yield { key: row.key, state: row, drift, view: () => toPoolView(row, drift, observedAt) };
        }
      }
    },

    /**
     * Every pool in `scope` at each of the ascending moments, with its drift, in key order: the report's daily walk.
     * The pools of consecutive moments are read as changes from the moment before (StateRepository.poolsAcross).
     * A moment before the first committed snapshot yields no pools. Each moment's pools are to be read before the
     * next moment is asked for.
     */
    *evaluateAcross(moments: readonly Date[], scope?: string): Generator<{ at: Date; pools: Iterable<Evaluation> }> {
      const snapshotIds = moments.map((asOf) => deps.snapshots.latestCommittedAt(asOf.toISOString())?.id ?? null);
      const walk = deps.state.poolsAcross(snapshotIds.filter((id): id is number => id !== null));
      for (const [index, asOf] of moments.entries()) {
        const snapshotId = snapshotIds[index] ?? null;
        if (snapshotId === null) {
          yield { at: asOf, pools: [] };
          continue;
        }
        const { driftOf, observations } = context({ asOf, snapshotId, ...(scope === undefined ? {} : { scope }) });
        const { pools } = walk.next().value as { pools: readonly PoolState[] };
        // Evaluated as the caller reads them, so that each evaluation dies young (bench/report: peak RSS).
        yield {
          at: asOf,
          pools: (function* () {
            for (const state of pools) {
              const drift = driftOf(state);
              if (drift === null) continue;
              const observedAt = observations.get(state.pool.subscriptionId.toLowerCase())?.observedAt ?? null;
              yield { key: state.key, state, drift, view: () => toPoolView(state, drift, observedAt) };
            }
          })(),
        };
      }
    },

    poolHistory: createPoolHistoryReader(deps).poolHistory,

    /** The service's clock (what "now" means for a query without `asOf`). */
    now: (): Date => deps.now(),

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

/** The same filters as the SQL path, on rows sorted by key. */
function filterInMemory(rows: readonly PoolState[], query: StateQuery): PoolState[] {
  let start = 0;
  if (query.afterKey !== undefined) {
    let high = rows.length;
    while (start < high) {
      const middle = (start + high) >> 1;
      if (rows[middle]!.key <= query.afterKey) start = middle + 1;
      else high = middle;
    }
  }
  const subscription = query.subscriptionId?.toLowerCase();
  const clusterPrefix = query.clusterId === undefined ? undefined : `${query.clusterId.toLowerCase()}/agentpools/`;
  const selected = rows.slice(start);
  if (subscription === undefined && clusterPrefix === undefined) return selected;
  return selected.filter(
    (row) =>
      (subscription === undefined || row.pool.subscriptionId.toLowerCase() === subscription) &&
      (clusterPrefix === undefined || row.key.startsWith(clusterPrefix)),
  );
}

function toSummary(at: Date, scope: string | null, { overall, bySubscription }: { overall: StatusCounts; bySubscription: ReadonlyMap<string, StatusCounts> }): ComplianceSummary {
  return {
    asOf: at.toISOString(),
    scope,
    total: totalOf(overall),
    counts: { ...overall },
    ...compliancePercentages(overall),
    bySubscription: [...bySubscription.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([subscriptionId, counts]) => ({ subscriptionId, total: totalOf(counts), counts: { ...counts }, ...compliancePercentages(counts) })),
  };
}

/** Past the breach instant at `at` (only such pools can have an open sla_breach finding). */
function isBreached(drift: Drift, atIso: string): boolean {
  return drift.breachAt !== null && drift.breachAt < atIso;
}

function isOpenBreach(drift: Drift, atIso: string): boolean {
  return isBreached(drift, atIso) && drift.status !== 'current' && drift.status !== 'within_policy';
}

function totalOf(counts: StatusCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
