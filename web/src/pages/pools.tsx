import type { Ref } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, days, STATUS_LABEL } from '../format.js';
import type { PageProps } from '../page.js';
import { BASE, onLinkClick, useSearch } from '../router.js';
import { STATUSES, type Page } from '../types.js';
import { Alert, PageHeading } from '../page-parts.js';
import {
  apiPath,
  failureText,
  StatusText,
  FILTERS,
  poolsCsv,
  poolPage,
  readQuery,
  writeQuery,
  type Filter,
  type ListQuery,
  type PoolRecord,
  type SortKey,
} from './pools-data.js';
import { PoolDetail } from './pools-detail.js';

export { poolId, poolLink, poolPage } from './pools-data.js';

/** /ui/pools (the list) and /ui/pools/<encoded pool id> (one pool). */
export function PoolsPage({ headingRef, subpath }: PageProps) {
  if (subpath !== '') {
    let id: string;
    try {
      id = decodeURIComponent(subpath);
    } catch {
      id = subpath;
    }
    return <PoolDetail id={id} headingRef={headingRef} />;
  }
  return <PoolList headingRef={headingRef} />;
}


const COLUMNS: readonly { key: SortKey; label: string; num?: boolean }[] = [
  { key: 'clusterName', label: 'Cluster' },
  { key: 'poolName', label: 'Pool' },
  { key: 'status', label: 'Status' },
  { key: 'nodeImageVersion', label: 'Node image' },
  { key: 'imageAgeDays', label: 'Image age', num: true },
  { key: 'daysBehindLatest', label: 'Behind latest', num: true },
  { key: 'exposureDays', label: 'Exposure', num: true },
  { key: 'slaDays', label: 'SLA', num: true },
  { key: 'nodeCount', label: 'Nodes', num: true },
];

const FILTER_LABEL: Record<Filter, string> = {
  status: 'Status',
  subscriptionId: 'Subscription ID',
  clusterId: 'Cluster ARM ID',
  scope: 'Report scope',
  asOf: 'As of (UTC)',
};

/** How many pools the CSV reads per request (the API's maximum page). */
const CSV_PAGE = 1000;

interface Loaded {
  readonly key: string;
  readonly rows: readonly PoolRecord[];
  readonly nextCursor: string | null;
}

function PoolList({ headingRef }: { headingRef: Ref<HTMLHeadingElement> }) {
  const [search, go] = useSearch('pools');
  const query = useMemo(() => readQuery(search), [search]);
  const loadKey = apiPath(query, query.limit, null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [csvState, setCsvState] = useState<string>('');
  const [csvBusy, setCsvBusy] = useState(false);

  useEffect(() => {
    let live = true;
    setError(null);
    get<Page<PoolRecord>>(loadKey)
      .then((page) => live && setLoaded({ key: loadKey, rows: page.items, nextCursor: page.nextCursor }))
      .catch((failure) => live && setError(failureText(failure)));
    return () => {
      live = false;
    };
  }, [loadKey]);

  const current = loaded !== null && loaded.key === loadKey ? loaded : null;
  const rows = current?.rows ?? [];

  const more = async () => {
    if (!current?.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await get<Page<PoolRecord>>(apiPath(query, query.limit, current.nextCursor));
      setLoaded({ key: current.key, rows: [...current.rows, ...page.items], nextCursor: page.nextCursor });
    } catch (failure) {
      setError(failureText(failure));
    } finally {
      setLoadingMore(false);
    }
  };

  const sortBy = (key: SortKey) => {
    const dir: ListQuery['dir'] = query.sort === key && query.dir === 'ascending' ? 'descending' : 'ascending';
    go(writeQuery({ ...query, sort: key, dir }), true);
  };

  const download = async () => {
    setCsvBusy(true);
    setCsvState('Preparing the CSV…');
    try {
      const all: PoolRecord[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<PoolRecord> = await get<Page<PoolRecord>>(apiPath(query, CSV_PAGE, cursor));
        all.push(...page.items);
        cursor = page.nextCursor;
        setCsvState(`Preparing the CSV… ${count(all.length)} pools read`);
      } while (cursor !== null);
      const url = URL.createObjectURL(new Blob([poolsCsv(all)], { type: 'text/csv;charset=utf-8' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `imagewarden-pools${query.filters.status ? `-${query.filters.status}` : ''}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setCsvState(`CSV of ${count(all.length)} pools downloaded.`);
    } catch (failure) {
      setCsvState(`Could not build the CSV: ${failureText(failure)}`);
    } finally {
      setCsvBusy(false);
    }
  };

  const filtered = FILTERS.some((name) => query.filters[name]);

  return (
    <>
      <PageHeading title="Pools" headingRef={headingRef} />
      <FilterForm query={query} onApply={(filters) => go(writeQuery({ ...query, filters }))} />
      <Alert>{error !== null ? `Could not load the pools: ${error}` : null}</Alert>
      <div class="pools-bar">
        <p role="status" data-testid="pools-count">
          {current === null
            ? error === null
              ? 'Loading pools…'
              : ''
            : `${count(current.rows.length)} ${current.rows.length === 1 ? 'pool' : 'pools'} loaded${current.nextCursor ? ', more available' : ''}${filtered ? ' (filtered)' : ''}.`}
        </p>
        <button type="button" class="secondary" disabled={csvBusy} onClick={() => void download()}>
          Download CSV
        </button>
        <p class="status-message" role="status" data-testid="csv-state">
          {csvState}
        </p>
      </div>
      {current !== null ? (
        <section aria-labelledby="pools-table-title">
          <h2 id="pools-table-title">Node pools</h2>
          <p class="hint" id="pools-sort-note" data-testid="pools-sort-note">
            {query.sort
              ? `Sorted by ${COLUMNS.find((column) => column.key === query.sort)?.label.toLowerCase()}, ${query.dir}, across every pool of the filter (pools without a value last; the CSV in the same order).`
              : 'By cluster and pool. Select a column heading to sort every pool of the filter by it.'}
          </p>
          <div class="table-scroll" role="region" aria-labelledby="pools-caption" tabIndex={0}>
            <table data-testid="pools" aria-describedby="pools-sort-note">
              <caption class="pool-caption" id="pools-caption">
                Node pools{filtered ? ' matching the filter' : ''}
              </caption>
              <thead>
                <tr>
                  {COLUMNS.map((column) => (
                    <th key={column.key} scope="col" class={column.num ? 'num' : undefined} aria-sort={query.sort === column.key ? query.dir : undefined}>
                      <button type="button" class="sort" onClick={() => sortBy(column.key)}>
                        {column.label}
                        <span aria-hidden="true" class="sort-mark">
                          {query.sort === column.key ? (query.dir === 'ascending' ? ' ▲' : ' ▼') : ' ↕'}
                        </span>
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((pool) => (
                  <tr key={`${pool.clusterId}/${pool.poolName}`}>
                    <td>{pool.clusterName}</td>
                    <th scope="row">
                      <a href={`${BASE}${poolPage(pool.clusterId, pool.poolName)}`} onClick={(event) => onLinkClick(event, poolPage(pool.clusterId, pool.poolName))}>
                        {pool.poolName}
                      </a>
                    </th>
                    <td>
                      <StatusText status={pool.status} />
                    </td>
                    <td class="mono">{pool.nodeImageVersion ?? '—'}</td>
                    <td class="num">{days(pool.imageAgeDays)}</td>
                    <td class="num">{days(pool.daysBehindLatest)}</td>
                    <td class="num">{days(pool.exposureDays)}</td>
                    <td class="num">{days(pool.slaDays)}</td>
                    <td class="num">{pool.nodeCount === null ? '—' : count(pool.nodeCount)}</td>
                  </tr>
                ))}
                {rows.length === 0 ? (
                  <tr>
                    <td colSpan={COLUMNS.length}>No node pool matches{filtered ? ' this filter' : ' yet: pools appear after the first fleet snapshot'}.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
          {current.nextCursor ? (
            <p>
              <button type="button" disabled={loadingMore} onClick={() => void more()}>
                {loadingMore ? 'Loading…' : `Next page (${count(query.limit)} more)`}
              </button>
            </p>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

/** datetime-local (minutes, no zone) ⇄ the API's UTC date-time. */
function toLocalInput(value: string | undefined): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 16);
}

function FilterForm({ query, onApply }: { query: ListQuery; onApply: (filters: ListQuery['filters']) => void }) {
  const initial = () => ({ ...query.filters, asOf: toLocalInput(query.filters.asOf) });
  const [draft, setDraft] = useState<Partial<Record<Filter, string>>>(initial);
  const applied = JSON.stringify(query.filters);
  // Back, forward or a shared link: the form shows the address's filter.
  useEffect(() => setDraft(initial()), [applied]);
  const set = (name: Filter) => (event: Event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });

  const submit = (event: Event) => {
    event.preventDefault();
    const filters: Partial<Record<Filter, string>> = {};
    for (const name of FILTERS) {
      const value = draft[name]?.trim();
      if (value) filters[name] = name === 'asOf' ? `${value.length === 16 ? `${value}:00` : value}Z` : value;
    }
    onApply(filters);
  };

  return (
    <form class="pool-filters" onSubmit={submit} aria-label="Filter pools">
      <div class="field">
        <label for="filter-status">{FILTER_LABEL.status}</label>
        <select id="filter-status" name="status" value={draft.status ?? ''} onChange={set('status')}>
          <option value="">All statuses</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {STATUS_LABEL[status]}
            </option>
          ))}
        </select>
      </div>
      {(['subscriptionId', 'clusterId', 'scope'] as const).map((name) => (
        <div class="field" key={name}>
          <label for={`filter-${name}`}>{FILTER_LABEL[name]}</label>
          <input id={`filter-${name}`} name={name} type="text" autoComplete="off" spellcheck={false} value={draft[name] ?? ''} onInput={set(name)} />
        </div>
      ))}
      <div class="field">
        <label for="filter-asOf">{FILTER_LABEL.asOf}</label>
        <input id="filter-asOf" name="asOf" type="datetime-local" value={draft.asOf ?? ''} onInput={set('asOf')} aria-describedby="filter-asOf-help" />
        <span id="filter-asOf-help" class="hint">
          Empty for now
        </span>
      </div>
      <div class="actions">
        <button type="submit">Apply filter</button>
        <button type="button" class="secondary" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}
