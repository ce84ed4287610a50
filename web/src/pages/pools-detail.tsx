import type { ComponentChildren, Ref } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, days, utc } from '../format.js';
import { BASE, onLinkClick } from '../router.js';
import { Alert, PageHeading } from '../page-parts.js';
import type { Finding, Page, PoolHistoryEntry } from '../types.js';
import type { RiskException } from './exceptions.js';
import { failureText, parsePoolId, POOL_FIELDS, poolId, sameId, StatusText, type PoolRecord } from './pools-data.js';
import type { Run } from './upgrades-common.js';

interface Data {
  readonly pool: PoolRecord;
  readonly findings: readonly Finding[];
  readonly findingsPartial: boolean;
  readonly exceptions: readonly RiskException[];
  readonly runs: readonly Run[];
  readonly history: Page<PoolHistoryEntry>;
}

/** Image changes read per page (GET /api/v1/pools/{id}/history, newest first); "Older changes" reads the next. */
const HISTORY_PAGE = 50;

const historyPath = (pool: PoolRecord, cursor: string | null) =>
  `/api/v1/pools/${encodeURIComponent(poolId(pool.clusterId, pool.poolName))}/history?limit=${HISTORY_PAGE}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;

async function poolNow(clusterId: string, poolName: string): Promise<PoolRecord | null> {
  const page = await get<Page<PoolRecord>>(`/api/v1/pools?${new URLSearchParams({ clusterId, limit: '1000' }).toString()}`);
  return page.items.find((pool) => sameId(pool.poolName, poolName)) ?? null;
}

async function load(clusterId: string, poolName: string): Promise<Data | null> {
  const pool = await poolNow(clusterId, poolName);
  if (pool === null) return null;
  // The API filters by pool: its findings, and the exceptions covering it (its own, its cluster's, its subscription's).
  const ofPool = new URLSearchParams({ clusterId: pool.clusterId, poolName: pool.poolName, limit: '1000' }).toString();
  const [findings, exceptions, runs, history] = await Promise.all([
    get<Page<Finding>>(`/api/v1/findings?${ofPool}`),
    get<Page<RiskException>>(`/api/v1/exceptions?${ofPool}&order=desc`),
    get<Page<Run>>(`/api/v1/upgrades?clusterId=${encodeURIComponent(pool.clusterId)}&limit=100`),
    get<Page<PoolHistoryEntry>>(historyPath(pool, null)),
  ]);
  // A tag-selector exception covers it by tags the filter does not know: listed when it is the one in force.
  const inForce = pool.exceptionId !== null && !exceptions.items.some((exception) => exception.id === pool.exceptionId) ? await get<RiskException>(`/api/v1/exceptions/${encodeURIComponent(pool.exceptionId)}`) : null;
  return {
    pool,
    findings: findings.items,
    findingsPartial: findings.nextCursor !== null,
    exceptions: inForce === null ? exceptions.items : [inForce, ...exceptions.items],
    runs: runs.items,
    history,
  };
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
        <PageHeading title="Pool not found" headingRef={headingRef} />
        <p data-testid="pool-missing">
          {parsed === null ? 'This address does not name a node pool' : 'No node pool with this id is observed now'}: <code class="wrap">{id}</code>
        </p>
      </>
    );
  }

  return (
    <>
      {back}
      <PageHeading
        headingRef={headingRef}
        title={
          <>
            Pool {parsed.poolName} <span class="h1-sub">of {data ? data.pool.clusterName : parsed.clusterId.split('/').at(-1)}</span>
          </>
        }
      />
      <Alert>{error !== null ? `Could not load the pool: ${error}` : null}</Alert>
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
          <History key={id} pool={data.pool} first={data.history} />
          <Findings findings={data.findings} partial={data.findingsPartial} clusterId={data.pool.clusterId} />
          <Exceptions exceptions={data.exceptions} inForce={data.pool.exceptionId} />
          <Runs runs={data.runs} poolName={data.pool.poolName} />
        </>
      ) : null}
    </>
  );
}

/** One column of a DetailTable: its header and each row's cell; the first column heads its row. */
interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => ComponentChildren;
  readonly class?: string;
}

/** The detail page's tables: a caption, a header row, one row per item; scrolls sideways on narrow screens. */
function DetailTable<T>(props: { testId: string; caption: string; columns: readonly Column<T>[]; rows: readonly T[]; rowKey: (row: T) => string | number }) {
  const captionId = `${props.testId}-caption`;
  return (
    <div class="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table data-testid={props.testId}>
        <caption class="pool-caption" id={captionId}>
          {props.caption}
        </caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column.header} scope="col" class={column.class === 'num' ? 'num' : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((column, i) =>
                i === 0 ? (
                  <th key={column.header} scope="row" class={column.class}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={column.header} class={column.class}>
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FIELD_WORDS: Record<PoolHistoryEntry['changedFields'][number], string> = {
  nodeImageVersion: 'node image',
  latestNodeImageVersion: 'latest image',
  kubernetesVersion: 'Kubernetes version',
  nodeCount: 'node count',
};

function changeText(entry: PoolHistoryEntry): string {
  if (entry.change === 'appeared') return 'First observed';
  if (entry.change === 'deleted') return 'No longer observed';
  const words = entry.changedFields.map((field) => FIELD_WORDS[field]).join(', ');
  return `${words[0]!.toUpperCase()}${words.slice(1)} changed`;
}

/** A value of a history row, marked where it is what changed. */
function changed(entry: PoolHistoryEntry, field: PoolHistoryEntry['changedFields'][number], text: string) {
  return entry.change === 'changed' && entry.changedFields.includes(field) ? <strong class="ph-changed">{text}</strong> : text;
}

const HISTORY_COLUMNS: readonly Column<PoolHistoryEntry>[] = [
  { header: 'Observed', cell: (entry) => <time dateTime={entry.observedAt}>{utc(entry.observedAt)}</time> },
  { header: 'Change', cell: changeText },
  { header: 'Status then', cell: (entry) => (entry.status === null ? '—' : <StatusText status={entry.status} />) },
  { header: 'Node image', class: 'mono ph-image', cell: (entry) => changed(entry, 'nodeImageVersion', entry.nodeImageVersion ?? '—') },
  { header: 'Latest image', class: 'mono ph-image', cell: (entry) => changed(entry, 'latestNodeImageVersion', entry.latestNodeImageVersion ?? '—') },
  { header: 'Kubernetes', cell: (entry) => changed(entry, 'kubernetesVersion', entry.kubernetesVersion ?? '—') },
  { header: 'Nodes', class: 'num', cell: (entry) => changed(entry, 'nodeCount', entry.nodeCount === null ? '—' : count(entry.nodeCount)) },
];

function History({ pool, first }: { pool: PoolRecord; first: Page<PoolHistoryEntry> }) {
  const [entries, setEntries] = useState<readonly PoolHistoryEntry[]>(first.items);
  const [cursor, setCursor] = useState<string | null>(first.nextCursor);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const older = async () => {
    if (cursor === null) return;
    setBusy(true);
    try {
      const page = await get<Page<PoolHistoryEntry>>(historyPath(pool, cursor));
      setEntries((now) => [...now, ...page.items]);
      setCursor(page.nextCursor);
      setError(null);
    } catch (failure) {
      setError(`Could not load older changes: ${failureText(failure)}`);
    } finally {
      setBusy(false);
    }
  };

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
      <h3 class="sub">Changes observed</h3>
      <p class="hint">
        Every snapshot at which its node image, the latest image of its family and region, its Kubernetes version or its node count changed; what changed is in
        bold. The status is the one at that moment; it also moves in between, when the patch SLA ends or an exception starts or lapses.
      </p>
      <DetailTable
        testId="pool-history"
        caption={`Image changes, newest first (${count(entries.length)} shown)`}
        columns={HISTORY_COLUMNS}
        rows={entries}
        rowKey={(entry) => entry.snapshotId}
      />
      <Alert>{error}</Alert>
      {cursor !== null ? (
        <p>
          <button type="button" class="secondary" disabled={busy} onClick={() => void older()}>
            {busy ? 'Loading…' : 'Older changes'}
          </button>
        </p>
      ) : null}
    </section>
  );
}

const FINDING_COLUMNS: readonly Column<Finding>[] = [
  { header: 'Finding', class: 'mono', cell: (finding) => finding.id },
  { header: 'Kind', cell: (finding) => finding.kind.replaceAll('_', ' ') },
  { header: 'State', cell: (finding) => finding.state.replaceAll('_', ' ') },
  { header: 'Opened', cell: (finding) => utc(finding.openedAt) },
  { header: 'Closed', cell: (finding) => utc(finding.closedAt) },
  { header: 'Time to remediate', class: 'num', cell: (finding) => (finding.timeToRemediateHours === null ? '—' : `${finding.timeToRemediateHours.toFixed(1)} h`) },
  { header: 'Exception', class: 'mono', cell: (finding) => finding.exceptionId ?? '—' },
];

function Findings({ findings, partial, clusterId }: { findings: readonly Finding[]; partial: boolean; clusterId: string }) {
  const ofCluster = `findings?${new URLSearchParams({ clusterId }).toString()}`;
  return (
    <section aria-labelledby="pool-findings-title">
      <h2 id="pool-findings-title">Findings</h2>
      <p class="hint">
        {partial ? 'Only its newest 1,000 findings are listed. ' : ''}
        <a href={`${BASE}${ofCluster}`} onClick={(event) => onLinkClick(event, ofCluster)}>
          All findings of its cluster
        </a>
      </p>
      {findings.length === 0 ? (
        <p data-testid="pool-findings-empty">No findings for this pool.</p>
      ) : (
        <DetailTable testId="pool-findings" caption="Findings of this pool, newest first" columns={FINDING_COLUMNS} rows={findings} rowKey={(finding) => finding.id} />
      )}
    </section>
  );
}

function Exceptions({ exceptions, inForce }: { exceptions: readonly RiskException[]; inForce: string | null }) {
  const columns: readonly Column<RiskException>[] = [
    {
      header: 'Exception',
      class: 'mono',
      cell: (exception) => (
        <>
          {exception.id}
          {exception.id === inForce ? <span class="in-force"> (in force)</span> : null}
        </>
      ),
    },
    { header: 'State', cell: (exception) => exception.state },
    { header: 'Scope', cell: (exception) => (exception.scope.kind === 'tag' ? `tag ${exception.scope.tag ?? ''}` : exception.scope.kind) },
    { header: 'Expires', cell: (exception) => utc(exception.expiresAt) },
    { header: 'Ticket', cell: (exception) => exception.ticket },
    { header: 'Requested by', cell: (exception) => exception.requestedBy },
    { header: 'Approved by', cell: (exception) => exception.approvedBy ?? '—' },
    { header: 'Reason', class: 'pool-reason', cell: (exception) => exception.reason },
  ];
  return (
    <section aria-labelledby="pool-exceptions-title">
      <h2 id="pool-exceptions-title">Exceptions covering it</h2>
      <p class="hint">Exceptions for this pool, its cluster or its subscription, in any state, newest request first; a tag-selector exception is listed when it is the one in force.</p>
      {exceptions.length === 0 ? (
        <p data-testid="pool-exceptions-empty">No exception covers this pool.</p>
      ) : (
        <DetailTable testId="pool-exceptions" caption="Exceptions covering this pool" columns={columns} rows={exceptions} rowKey={(exception) => exception.id} />
      )}
    </section>
  );
}

function Runs({ runs, poolName }: { runs: readonly Run[]; poolName: string }) {
  const mine = (run: Run) => run.pools.find((pool) => sameId(pool.poolName, poolName));
  const columns: readonly Column<Run>[] = [
    { header: 'Run', class: 'mono', cell: (run) => run.id },
    { header: 'Status', cell: (run) => run.status.replaceAll('_', ' ') },
    { header: 'Created', cell: (run) => utc(run.createdAt) },
    { header: 'Finished', cell: (run) => utc(run.finishedAt) },
    { header: 'This pool', cell: (run) => mine(run)?.status.replaceAll('_', ' ') ?? 'not in this run' },
    { header: 'Image before', class: 'mono', cell: (run) => mine(run)?.imageBefore ?? '—' },
    { header: 'Image after', class: 'mono', cell: (run) => mine(run)?.imageAfter ?? '—' },
    { header: 'Requested by', cell: (run) => run.requestedBy },
  ];
  return (
    <section aria-labelledby="pool-runs-title">
      <h2 id="pool-runs-title">Upgrade runs of its cluster</h2>
      {runs.length === 0 ? (
        <p data-testid="pool-runs-empty">No upgrade run has been recorded for this cluster.</p>
      ) : (
        <DetailTable testId="pool-runs" caption="Upgrade runs of the cluster, newest first; the image columns are this pool's" columns={columns} rows={runs} rowKey={(run) => run.id} />
      )}
    </section>
  );
}
