import type { Ref } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, days, utc } from '../format.js';
import { BASE, onLinkClick } from '../router.js';
import type { Page } from '../types.js';
import { failureText, parsePoolId, POOL_FIELDS, sameId, StatusText, type PoolRecord } from './pools-data.js';

interface Finding {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly clusterId: string | null;
  readonly poolName: string | null;
  readonly subscriptionId: string | null;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly timeToRemediateHours: number | null;
  readonly exceptionId: string | null;
}

interface Exception {
  readonly id: string;
  readonly state: string;
  readonly scope: { kind: string; clusterId?: string; poolName?: string; subscriptionId?: string; tag?: string };
  readonly reason: string;
  readonly ticket: string;
  readonly expiresAt: string;
  readonly requestedBy: string;
  readonly approvedBy: string | null;
}

interface Run {
  readonly id: string;
  readonly status: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly pools: readonly { poolName: string; status: string; imageBefore: string | null; imageAfter: string | null; targetImage: string | null }[];
}

/** The pool as the API stood at a few past moments (GET /api/v1/pools?clusterId=…&asOf=…): null where not yet observed. */
interface Sample {
  readonly asOf: string;
  readonly pool: PoolRecord | null;
}

interface Data {
  readonly pool: PoolRecord;
  readonly findings: readonly Finding[];
  readonly findingsPartial: boolean;
  readonly exceptions: readonly Exception[];
  readonly runs: readonly Run[];
  readonly samples: readonly Sample[];
}

/** How far back the history samples look (days before now): one cluster's pools per moment, a handful of requests. */
const SAMPLE_DAYS = [1, 7, 30, 90, 180, 365];
const FINDING_PAGES = 5;

async function poolAt(clusterId: string, poolName: string, asOf?: string): Promise<PoolRecord | null> {
  const params = new URLSearchParams({ clusterId, limit: '1000' });
  if (asOf) params.set('asOf', asOf);
  const page = await get<Page<PoolRecord>>(`/api/v1/pools?${params.toString()}`);
  return page.items.find((pool) => pool.poolName.toLowerCase() === poolName.toLowerCase()) ?? null;
}

async function load(clusterId: string, poolName: string): Promise<Data | null> {
  const pool = await poolAt(clusterId, poolName);
  if (pool === null) return null;
  const now = Date.now();
  const findingsRead = (async () => {
    const mine: Finding[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const params = new URLSearchParams({ subscriptionId: pool.subscriptionId, limit: '1000' });
      if (cursor) params.set('cursor', cursor);
      const page: Page<Finding> = await get<Page<Finding>>(`/api/v1/findings?${params.toString()}`);
      mine.push(...page.items.filter((finding) => sameId(finding.clusterId, pool.clusterId) && sameId(finding.poolName, pool.poolName)));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < FINDING_PAGES);
    return { findings: mine, partial: cursor !== null };
  })();
  const [found, exceptions, runs, samples] = await Promise.all([
    findingsRead,
    get<Page<Exception>>('/api/v1/exceptions'),
    get<Page<Run>>(`/api/v1/upgrades?clusterId=${encodeURIComponent(pool.clusterId)}&limit=100`),
    Promise.all(
      SAMPLE_DAYS.map(async (back) => {
        const asOf = new Date(now - back * 86_400_000).toISOString();
        return { asOf, pool: await poolAt(pool.clusterId, pool.poolName, asOf) };
      }),
    ),
  ]);
  const covering = exceptions.items.filter((exception) => {
    const scope = exception.scope;
    if (exception.id === pool.exceptionId) return true;
    if (scope.kind === 'pool') return sameId(scope.clusterId, pool.clusterId) && sameId(scope.poolName, pool.poolName);
    if (scope.kind === 'cluster') return sameId(scope.clusterId, pool.clusterId);
    if (scope.kind === 'subscription') return sameId(scope.subscriptionId, pool.subscriptionId);
    return false;
  });
  return { pool, findings: found.findings, findingsPartial: found.partial, exceptions: covering, runs: runs.items, samples };
}

const LABEL: Record<keyof PoolRecord, string> = {
  clusterId: 'Cluster ARM ID',
  clusterName: 'Cluster',
  subscriptionId: 'Subscription',
  resourceGroup: 'Resource group',
  location: 'Location',
  poolName: 'Pool',
  mode: 'Mode',
  osType: 'OS type',
  osSku: 'OS SKU',
  nodeCount: 'Nodes',
  nodeImageVersion: 'Node image',
  latestNodeImageVersion: 'Latest node image',
  kubernetesVersion: 'Kubernetes version',
  nodeOSUpgradeChannel: 'Node OS upgrade channel',
  imageFamily: 'Image family',
  imageReleaseDate: 'Image released',
  imageAgeDays: 'Image age',
  latestReleaseDate: 'Latest image released',
  daysBehindLatest: 'Behind latest',
  releasesBehind: 'Releases behind',
  supersededAt: 'Superseded at',
  supersededAtSource: 'Superseded-at source',
  exposureDays: 'Exposure',
  firstSeenBehindAt: 'First seen behind',
  status: 'Status',
  policyRule: 'Policy rule',
  slaDays: 'Patch SLA',
  exceptionId: 'Exception in force',
  findingId: 'Open finding',
  observedAt: 'Last observed',
};

const DAY_FIELDS = new Set<keyof PoolRecord>(['imageAgeDays', 'daysBehindLatest', 'exposureDays', 'slaDays']);
const TIME_FIELDS = new Set<keyof PoolRecord>(['imageReleaseDate', 'latestReleaseDate', 'supersededAt', 'firstSeenBehindAt', 'observedAt']);
const MONO_FIELDS = new Set<keyof PoolRecord>(['clusterId', 'subscriptionId', 'nodeImageVersion', 'latestNodeImageVersion', 'imageFamily', 'exceptionId', 'findingId']);

function fieldValue(pool: PoolRecord, field: keyof PoolRecord) {
  const value = pool[field];
  if (field === 'status') return <StatusText status={pool.status} />;
  if (value === null || value === undefined) return '—';
  if (DAY_FIELDS.has(field)) return days(value as number);
  if (TIME_FIELDS.has(field)) return utc(value as string);
  if (typeof value === 'number') return count(value);
  return String(value);
}

export function PoolDetail({ id, headingRef }: { id: string; headingRef: Ref<HTMLHeadingElement> }) {
  const parsed = parsePoolId(id);
  const [data, setData] = useState<Data | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (parsed === null) return;
    let live = true;
    setData(undefined);
    setError(null);
    load(parsed.clusterId, parsed.poolName)
      .then((loaded) => live && setData(loaded))
      .catch((failure) => live && setError(failureText(failure)));
    return () => {
      live = false;
    };
  }, [id]);

  const back = (
    <p>
      <a href={`${BASE}pools`} onClick={(event) => onLinkClick(event, 'pools')}>
        ← All pools
      </a>
    </p>
  );

  if (parsed === null || data === null) {
    return (
      <>
        {back}
        <h1 ref={headingRef} tabIndex={-1}>
          Pool not found
        </h1>
        <p data-testid="pool-missing">
          {parsed === null ? 'This address does not name a node pool' : 'No node pool with this id is observed now'}: <code class="wrap">{id}</code>
        </p>
      </>
    );
  }

  return (
    <>
      {back}
      <div class="page-head">
        <h1 ref={headingRef} tabIndex={-1}>
          Pool {parsed.poolName} <span class="h1-sub">of {data ? data.pool.clusterName : parsed.clusterId.split('/').at(-1)}</span>
        </h1>
      </div>
      {error !== null ? (
        <p class="error" role="alert">
          Could not load the pool: {error}
        </p>
      ) : null}
      {data === undefined && error === null ? <p aria-busy="true">Loading the pool…</p> : null}
      {data ? (
        <>
          <section aria-labelledby="pool-state-title">
            <h2 id="pool-state-title">Current state</h2>
            <dl class="pool-fields" data-testid="pool-fields">
              {POOL_FIELDS.map((field) => (
                <div key={field} data-field={field}>
                  <dt>{LABEL[field]}</dt>
                  <dd class={MONO_FIELDS.has(field) ? 'mono wrap' : undefined}>{fieldValue(data.pool, field)}</dd>
                </div>
              ))}
            </dl>
          </section>
          <History data={data} />
          <Findings findings={data.findings} partial={data.findingsPartial} />
          <Exceptions exceptions={data.exceptions} inForce={data.pool.exceptionId} />
          <Runs runs={data.runs} poolName={data.pool.poolName} />
        </>
      ) : null}
    </>
  );
}

function History({ data }: { data: Data }) {
  const pool = data.pool;
  const breach = pool.supersededAt ? new Date(Date.parse(pool.supersededAt) + pool.slaDays * 86_400_000).toISOString() : null;
  const events = [
    { at: pool.imageReleaseDate, what: `Its image ${pool.nodeImageVersion ?? ''} released` },
    { at: pool.supersededAt, what: `Superseded by a newer image (${pool.supersededAtSource ?? 'source unknown'})` },
    { at: pool.firstSeenBehindAt, what: 'First seen behind the latest image' },
    { at: breach, what: `Patch SLA (${pool.slaDays} d) ends` },
    { at: pool.latestReleaseDate, what: `Latest image ${pool.latestNodeImageVersion ?? ''} released` },
    { at: pool.observedAt, what: 'Last observed' },
  ]
    .filter((event): event is { at: string; what: string } => event.at !== null)
    .sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section aria-labelledby="pool-history-title">
      <h2 id="pool-history-title">Image history</h2>
      <h3 class="sub">Dates of its current image</h3>
      <ol class="timeline" data-testid="pool-timeline">
        {events.map((event) => (
          <li key={event.what}>
            <time dateTime={event.at}>{utc(event.at)}</time> <span>{event.what}</span>
          </li>
        ))}
      </ol>
      <h3 class="sub">Its state at past moments</h3>
      <p class="hint">
        The pool as the API reports it at each moment (its latest observation then). The service has no per-pool history endpoint yet, so versions between these
        moments are not shown; upgrade runs below list the images they changed.
      </p>
      <div class="table-scroll" role="region" aria-labelledby="pool-samples-caption" tabIndex={0}>
        <table data-testid="pool-samples">
          <caption class="pool-caption" id="pool-samples-caption">The pool at past moments, newest first</caption>
          <thead>
            <tr>
              <th scope="col">As of</th>
              <th scope="col">Node image</th>
              <th scope="col">Status</th>
              <th scope="col">Observed at</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Now</th>
              <td class="mono">{pool.nodeImageVersion ?? '—'}</td>
              <td>
                <StatusText status={pool.status} />
              </td>
              <td>{utc(pool.observedAt)}</td>
            </tr>
            {data.samples.filter((sample, i) => sample.pool !== null || i === 0 || data.samples[i - 1]!.pool !== null).map((sample) => (
              <tr key={sample.asOf}>
                <th scope="row">{utc(sample.asOf)}</th>
                {sample.pool === null ? (
                  <td colSpan={3}>Not observed by then (nor at any earlier moment asked)</td>
                ) : (
                  <>
                    <td class="mono">{sample.pool.nodeImageVersion ?? '—'}</td>
                    <td>
                      <StatusText status={sample.pool.status} />
                    </td>
                    <td>{utc(sample.pool.observedAt)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Findings({ findings, partial }: { findings: readonly Finding[]; partial: boolean }) {
  return (
    <section aria-labelledby="pool-findings-title">
      <h2 id="pool-findings-title">Findings</h2>
      {partial ? <p class="hint">Only the newest findings of its subscription were read; older ones may be missing.</p> : null}
      {findings.length === 0 ? (
        <p data-testid="pool-findings-empty">No findings for this pool.</p>
      ) : (
        <div class="table-scroll" role="region" aria-labelledby="pool-findings-caption" tabIndex={0}>
          <table data-testid="pool-findings">
            <caption class="pool-caption" id="pool-findings-caption">Findings of this pool, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Finding</th>
                <th scope="col">Kind</th>
                <th scope="col">State</th>
                <th scope="col">Opened</th>
                <th scope="col">Closed</th>
                <th scope="col" class="num">Time to remediate</th>
                <th scope="col">Exception</th>
              </tr>
            </thead>
            <tbody>
              {findings.map((finding) => (
                <tr key={finding.id}>
                  <th scope="row" class="mono">
                    {finding.id}
                  </th>
                  <td>{finding.kind.replaceAll('_', ' ')}</td>
                  <td>{finding.state.replaceAll('_', ' ')}</td>
                  <td>{utc(finding.openedAt)}</td>
                  <td>{utc(finding.closedAt)}</td>
                  <td class="num">{finding.timeToRemediateHours === null ? '—' : `${finding.timeToRemediateHours.toFixed(1)} h`}</td>
                  <td class="mono">{finding.exceptionId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Exceptions({ exceptions, inForce }: { exceptions: readonly Exception[]; inForce: string | null }) {
  return (
    <section aria-labelledby="pool-exceptions-title">
      <h2 id="pool-exceptions-title">Exceptions covering it</h2>
      <p class="hint">Exceptions for this pool, its cluster or its subscription, in any state; a tag-selector exception is listed when it is the one in force.</p>
      {exceptions.length === 0 ? (
        <p data-testid="pool-exceptions-empty">No exception covers this pool.</p>
      ) : (
        <div class="table-scroll" role="region" aria-labelledby="pool-exceptions-caption" tabIndex={0}>
          <table data-testid="pool-exceptions">
            <caption class="pool-caption" id="pool-exceptions-caption">Exceptions covering this pool</caption>
            <thead>
              <tr>
                <th scope="col">Exception</th>
                <th scope="col">State</th>
                <th scope="col">Scope</th>
                <th scope="col">Expires</th>
                <th scope="col">Ticket</th>
                <th scope="col">Requested by</th>
                <th scope="col">Approved by</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {exceptions.map((exception) => (
                <tr key={exception.id}>
                  <th scope="row" class="mono">
                    {exception.id}
                    {exception.id === inForce ? <span class="in-force"> (in force)</span> : null}
                  </th>
                  <td>{exception.state}</td>
                  <td>{exception.scope.kind === 'tag' ? `tag ${exception.scope.tag ?? ''}` : exception.scope.kind}</td>
                  <td>{utc(exception.expiresAt)}</td>
                  <td>{exception.ticket}</td>
                  <td>{exception.requestedBy}</td>
                  <td>{exception.approvedBy ?? '—'}</td>
                  <td class="pool-reason">{exception.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Runs({ runs, poolName }: { runs: readonly Run[]; poolName: string }) {
  return (
    <section aria-labelledby="pool-runs-title">
      <h2 id="pool-runs-title">Upgrade runs of its cluster</h2>
      {runs.length === 0 ? (
        <p data-testid="pool-runs-empty">No upgrade run has been recorded for this cluster.</p>
      ) : (
        <div class="table-scroll" role="region" aria-labelledby="pool-runs-caption" tabIndex={0}>
          <table data-testid="pool-runs">
            <caption class="pool-caption" id="pool-runs-caption">Upgrade runs of the cluster, newest first; the image columns are this pool's</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Finished</th>
                <th scope="col">This pool</th>
                <th scope="col">Image before</th>
                <th scope="col">Image after</th>
                <th scope="col">Requested by</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => {
                const mine = run.pools.find((pool) => pool.poolName.toLowerCase() === poolName.toLowerCase());
                return (
                  <tr key={run.id}>
                    <th scope="row" class="mono">
                      {run.id}
                    </th>
                    <td>{run.status.replaceAll('_', ' ')}</td>
                    <td>{utc(run.createdAt)}</td>
                    <td>{utc(run.finishedAt)}</td>
                    <td>{mine ? mine.status.replaceAll('_', ' ') : 'not in this run'}</td>
                    <td class="mono">{mine?.imageBefore ?? '—'}</td>
                    <td class="mono">{mine?.imageAfter ?? '—'}</td>
                    <td>{run.requestedBy}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
