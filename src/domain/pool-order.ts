import type { PoolStatus } from './drift.js';
import type { PoolView } from './pool-view.js';

/** The pool fields `GET /api/v1/pools?sort=` orders by (a leading `-`: descending). */
export const POOL_SORT_FIELDS = ['clusterName', 'poolName', 'status', 'nodeImageVersion', 'imageAgeDays', 'daysBehindLatest', 'releasesBehind', 'exposureDays', 'slaDays', 'nodeCount'] as const;
export type PoolSortField = (typeof POOL_SORT_FIELDS)[number];
/** `imageAgeDays` or `-imageAgeDays`: what the `sort` parameter and the cursor carry. */
export const POOL_SORT_PATTERN = `^-?(${POOL_SORT_FIELDS.join('|')})$`;

export interface PoolSort {
  readonly field: PoolSortField;
  readonly descending: boolean;
}

export type SortValue = string | number | null;

/** A position in a sorted listing: the last pool served, by its sort value and key. */
export interface SortPosition {
  readonly value: SortValue;
  readonly key: string;
}

/** Statuses from the worst: descending puts `non_compliant` first, as an auditor reads them. */
const STATUS_RANK: Record<PoolStatus, number> = { current: 0, within_policy: 1, excepted: 2, unknown: 3, non_compliant: 4 };

export function parsePoolSort(value: string): PoolSort {
  const descending = value.startsWith('-');
  return { field: (descending ? value.slice(1) : value) as PoolSortField, descending };
}

export const formatPoolSort = (sort: PoolSort): string => `${sort.descending ? '-' : ''}${sort.field}`;

/** The value a pool is ordered by, from its field's value: names compare case-insensitively, statuses by rank. */
export function sortValueOf(field: PoolSortField, value: PoolView[PoolSortField]): SortValue {
  if (field === 'status') return STATUS_RANK[value as PoolStatus];
  return typeof value === 'string' ? value.toLowerCase() : (value ?? null);
}

/**
 * The listing's order: by value (descending when asked), pools without a value (an unknown image's age) last either
 * way, ties by key ascending, so that every pool has one place and a page's cursor says where the next one starts.
 */
export function comparePositions(sort: PoolSort, a: SortPosition, b: SortPosition): number {
  if (a.value !== b.value) {
    if (a.value === null) return 1;
    if (b.value === null) return -1;
    const order = a.value < b.value ? -1 : 1;
    return sort.descending ? -order : order;
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Sorts in place and returns the array. */
export function sortByPosition<T extends SortPosition>(sort: PoolSort, items: T[]): T[] {
  return items.sort((a, b) => comparePositions(sort, a, b));
}

/** The index of the first item after `position` in `sorted` (sorted by `sort`), by binary search. */
export function firstAfterPosition(sort: PoolSort, sorted: readonly SortPosition[], position: SortPosition): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (comparePositions(sort, sorted[middle]!, position) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
