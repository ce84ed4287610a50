import { useCallback, useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, utc } from '../format.js';
import type { PageProps } from '../page.js';
import { Alert, PageHeading } from '../page-parts.js';
import { BASE, onLinkClick } from '../router.js';
import type { Finding, FindingKind, FindingState } from '../types.js';
import { explain, lastSegment } from './exceptions-common.js';

/** GET /api/v1/findings (CONTRACT.md, "Findings and exceptions"). */
interface Statistics {
  readonly total: number;
  readonly slaBreaches: number;
  readonly open: number;
  readonly riskAccepted: number;
  readonly remediated: number;
  readonly retired: number;
  readonly meanTimeToRemediateHours: number | null;
  readonly p90TimeToRemediateHours: number | null;
}

interface FindingsPage {
  readonly items: readonly Finding[];
  readonly nextCursor: string | null;
  readonly statistics: Statistics & { readonly bySubscription: readonly (Statistics & { readonly subscriptionId: string })[] };
}

const KIND_LABEL: Record<FindingKind, string> = {
  sla_breach: 'SLA breach',
  coverage_gap: 'Coverage gap',
  node_mismatch: 'Node mismatch',
};
const STATE_LABEL: Record<FindingState, string> = {
  open: 'Open',
  risk_accepted: 'Risk accepted',
  remediated: 'Remediated',
  retired: 'Retired',
};

interface Filters {
  state: FindingState | '';
  kind: FindingKind | '';
  subscriptionId: string;
  /** A cluster's ARM id (any case): its findings only. */
  clusterId: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { state: '', kind: '', subscriptionId: '', clusterId: '', from: '', to: '' };

/** The filters a link may carry in the address (`?clusterId=…`, as the pool detail page links here). */
function initialFilters(): Filters {
  const address = new URLSearchParams(window.location.search);
  return { ...EMPTY, clusterId: address.get('clusterId') ?? '', subscriptionId: address.get('subscriptionId') ?? '' };
}
const PAGE_SIZE = 100;

function hours(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1)} h`;
}

/** The address of a pool's detail page (the pools page: `/ui/pools/<url-encoded pool id>`, the agent pool's ARM id). */
export function poolPage(clusterId: string, poolName: string): string {
  return `pools/${encodeURIComponent(`${clusterId}/agentPools/${poolName}`)}`;
}

function query(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams();
  if (filters.state !== '') params.set('state', filters.state);
  if (filters.kind !== '') params.set('kind', filters.kind);
  if (filters.subscriptionId.trim() !== '') params.set('subscriptionId', filters.subscriptionId.trim());
  if (filters.clusterId.trim() !== '') params.set('clusterId', filters.clusterId.trim());
  // Dates are whole UTC days: from the start of the first to the end of the last.
  if (filters.from !== '') params.set('from', `${filters.from}T00:00:00Z`);
  if (filters.to !== '') params.set('to', `${filters.to}T23:59:59Z`);
  params.set('limit', String(PAGE_SIZE));
  if (cursor !== null) params.set('cursor', cursor);
  return `/api/v1/findings?${params.toString()}`;
}

export function FindingsPage({ headingRef }: PageProps) {
  const [draft, setDraft] = useState<Filters>(initialFilters);
  const [applied, setApplied] = useState<Filters>(initialFilters);
  const [data, setData] = useState<FindingsPage | null>(null);
  const [items, setItems] = useState<readonly Finding[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (filters: Filters) => {
    setLoading(true);
    try {
      const page = await get<FindingsPage>(query(filters, null));
      setData(page);
      setItems(page.items);
      setError(null);
    } catch (failure) {
      setError(`Could not load the findings: ${explain(failure)}`);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(applied);
  }, [applied, load]);

  const more = async () => {
    if (data?.nextCursor == null) return;
    setLoading(true);
    try {
      const page = await get<FindingsPage>(query(applied, data.nextCursor));
      setData(page);
      setItems((now) => [...now, ...page.items]);
    } catch (failure) {
      setError(`Could not load more findings: ${explain(failure)}`);
    } finally {
      setLoading(false);
    }
  };

  const set = (key: keyof Filters) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setDraft((now) => ({ ...now, [key]: value }));
  };

  return (
    <>
      <PageHeading title="Findings" headingRef={headingRef} />
      <p class="hint">
        Non-compliance episodes (SLA breaches), collection coverage gaps and node-level mismatches, newest first. The
        statistics cover every finding the filters select except the state filter.
      </p>
      <Alert testId="findings-error">{error}</Alert>

      <form
        class="exc-filters"
        aria-label="Filter findings"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied({ ...draft });
        }}
      >
        <label>
          <span>State</span>
          <select value={draft.state} onChange={set('state')}>
            <option value="">Any state</option>
            {(Object.keys(STATE_LABEL) as FindingState[]).map((value) => (
              <option key={value} value={value}>
                {STATE_LABEL[value]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Kind</span>
          <select value={draft.kind} onChange={set('kind')}>
            <option value="">Any kind</option>
            {(Object.keys(KIND_LABEL) as FindingKind[]).map((value) => (
              <option key={value} value={value}>
                {KIND_LABEL[value]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Subscription</span>
          <input class="mono" list="findings-subscriptions" value={draft.subscriptionId} onInput={set('subscriptionId')} placeholder="any" />
        </label>
        <label class="fnd-cluster">
          <span>Cluster (ARM id)</span>
          <input class="mono" value={draft.clusterId} onInput={set('clusterId')} placeholder="any" />
        </label>
        <datalist id="findings-subscriptions">
          {(data?.statistics.bySubscription ?? []).map((row) => (
            <option key={row.subscriptionId} value={row.subscriptionId} />
          ))}
        </datalist>
        <label>
          <span>From (UTC day)</span>
          <input type="date" value={draft.from} onInput={set('from')} max={draft.to || undefined} />
        </label>
        <label>
          <span>To (UTC day)</span>
          <input type="date" value={draft.to} onInput={set('to')} min={draft.from || undefined} />
        </label>
        <div class="exc-buttons">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setDraft(EMPTY);
              setApplied(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>

      {data === null && error === null ? <p aria-busy="true">Loading the findings…</p> : null}
      {data !== null ? (
        <>
          <Remediation statistics={data.statistics} />
          <section aria-labelledby="findings-list-title">
            <h2 id="findings-list-title">Findings</h2>
            {items.length === 0 ? (
              <p data-testid="findings-empty">No finding matches these filters.</p>
            ) : (
              <FindingTable items={items} />
            )}
            {data.nextCursor !== null ? (
              <p>
                <button type="button" class="secondary" disabled={loading} onClick={() => void more()}>
                  {loading ? 'Loading…' : 'More'}
                </button>
              </p>
            ) : null}
          </section>
        </>
      ) : null}
    </>
  );
}

function Remediation({ statistics }: { statistics: FindingsPage['statistics'] }) {
  return (
    <section aria-labelledby="remediation-title">
      <h2 id="remediation-title">Remediation</h2>
      <div class="figures">
        <div class="figure" data-testid="stat-total">
          <span class="figure-value">{count(statistics.total)}</span>
          <span class="figure-label">findings ({count(statistics.slaBreaches)} SLA breaches)</span>
        </div>
        <div class="figure" data-testid="stat-open">
          <span class="figure-value">{count(statistics.open)}</span>
          <span class="figure-label">open · {count(statistics.riskAccepted)} risk accepted</span>
        </div>
        <div class="figure" data-testid="stat-remediated">
          <span class="figure-value">{count(statistics.remediated)}</span>
          <span class="figure-label">remediated · {count(statistics.retired)} retired</span>
        </div>
        <div class="figure" data-testid="stat-mttr">
          <span class="figure-value">{hours(statistics.meanTimeToRemediateHours)}</span>
          <span class="figure-label">mean time to remediate (90th percentile {hours(statistics.p90TimeToRemediateHours)})</span>
        </div>
      </div>
      {statistics.bySubscription.length > 0 ? (
        <>
          <h3 class="sub" id="remediation-subscriptions-title">
            By subscription
          </h3>
          <div class="table-scroll" role="region" aria-labelledby="remediation-subscriptions-title" tabIndex={0}>
            <table data-testid="findings-by-subscription">
              <thead>
                <tr>
                  <th scope="col">Subscription</th>
                  <th scope="col" class="num">Findings</th>
                  <th scope="col" class="num">SLA breaches</th>
                  <th scope="col" class="num">Open</th>
                  <th scope="col" class="num">Risk accepted</th>
                  <th scope="col" class="num">Remediated</th>
                  <th scope="col" class="num">Retired</th>
                  <th scope="col" class="num">Mean to remediate</th>
                  <th scope="col" class="num">90th percentile</th>
                </tr>
              </thead>
              <tbody>
                {statistics.bySubscription.map((row) => (
                  <tr key={row.subscriptionId}>
                    <th scope="row" class="mono">
                      {row.subscriptionId}
                    </th>
                    <td class="num">{count(row.total)}</td>
                    <td class="num">{count(row.slaBreaches)}</td>
                    <td class="num">{count(row.open)}</td>
                    <td class="num">{count(row.riskAccepted)}</td>
                    <td class="num">{count(row.remediated)}</td>
                    <td class="num">{count(row.retired)}</td>
                    <td class="num">{hours(row.meanTimeToRemediateHours)}</td>
                    <td class="num">{hours(row.p90TimeToRemediateHours)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}

const DETAIL_LABEL: Record<string, string> = {
  imageAtOpen: 'image at open',
  imageAtClose: 'image at close',
  supersededAt: 'superseded',
  policyRule: 'policy rule',
  slaDays: 'SLA days',
  poolVersion: 'pool version',
};

/** A finding's detail as short lines (plain values only; dates in UTC). */
function Detail({ detail }: { detail: Record<string, unknown> }) {
  const lines = Object.entries(detail)
    .filter(([key, value]) => key !== 'supersededAt' && value !== null && value !== undefined && typeof value !== 'object')
    .slice(0, 3)
    .map(([key, value]) => {
      const text = String(value);
      return `${DETAIL_LABEL[key] ?? key}: ${/^\d{4}-\d\d-\d\dT/.test(text) ? utc(text) : text}`;
    });
  if (lines.length === 0) return <>—</>;
  return (
    <>
      {lines.map((line, i) => (
        <span key={i} class="exc-line">
          {line}
        </span>
      ))}
    </>
  );
}

function FindingTable({ items }: { items: readonly Finding[] }) {
  return (
    <div class="table-scroll" role="region" aria-labelledby="findings-caption" tabIndex={0}>
      <table class="exc-table" data-testid="findings">
        <caption id="findings-caption" class="exc-caption">
          Findings, newest first ({count(items.length)} shown)
        </caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">State</th>
            <th scope="col">Cluster and subscription</th>
            <th scope="col">Pool</th>
            <th scope="col">Opened</th>
            <th scope="col">Closed</th>
            <th scope="col" class="num">Time to remediate</th>
            <th scope="col">Exception</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {items.map((finding) => (
            <tr key={finding.id} data-testid="finding-row">
              <th scope="row">{KIND_LABEL[finding.kind]}</th>
              <td>
                <span class={`exc-state fnd-state-${finding.state}`}>{STATE_LABEL[finding.state]}</span>
              </td>
              <td>
                {lastSegment(finding.clusterId)}
                <span class="exc-id mono">{finding.subscriptionId ?? ''}</span>
              </td>
              <td>
                {finding.clusterId !== null && finding.poolName !== null ? (
                  <a href={`${BASE}${poolPage(finding.clusterId, finding.poolName)}`} onClick={(event) => onLinkClick(event, poolPage(finding.clusterId!, finding.poolName!))}>
                    {finding.poolName}
                  </a>
                ) : (
                  '—'
                )}
              </td>
              <td>{utc(finding.openedAt)}</td>
              <td>{utc(finding.closedAt)}</td>
              <td class="num">{hours(finding.timeToRemediateHours)}</td>
              <td class="mono">{finding.exceptionId === null ? '—' : <abbr title={finding.exceptionId}>{finding.exceptionId.slice(0, 12)}…</abbr>}</td>
              <td class="fnd-detail">
                <Detail detail={finding.detail} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
