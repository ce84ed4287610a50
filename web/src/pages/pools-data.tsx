/** The pools pages' data: the whole pool record of CONTRACT.md, the pool id, the list's URL state, sorting and CSV. */
import { STATUS_HELP, STATUS_LABEL } from '../format.js';
import { BASE } from '../router.js';
import type { Pool, PoolStatus } from '../types.js';

/** Every pool field of CONTRACT.md (GET /api/v1/pools), in the contract's order. */
export interface PoolRecord extends Pool {
  readonly resourceGroup: string;
  readonly location: string;
  readonly mode: string | null;
  readonly osType: string | null;
  readonly osSku: string | null;
  readonly nodeCount: number | null;
  readonly kubernetesVersion: string | null;
  readonly nodeOSUpgradeChannel: string | null;
  readonly imageFamily: string | null;
  readonly imageReleaseDate: string | null;
  readonly latestReleaseDate: string | null;
  readonly releasesBehind: number | null;
  readonly supersededAt: string | null;
  readonly supersededAtSource: 'observed' | 'own_release' | 'regional_availability' | null;
  readonly firstSeenBehindAt: string | null;
  readonly policyRule: string;
  readonly exceptionId: string | null;
  readonly findingId: string | null;
  readonly observedAt: string | null;
}

/** CSV columns: every CONTRACT.md pool field in its order (the same as the server's report CSV, render-csv.ts). */
export const POOL_FIELDS: readonly (keyof PoolRecord)[] = [
  'clusterId', 'clusterName', 'subscriptionId', 'resourceGroup', 'location', 'poolName', 'mode', 'osType', 'osSku', 'nodeCount',
  'nodeImageVersion', 'latestNodeImageVersion', 'kubernetesVersion', 'nodeOSUpgradeChannel', 'imageFamily', 'imageReleaseDate',
  'imageAgeDays', 'latestReleaseDate', 'daysBehindLatest', 'releasesBehind', 'supersededAt', 'supersededAtSource', 'exposureDays',
  'firstSeenBehindAt', 'status', 'policyRule', 'slaDays', 'exceptionId', 'findingId', 'observedAt',
];

/** A pool's id as the API names pools: its cluster's ARM id, `/agentPools/`, its name (ARM's own agent pool id). */
export function poolId(clusterId: string, poolName: string): string {
  return `${clusterId}/agentPools/${poolName}`;
}

/** The dashboard's address of a pool's detail page (the id is one encoded path segment). */
export function poolLink(clusterId: string, poolName: string): string {
  return `${BASE}pools/${encodeURIComponent(poolId(clusterId, poolName))}`;
}

/** The page path (below /ui/) of a pool's detail, for router.navigate / onLinkClick. */
export function poolPage(clusterId: string, poolName: string): string {
  return `pools/${encodeURIComponent(poolId(clusterId, poolName))}`;
}

/** Splits a pool id back into cluster id and pool name; null when it is not one. */
export function parsePoolId(id: string): { clusterId: string; poolName: string } | null {
  const match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+)\/agentPools\/([^/]+)$/i.exec(id);
  return match ? { clusterId: match[1]!, poolName: match[2]! } : null;
}

export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  return a != null && b != null && a.toLowerCase() === b.toLowerCase();
}

/* The list's state, all of it in the address's query string. */

export const FILTERS = ['status', 'subscriptionId', 'clusterId', 'scope', 'asOf'] as const;
export type Filter = (typeof FILTERS)[number];
export type SortKey = 'clusterName' | 'poolName' | 'status' | 'nodeImageVersion' | 'imageAgeDays' | 'daysBehindLatest' | 'exposureDays' | 'slaDays' | 'nodeCount';

export interface ListQuery {
  readonly filters: Partial<Record<Filter, string>>;
  readonly limit: number;
  readonly sort: SortKey | null;
  readonly dir: 'ascending' | 'descending';
}

export const DEFAULT_LIMIT = 100;
const SORT_KEYS: readonly SortKey[] = ['clusterName', 'poolName', 'status', 'nodeImageVersion', 'imageAgeDays', 'daysBehindLatest', 'exposureDays', 'slaDays', 'nodeCount'];

export function readQuery(search: string): ListQuery {
  const params = new URLSearchParams(search);
  const filters: Partial<Record<Filter, string>> = {};
  for (const name of FILTERS) {
    const value = params.get(name)?.trim();
    if (value) filters[name] = value;
  }
  const limit = Number(params.get('limit'));
  const sort = params.get('sort') as SortKey | null;
  return {
    filters,
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : DEFAULT_LIMIT,
    sort: sort !== null && SORT_KEYS.includes(sort) ? sort : null,
    dir: params.get('dir') === 'descending' ? 'descending' : 'ascending',
  };
}

export function writeQuery(query: ListQuery): string {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (query.filters[name]) params.set(name, query.filters[name]!);
  if (query.limit !== DEFAULT_LIMIT) params.set('limit', String(query.limit));
  if (query.sort) {
    params.set('sort', query.sort);
    params.set('dir', query.dir);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The API query of a page of the list (filters and limit; the cursor for the pages after the first). */
/** The API's address for the list (its `sort`: the server orders the whole filter, `-` descending). */
export function apiPath(query: ListQuery, limit: number, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (query.filters[name]) params.set(name, query.filters[name]!);
  if (query.sort !== null) params.set('sort', `${query.dir === 'descending' ? '-' : ''}${query.sort}`);
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return `/api/v1/pools?${params.toString()}`;
}

/* CSV as the server writes it (src/reports/render-csv.ts): RFC 4180, CRLF, formula-looking cells neutralised. */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return (
    cells
      .map((raw) => {
        let cell = raw === null || raw === undefined ? '' : String(raw);
        if (FORMULA_START.test(cell)) cell = `'${cell}`;
        return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
      })
      .join(',') + '\r\n'
  );
}

export function poolsCsv(pools: readonly PoolRecord[]): string {
  return csvLine(POOL_FIELDS) + pools.map((pool) => csvLine(POOL_FIELDS.map((field) => pool[field] as string | number | null))).join('');
}

export function StatusText({ status }: { status: PoolStatus }) {
  return (
    <span class={`status-tag status-${status}`} title={STATUS_HELP[status]}>
      {STATUS_LABEL[status]}
    </span>
  );
}

export { failureText } from '../api.js';

