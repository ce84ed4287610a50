import { driftChangesAfter, type Drift, type PoolStatus } from '../domain/drift.js';
import { selectorMatches, type Selector } from '../domain/policy.js';
import { formatPoolSort, sortByPosition, sortValueOf, type PoolSort, type PoolSortField, type SortPosition } from '../domain/pool-order.js';
import type { PoolView } from '../domain/pool-view.js';
import type { PoolState, SubscriptionObservation } from '../store/state-repository.js';
import { identityOf } from './observation-history.js';

export type StatusCounts = Record<PoolStatus, number>;

export interface FleetCounts {
  readonly overall: StatusCounts;
  /** By lower-cased subscription id. */
  readonly bySubscription: ReadonlyMap<string, StatusCounts>;
}

/**
 * The newest snapshot's pools, each with its drift evaluated at the moment `from`, and the moment `until` (exclusive)
 * up to which every evaluation at a later moment gives the same answers: the first day boundary of a day count, breach
 * instant, sighting, exception decision or expiry, or policy version after `from`. Only for the fingerprint
 * `inputs` (a committed snapshot, an exception decision, a policy version change it). Counts and finding ids asked
 * of it are kept with it, as they hold exactly as long.
 */
export interface FleetEvaluation {
  readonly snapshotId: number;
  readonly inputs: string;
  readonly from: number;
  readonly until: number;
  /** In key order. */
  readonly rows: readonly PoolState[];
  /** `drifts[i]` is the drift of `rows[i]`. */
  readonly drifts: readonly Drift[];
  readonly observations: ReadonlyMap<string, SubscriptionObservation>;
  /** Each pool's open sla_breach finding (null: none), as pages asked for them. */
  readonly findingIds: Map<string, string | null>;
  /** Counts per scope asked for ('' for the whole fleet). */
  readonly counts: Map<string, FleetCounts>;
  /** The last pages asked for, by their query: the very same list is answered while the evaluation holds. */
  readonly pages: Map<string, readonly FleetPageItem[]>;
  /** The last sorted listings asked for, by their filters and order (`sort=`): sorted once per evaluation. */
  readonly sorted: Map<string, readonly SortedIndex[]>;
}

/** A pool of the evaluation (`rows[index]`) with its place in a sorted listing. */
export interface SortedIndex extends SortPosition {
  readonly index: number;
}

export type FleetPageItem = PoolView & { readonly key: string };

/** How many pages an evaluation keeps (a page of 1,000 pools is about 1 MB of views). */
const KEPT_PAGES = 16;

export interface FleetEvaluationInput {
  readonly snapshotId: number;
  readonly inputs: string;
  readonly at: Date;
  readonly rows: readonly PoolState[];
  readonly driftOf: (row: PoolState) => Drift;
  readonly observations: ReadonlyMap<string, SubscriptionObservation>;
  /** Moments after `at` (epoch ms) at which what the drifts were computed from changes; null: never. */
  readonly inputsChangeAt: readonly (number | null)[];
}

/** Evaluates every pool at `at` and bounds how long the result holds. */
export function evaluateFleet(input: FleetEvaluationInput): FleetEvaluation {
  const from = input.at.getTime();
  let until = Infinity;
  for (const moment of input.inputsChangeAt) if (moment !== null) until = Math.min(until, moment);
  const drifts = input.rows.map((row) => {
    const drift = input.driftOf(row);
    const next = driftChangesAfter(drift, from);
    if (next !== null && next < until) until = next;
    return drift;
  });
  return {
    snapshotId: input.snapshotId,
    inputs: input.inputs,
    from,
    until,
    rows: input.rows,
    drifts,
    observations: input.observations,
    findingIds: new Map(),
    counts: new Map(),
    pages: new Map(),
    sorted: new Map(),
  };
}

/** Whether `evaluation` answers exactly as a fresh one would at `at`, given the current fingerprint `inputs`. */
export function answersFor(evaluation: FleetEvaluation, inputs: string, at: Date): boolean {
  const t = at.getTime();
  return evaluation.inputs === inputs && evaluation.from <= t && t < evaluation.until;
}

/** Status counts of the pools in `scope` (named `scopeKey`), counted once per evaluation. */
export function countsOf(evaluation: FleetEvaluation, scopeKey: string, scope: Selector | null): FleetCounts {
  const known = evaluation.counts.get(scopeKey);
  if (known) return known;
  const overall = emptyCounts();
  const bySubscription = new Map<string, StatusCounts>();
  evaluation.rows.forEach((row, index) => {
    if (scope !== null && !selectorMatches(scope, identityOf(row.pool, row.cluster.tags))) return;
    const { status } = evaluation.drifts[index]!;
    overall[status]++;
    const id = row.pool.subscriptionId.toLowerCase();
    let counts = bySubscription.get(id);
    if (counts === undefined) bySubscription.set(id, (counts = emptyCounts()));
    counts[status]++;
  });
  const counted = { overall, bySubscription };
  evaluation.counts.set(scopeKey, counted);
  return counted;
}

export interface FleetPageQuery {
  readonly subscriptionId?: string;
  readonly clusterId?: string;
  readonly status?: PoolStatus;
  readonly afterKey?: string;
  readonly limit: number;
}

/**
 * The indexes of the first `limit` pools after `afterKey` that pass the filters, in key order. Only the pools passed
 * over are looked at, and nothing is copied: a page costs its own pools, not the fleet's.
 */
export function pageOf(evaluation: FleetEvaluation, query: FleetPageQuery, scope: Selector | null): number[] {
  const { rows, drifts } = evaluation;
  const subscription = query.subscriptionId?.toLowerCase();
  const clusterPrefix = query.clusterId === undefined ? undefined : `${query.clusterId.toLowerCase()}/agentpools/`;
  let start = query.afterKey === undefined ? 0 : firstAfter(rows, (key) => key <= query.afterKey!);
  // A cluster's pools are contiguous in key order: start at the first, stop after the last.
  if (clusterPrefix !== undefined) start = Math.max(start, firstAfter(rows, (key) => key < clusterPrefix));
  const page: number[] = [];
  for (let index = start; index < rows.length && page.length < query.limit; index++) {
    const row = rows[index]!;
    if (clusterPrefix !== undefined && !row.key.startsWith(clusterPrefix)) break;
    if (query.status !== undefined && drifts[index]!.status !== query.status) continue;
    if (subscription !== undefined && row.pool.subscriptionId.toLowerCase() !== subscription) continue;
    if (scope !== null && !selectorMatches(scope, identityOf(row.pool, row.cluster.tags))) continue;
    page.push(index);
  }
  return page;
}

/** The first index whose key does not satisfy `before` (rows sorted by key, `before` true for a prefix of them). */
function firstAfter(rows: readonly PoolState[], before: (key: string) => boolean): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (before(rows[middle]!.key)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Sort fields read from the pool as observed; the others are its drift's. */
type ObservedSortField = 'clusterName' | 'poolName' | 'nodeImageVersion' | 'nodeCount';
const OBSERVED_SORT_FIELDS: ReadonlySet<PoolSortField> = new Set<ObservedSortField>(['clusterName', 'poolName', 'nodeImageVersion', 'nodeCount']);

/**
 * Every pool passing the filters, in `sort`'s order (pool-order.ts), sorted once per evaluation and query and kept
 * like the pages; a sorted page is then a binary search and a slice.
 */
export function sortedIndexes(evaluation: FleetEvaluation, query: Omit<FleetPageQuery, 'afterKey' | 'limit'> & { readonly scope?: string }, sort: PoolSort, scope: Selector | null): readonly SortedIndex[] {
  const key = JSON.stringify([query.subscriptionId, query.clusterId, query.status, query.scope, formatPoolSort(sort)]);
  const known = evaluation.sorted.get(key);
  if (known) return known;
  const { field } = sort;
  const fromObservation = OBSERVED_SORT_FIELDS.has(field);
  const sorted = sortByPosition(
    sort,
    pageOf(evaluation, { ...query, limit: Infinity }, scope).map((index) => {
      const raw = fromObservation ? evaluation.rows[index]!.pool[field as ObservedSortField] : evaluation.drifts[index]![field as Exclude<PoolSortField, ObservedSortField>];
      return { index, key: evaluation.rows[index]!.key, value: sortValueOf(field, raw as PoolView[PoolSortField]) };
    }),
  );
  if (evaluation.sorted.size >= KEPT_PAGES) evaluation.sorted.delete(evaluation.sorted.keys().next().value!);
  evaluation.sorted.set(key, sorted);
  return sorted;
}

/** The page `query` asked for before, else `build()`'s, kept (the oldest kept page makes room). */
export function keptPage(evaluation: FleetEvaluation, query: FleetPageQuery & { readonly scope?: string }, build: () => FleetPageItem[]): readonly FleetPageItem[] {
  const key = JSON.stringify([query.subscriptionId, query.clusterId, query.status, query.scope, query.afterKey, query.limit]);
  const known = evaluation.pages.get(key);
  if (known) return known;
  const page = Object.freeze(build());
  if (evaluation.pages.size >= KEPT_PAGES) evaluation.pages.delete(evaluation.pages.keys().next().value!);
  evaluation.pages.set(key, page);
  return page;
}

export function emptyCounts(): StatusCounts {
  return { current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 };
}
