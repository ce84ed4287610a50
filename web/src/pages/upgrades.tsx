import type { Ref } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, utc } from '../format.js';
import { Alert, PageHeading } from '../page-parts.js';
import type { PageProps } from '../page.js';
import { BASE, navigate, onLinkClick, useSearch } from '../router.js';
import type { Page } from '../types.js';
import { clusterNameOf, failureText, RUN_STATUS_LABEL, RUN_STATUSES, RunStatusBadge, TERMINAL, type Cluster, type Run, type RunStatus } from './upgrades-common.js';
import { UpgradeDetail } from './upgrades-detail.js';
import { StartUpgrade } from './upgrades-start.js';

/** /ui/upgrades: the recorded runs, and (operators, admins) starting one; /ui/upgrades/<run id>: one run. */
export function UpgradesPage({ role, actor, headingRef, subpath }: PageProps) {
  if (subpath === 'new') return <NewUpgrade role={role} headingRef={headingRef} />;
  if (subpath !== '') return <UpgradeDetail key={subpath} id={decodeURIComponent(subpath)} role={role} actor={actor} headingRef={headingRef} />;
  return <UpgradeList role={role} headingRef={headingRef} />;
}

/* The list's state lives in the address: `status` (a run status) and `limit` (runs per page, 1–1000, default 100). */

const DEFAULT_LIMIT = 100;

interface ListQuery {
  readonly status: RunStatus | null;
  readonly limit: number;
}

function readListQuery(search: string): ListQuery {
  const params = new URLSearchParams(search);
  const status = params.get('status');
  const limit = Number(params.get('limit'));
  return {
    status: status !== null && (RUN_STATUSES as readonly string[]).includes(status) ? (status as RunStatus) : null,
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : DEFAULT_LIMIT,
  };
}

function writeListQuery(query: ListQuery): string {
  const params = new URLSearchParams();
  if (query.status !== null) params.set('status', query.status);
  if (query.limit !== DEFAULT_LIMIT) params.set('limit', String(query.limit));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function runsPath(query: ListQuery, cursor: string | null): string {
  const params = new URLSearchParams();
  if (query.status !== null) params.set('status', query.status);
  params.set('limit', String(query.limit));
  if (cursor !== null) params.set('cursor', cursor);
  return `/api/v1/upgrades?${params.toString()}`;
}


interface Loaded {
  readonly key: string;
  readonly runs: readonly Run[];
  readonly nextCursor: string | null;
}

function UpgradeList({ role, headingRef }: { role: PageProps['role']; headingRef: Ref<HTMLHeadingElement> }) {
  const [search, go] = useSearch('upgrades');
  const query = useMemo(() => readListQuery(search), [search]);
  const loadKey = runsPath(query, null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [clusters, setClusters] = useState<readonly Cluster[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    let live = true;
    get<Page<Cluster>>('/api/v1/clusters?limit=1000')
      .then((page) => live && setClusters([...page.items].sort((a, b) => a.name.localeCompare(b.name))))
      .catch((failure) => live && setError(failureText(failure)));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    let live = true;
    setError(null);
    get<Page<Run>>(loadKey)
      .then((page) => live && setLoaded({ key: loadKey, runs: page.items, nextCursor: page.nextCursor }))
      .catch((failure) => live && setError(failureText(failure)));
    return () => {
      live = false;
    };
  }, [loadKey]);

  const current = loaded !== null && loaded.key === loadKey ? loaded : null;

  const more = async () => {
    if (!current?.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await get<Page<Run>>(runsPath(query, current.nextCursor));
      // A run created meanwhile is on the first page, not here: keyed by id, nothing shows twice.
      const seen = new Set(current.runs.map((run) => run.id));
      setLoaded({ key: current.key, runs: [...current.runs, ...page.items.filter((run) => !seen.has(run.id))], nextCursor: page.nextCursor });
    } catch (failure) {
      setError(failureText(failure));
    } finally {
      setLoadingMore(false);
    }
  };

  const names = new Map(clusters.map((cluster) => [cluster.id.toLowerCase(), cluster.name]));
  const nameOf = (run: Run) => names.get(run.clusterId.toLowerCase()) ?? clusterNameOf(run.clusterId);
  const mayStart = role === 'operator' || role === 'admin';
  const filtered = query.status !== null;

  return (
    <>
      <PageHeading title="Upgrades" headingRef={headingRef}>
        {mayStart ? (
          <a class="upg-button-link" href={`${BASE}upgrades/new`} onClick={(event) => onLinkClick(event, 'upgrades/new')}>
            Start an upgrade
          </a>
        ) : null}
      </PageHeading>
      <p class="hint">Recorded node-image-only upgrades: every pre-check, approval, step and result is kept in the evidence ledger.</p>
      <StatusFilter status={query.status} onApply={(status) => go(writeListQuery({ ...query, status }))} />
      <Alert>{error !== null ? `Could not load the upgrades: ${error}` : null}</Alert>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Runs{filtered ? `: ${RUN_STATUS_LABEL[query.status!].toLowerCase()}` : ''}</h2>
        <p role="status" class="upg-runs-count" data-testid="runs-count">
          {current === null
            ? error === null
              ? 'Loading the upgrade runs…'
              : ''
            : current.runs.length === 0
              ? ''
              : `${count(current.runs.length)} ${current.runs.length === 1 ? 'run' : 'runs'} shown, newest first${current.nextCursor ? '; older runs are available' : ''}.`}
        </p>
        {current !== null && current.runs.length === 0 ? (
          <p data-testid="runs-empty">{filtered ? `No run is ${RUN_STATUS_LABEL[query.status!].toLowerCase()}.` : 'No upgrade has been requested yet.'}</p>
        ) : null}
        {current !== null && current.runs.length > 0 ? (
          <div class="table-scroll" role="region" aria-labelledby="runs-title" tabIndex={0}>
            <table data-testid="runs">
              <thead>
                <tr>
                  <th scope="col">Requested</th>
                  <th scope="col">Status</th>
                  <th scope="col">Cluster</th>
                  <th scope="col">Pools</th>
                  <th scope="col">Requested by</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {current.runs.map((run) => (
                  <tr key={run.id}>
                    <th scope="row">
                      <a href={`${BASE}upgrades/${run.id}`} onClick={(event) => onLinkClick(event, `upgrades/${run.id}`)} aria-label={`Run of ${utc(run.createdAt)} on ${nameOf(run)}`}>
                        {utc(run.createdAt)}
                      </a>
                    </th>
                    <td>
                      <RunStatusBadge status={run.status} />
                    </td>
                    <td>{nameOf(run)}</td>
                    <td>{run.pools.map((pool) => pool.poolName).join(', ')}</td>
                    <td class="mono">{run.requestedBy}</td>
                    <td>{outcome(run)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {current?.nextCursor ? (
          <p>
            <button type="button" disabled={loadingMore} onClick={() => void more()}>
              {loadingMore ? 'Loading…' : `Show more runs (next ${count(query.limit)})`}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

/** The status filter: applied on submit (the address changes, so back returns to the previous filter). */
function StatusFilter({ status, onApply }: { status: RunStatus | null; onApply: (status: RunStatus | null) => void }) {
  const [draft, setDraft] = useState<string>(status ?? '');
  // Back, forward or a shared link: the form shows the address's filter.
  useEffect(() => setDraft(status ?? ''), [status]);
  return (
    <form
      class="upg-filter"
      aria-label="Filter runs"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(draft === '' ? null : (draft as RunStatus));
      }}
    >
      <label for="runs-status">Status</label>
      <select id="runs-status" name="status" value={draft} onChange={(event) => setDraft((event.target as HTMLSelectElement).value)}>
        <option value="">All statuses</option>
        {RUN_STATUSES.map((value) => (
          <option key={value} value={value}>
            {RUN_STATUS_LABEL[value]}
          </option>
        ))}
      </select>
      <button type="submit">Apply filter</button>
      {status !== null ? (
        <button type="button" class="secondary" onClick={() => onApply(null)}>
          Clear
        </button>
      ) : null}
    </form>
  );
}

function outcome(run: Run): string {
  if (!TERMINAL.has(run.status)) return run.status === 'pending_approval' ? 'waiting for approval' : 'in progress';
  const upgraded = run.pools.filter((pool) => pool.status === 'succeeded').length;
  const text = `${upgraded} of ${run.pools.length} pools upgraded${run.finishedAt ? `, ${utc(run.finishedAt)}` : ''}`;
  return run.error ? `${text} — ${run.error.message}` : text;
}

/** /ui/upgrades/new: the request form (operators and admins); any other role is told plainly, and offered nothing. */
function NewUpgrade({ role, headingRef }: { role: PageProps['role']; headingRef: Ref<HTMLHeadingElement> }) {
  const [clusters, setClusters] = useState<readonly Cluster[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mayStart = role === 'operator' || role === 'admin';
  useEffect(() => {
    if (!mayStart) return;
    get<Page<Cluster>>('/api/v1/clusters?limit=1000')
      .then((page) => setClusters([...page.items].sort((a, b) => a.name.localeCompare(b.name))))
      .catch((failure) => setError(failureText(failure)));
  }, [mayStart]);
  return (
    <>
      <p class="upg-breadcrumb">
        <a href={`${BASE}upgrades`} onClick={(event) => onLinkClick(event, 'upgrades')}>
          Upgrades
        </a>{' '}
        / new
      </p>
      <PageHeading title="Start a node-image upgrade" headingRef={headingRef} />
      {!mayStart ? (
        <Alert>Not allowed for your role: starting an upgrade needs the operator or admin role, and you are signed in as {role}.</Alert>
      ) : error !== null ? (
        <Alert>Could not load the clusters: {error}</Alert>
      ) : clusters === null ? (
        <p aria-busy="true">Loading the clusters…</p>
      ) : (
        <StartUpgrade role={role} clusters={clusters} onCancel={() => navigate('upgrades')} />
      )}
    </>
  );
}
