import type { Ref } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, failureText, get, post, type Role } from '../api.js';
import { count, days, percent, STATUS_HELP, STATUS_LABEL, utc } from '../format.js';
import { STATUSES, type Page, type Pool, type Snapshot, type Summary } from '../types.js';
import { BASE, onLinkClick } from '../router.js';
import { Trend } from './overview-trend.js';
import { Alert, PageHeading } from '../page-parts.js';

const OLDEST_SHOWN = 10;
/** The pools page with every non-compliant pool, oldest image first (the list this table heads). */
const ALL_OLDEST = 'pools?status=non_compliant&sort=imageAgeDays&dir=descending';

interface Data {
  readonly summary: Summary;
  readonly oldest: readonly Pool[];
  readonly snapshot: Snapshot | null;
}

async function load(): Promise<Data> {
  const [summary, pools, snapshots] = await Promise.all([
    get<Summary>('/api/v1/compliance/summary'),
    // The server sorts the whole fleet's non-compliant pools: the first page is the oldest.
    get<Page<Pool>>(`/api/v1/pools?status=non_compliant&sort=-imageAgeDays&limit=${OLDEST_SHOWN}`),
    get<Page<Snapshot>>('/api/v1/snapshots?limit=10'),
  ]);
  return { summary, oldest: pools.items, snapshot: snapshots.items.find((snapshot) => snapshot.scope === 'fleet') ?? null };
}

export function Overview({ role, headingRef }: { role: Role; headingRef: Ref<HTMLHeadingElement> }) {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setData(await load());
      setError(null);
    } catch (failure) {
      setError(failureText(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <>
      <PageHeading title="Overview" headingRef={headingRef}>
        {data ? <p class="as-of">As of {utc(data.summary.asOf)}</p> : null}
      </PageHeading>
      <Alert>{error !== null ? `Could not load the overview: ${error}` : null}</Alert>
      {data === null && error === null ? <p aria-busy="true">Loading the fleet's compliance…</p> : null}
      {data ? (
        <>
          <SnapshotLine snapshot={data.snapshot} role={role} onFinished={() => void refresh()} />
          {data.summary.total === 0 ? (
            <p class="notice">No node pools have been observed yet. Figures appear after the first fleet snapshot.</p>
          ) : null}
          <Figures summary={data.summary} />
          <Trend refreshKey={data.summary.asOf} />
          <BySubscription summary={data.summary} />
          <Oldest pools={data.oldest} of={data.summary.counts.non_compliant} />
        </>
      ) : null}
    </>
  );
}

function Figures({ summary }: { summary: Summary }) {
  return (
    <section aria-labelledby="figures-title">
      <h2 id="figures-title">Compliance</h2>
      <div class="figures">
        <div class="figure" data-testid="compliance-percent">
          <span class="figure-value">{percent(summary.compliancePercent)}</span>
          <span class="figure-label">compliant (current or within policy)</span>
        </div>
        <div class="figure" data-testid="compliance-percent-with-exceptions">
          <span class="figure-value">{percent(summary.compliancePercentWithExceptions)}</span>
          <span class="figure-label">counting approved exceptions as compliant</span>
        </div>
        <div class="figure" data-testid="total">
          <span class="figure-value">{count(summary.total)}</span>
          <span class="figure-label">node pools, unknown included</span>
        </div>
      </div>
      <h3 class="sub">Node pools by status</h3>
      {summary.total > 0 ? (
        <div class="bar" aria-hidden="true">
          {STATUSES.filter((status) => summary.counts[status] > 0).map((status) => (
            <span key={status} class={`bar-part status-${status}`} style={{ flexGrow: summary.counts[status] }} />
          ))}
        </div>
      ) : null}
      <ul class="counts">
        {STATUSES.map((status) => (
          <li key={status} class={`count status-${status}`} data-testid={`count-${status}`}>
            <span class="count-value">{count(summary.counts[status])}</span>
            <span class="count-label">{STATUS_LABEL[status]}</span>
            <span class="count-help">{STATUS_HELP[status]}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function BySubscription({ summary }: { summary: Summary }) {
  return (
    <section aria-labelledby="subscriptions-title">
      <h2 id="subscriptions-title">By subscription</h2>
      <div class="table-scroll" role="region" aria-labelledby="subscriptions-title" tabIndex={0}>
        <table data-testid="by-subscription">
          <thead>
            <tr>
              <th scope="col">Subscription</th>
              <th scope="col" class="num">Pools</th>
              {STATUSES.map((status) => (
                <th key={status} scope="col" class="num">
                  {STATUS_LABEL[status]}
                </th>
              ))}
              <th scope="col" class="num">Compliant</th>
              <th scope="col" class="num">With exceptions</th>
            </tr>
          </thead>
          <tbody>
            {summary.bySubscription.map((row) => (
              <tr key={row.subscriptionId}>
                <th scope="row" class="mono">
                  {row.subscriptionId}
                </th>
                <td class="num">{count(row.total)}</td>
                {STATUSES.map((status) => (
                  <td key={status} class="num">
                    {count(row.counts[status])}
                  </td>
                ))}
                <td class="num">{percent(row.compliancePercent)}</td>
                <td class="num">{percent(row.compliancePercentWithExceptions)}</td>
              </tr>
            ))}
            {summary.bySubscription.length === 0 ? (
              <tr>
                <td colSpan={4 + STATUSES.length}>No subscriptions observed yet.</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Oldest({ pools, of }: { pools: readonly Pool[]; of: number }) {
  return (
    <section aria-labelledby="oldest-title">
      <h2 id="oldest-title">Oldest images out of policy</h2>
      <p class="hint" data-testid="oldest-hint">
        {of > pools.length ? `The ${count(pools.length)} oldest of ${count(of)} non-compliant node pools` : 'Non-compliant node pools'}, by the age of their node image, oldest
        first.{' '}
        {of > pools.length ? (
          <a href={`${BASE}${ALL_OLDEST}`} onClick={(event) => onLinkClick(event, ALL_OLDEST)}>
            All of them, oldest first
          </a>
        ) : null}
      </p>
      {pools.length === 0 ? (
        <p data-testid="oldest-empty">No node pool is out of policy.</p>
      ) : (
        <div class="table-scroll" role="region" aria-labelledby="oldest-title" tabIndex={0}>
          <table data-testid="oldest">
            <thead>
              <tr>
                <th scope="col">Cluster</th>
                <th scope="col">Pool</th>
                <th scope="col">Node image</th>
                <th scope="col" class="num">Image age</th>
                <th scope="col" class="num">Behind latest</th>
                <th scope="col" class="num">Exposure</th>
                <th scope="col" class="num">SLA</th>
              </tr>
            </thead>
            <tbody>
              {pools.map((pool) => (
                <tr key={`${pool.clusterId}/${pool.poolName}`}>
                  <th scope="row">{pool.clusterName}</th>
                  <td>{pool.poolName}</td>
                  <td class="mono">{pool.nodeImageVersion ?? '—'}</td>
                  <td class="num">{days(pool.imageAgeDays)}</td>
                  <td class="num">{days(pool.daysBehindLatest)}</td>
                  <td class="num">{days(pool.exposureDays)}</td>
                  <td class="num">{days(pool.slaDays)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const SNAPSHOT_POLL_MS = 2000;

/** The last fleet snapshot; operators and admins may take one now (POST /api/v1/snapshots), auditors only read. */
function SnapshotLine({ snapshot, role, onFinished }: { snapshot: Snapshot | null; role: Role; onFinished: () => void }) {
  const [running, setRunning] = useState<number | null>(snapshot?.status === 'running' ? snapshot.id : null);
  const [message, setMessage] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const watch = (id: number) => {
    setRunning(id);
    const poll = async () => {
      try {
        const now = await get<Snapshot>(`/api/v1/snapshots/${id}`);
        if (now.status === 'running') {
          timer.current = window.setTimeout(() => void poll(), SNAPSHOT_POLL_MS);
          return;
        }
        setRunning(null);
        setMessage(`Snapshot ${id} ${now.status}.`);
        onFinished();
      } catch (failure) {
        setRunning(null);
        setMessage(failure instanceof ApiError ? failure.message : String(failure));
      }
    };
    timer.current = window.setTimeout(() => void poll(), SNAPSHOT_POLL_MS);
  };

  const take = async () => {
    setMessage(null);
    try {
      const started = await post<{ id: number; status: string }>('/api/v1/snapshots');
      setMessage(`Snapshot ${started.id} started.`);
      watch(started.id);
    } catch (failure) {
      setMessage(failureText(failure));
    }
  };

  return (
    <div class="snapshot-line">
      <p data-testid="last-snapshot">
        {snapshot === null
          ? 'No fleet snapshot has been taken yet.'
          : `Last fleet snapshot: #${snapshot.id}, ${snapshot.status}, ${snapshot.finishedAt ? `finished ${utc(snapshot.finishedAt)}` : `started ${utc(snapshot.startedAt)}`}` +
            (snapshot.poolCount !== null ? ` (${count(snapshot.clusterCount ?? 0)} clusters, ${count(snapshot.poolCount)} pools).` : '.')}
      </p>
      {role !== 'auditor' ? (
        <button type="button" class="secondary" disabled={running !== null} onClick={() => void take()}>
          {running !== null ? 'Snapshot running…' : 'Take a snapshot now'}
        </button>
      ) : null}
      <p class="status-message" role="status">
        {message ?? ''}
      </p>
    </div>
  );
}
