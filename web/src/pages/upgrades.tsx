import { useCallback, useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { utc } from '../format.js';
import type { PageProps } from '../page.js';
import { BASE, navigate, onLinkClick } from '../router.js';
import type { Page } from '../types.js';
import { clusterNameOf, failureText, RunStatusBadge, TERMINAL, type Cluster, type Run } from './upgrades-common.js';
import { UpgradeDetail } from './upgrades-detail.js';
import { StartUpgrade } from './upgrades-start.js';

/** /ui/upgrades: the recorded runs, and (operators, admins) starting one; /ui/upgrades/<run id>: one run. */
export function UpgradesPage({ role, actor, headingRef, subpath }: PageProps) {
  if (subpath === 'new') return <NewUpgrade role={role} headingRef={headingRef} />;
  if (subpath !== '') return <UpgradeDetail key={subpath} id={decodeURIComponent(subpath)} role={role} actor={actor} headingRef={headingRef} />;
  return <UpgradeList role={role} headingRef={headingRef} />;
}

function UpgradeList({ role, headingRef }: Pick<PageProps, 'role' | 'headingRef'>) {
  const [runs, setRuns] = useState<readonly Run[] | null>(null);
  const [more, setMore] = useState(false);
  const [clusters, setClusters] = useState<readonly Cluster[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [page, clusterPage] = await Promise.all([get<Page<Run>>('/api/v1/upgrades?limit=100'), get<Page<Cluster>>('/api/v1/clusters?limit=1000')]);
      setRuns(page.items);
      setMore(page.nextCursor !== null);
      setClusters([...clusterPage.items].sort((a, b) => a.name.localeCompare(b.name)));
      setError(null);
    } catch (failure) {
      setError(failureText(failure));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const names = new Map(clusters.map((cluster) => [cluster.id.toLowerCase(), cluster.name]));
  const mayStart = role === 'operator' || role === 'admin';

  return (
    <>
      <div class="page-head">
        <h1 ref={headingRef} tabIndex={-1}>
          Upgrades
        </h1>
        {mayStart ? (
          <a class="upg-button-link" href={`${BASE}upgrades/new`} onClick={(event) => onLinkClick(event, 'upgrades/new')}>
            Start an upgrade
          </a>
        ) : null}
      </div>
      <p class="hint">Recorded node-image-only upgrades: every pre-check, approval, step and result is kept in the evidence ledger.</p>
      {error !== null ? (
        <p class="error" role="alert">
          Could not load the upgrades: {error}
        </p>
      ) : null}
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        {runs === null && error === null ? <p aria-busy="true">Loading the upgrade runs…</p> : null}
        {runs !== null && runs.length === 0 ? <p data-testid="runs-empty">No upgrade has been requested yet.</p> : null}
        {runs !== null && runs.length > 0 ? (
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
                {runs.map((run) => (
                  <tr key={run.id}>
                    <th scope="row">
                      <a href={`${BASE}upgrades/${run.id}`} onClick={(event) => onLinkClick(event, `upgrades/${run.id}`)} aria-label={`Run of ${utc(run.createdAt)} on ${names.get(run.clusterId.toLowerCase()) ?? clusterNameOf(run.clusterId)}`}>
                        {utc(run.createdAt)}
                      </a>
                    </th>
                    <td>
                      <RunStatusBadge status={run.status} />
                    </td>
                    <td>{names.get(run.clusterId.toLowerCase()) ?? clusterNameOf(run.clusterId)}</td>
                    <td>{run.pools.map((pool) => pool.poolName).join(', ')}</td>
                    <td class="mono">{run.requestedBy}</td>
                    <td>{outcome(run)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {more ? <p class="hint">The 100 newest runs are shown.</p> : null}
      </section>
    </>
  );
}

function outcome(run: Run): string {
  if (!TERMINAL.has(run.status)) return run.status === 'pending_approval' ? 'waiting for approval' : 'in progress';
  const upgraded = run.pools.filter((pool) => pool.status === 'succeeded').length;
  const text = `${upgraded} of ${run.pools.length} pools upgraded${run.finishedAt ? `, ${utc(run.finishedAt)}` : ''}`;
  return run.error ? `${text} — ${run.error.message}` : text;
}

/** /ui/upgrades/new: the request form (operators and admins); any other role is told plainly, and offered nothing. */
function NewUpgrade({ role, headingRef }: Pick<PageProps, 'role' | 'headingRef'>) {
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
      <h1 ref={headingRef} tabIndex={-1}>
        Start a node-image upgrade
      </h1>
      {!mayStart ? (
        <p class="error" role="alert">
          Not allowed for your role: starting an upgrade needs the operator or admin role, and you are signed in as {role}.
        </p>
      ) : error !== null ? (
        <p class="error" role="alert">
          Could not load the clusters: {error}
        </p>
      ) : clusters === null ? (
        <p aria-busy="true">Loading the clusters…</p>
      ) : (
        <StartUpgrade role={role} clusters={clusters} onCancel={() => navigate('upgrades')} />
      )}
    </>
  );
}
