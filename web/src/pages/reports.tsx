import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { utc } from '../format.js';
import type { PageProps } from '../page.js';
import type { Page } from '../types.js';
import { ReportDetail } from './reports-detail.js';
import { failureText, STATUS_TEXT, type Report } from './reports-shared.js';
import { Alert, PageHeading } from '../page-parts.js';

const POLL_MS = 1000;
const LIST_LIMIT = 100;
const LIST_POLL_MS = 2000;

/** Reports: generate one (every role: auditors generate and download reports), list them, and open one's files. */
export function ReportsPage({ headingRef }: PageProps) {
  const [reports, setReports] = useState<readonly Report[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const page = await get<Page<Report>>(`/api/v1/reports?limit=${LIST_LIMIT}`);
      setReports(page.items);
      setMore(page.nextCursor !== null);
      setError(null);
      // Unless the reader chose one, the newest report is the one shown.
      setSelected((now) => now ?? page.items[0]?.id ?? null);
    } catch (failure) {
      setError(failureText(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // A report still running (this page's, or one requested elsewhere) is looked at again until it finishes.
  const anyRunning = reports?.some((entry) => entry.status === 'running') ?? false;
  useEffect(() => {
    if (!anyRunning) return undefined;
    const timer = window.setTimeout(() => void refresh(), LIST_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [anyRunning, reports, refresh]);

  const report = reports?.find((entry) => entry.id === selected) ?? null;

  return (
    <>
      <PageHeading title="Reports" headingRef={headingRef} />
      <p class="hint">
        Each report is rendered once, in every format, and stored: a download months later is the same bytes, and the SHA-256 of each file is recorded in the evidence
        ledger.
      </p>
      <GenerateForm
        onCreated={(id) => {
          setSelected(id);
          void refresh();
        }}
        onFinished={() => void refresh()}
      />
      <section aria-labelledby="reports-list-title">
        <h2 id="reports-list-title">Reports</h2>
        <Alert>{error !== null ? `Could not load the reports: ${error}` : null}</Alert>
        {reports === null && error === null ? <p aria-busy="true">Loading the reports…</p> : null}
        {reports !== null && reports.length === 0 ? <p data-testid="reports-empty">No report has been generated yet.</p> : null}
        {reports !== null && reports.length > 0 ? (
          <ReportList reports={reports} selected={selected} onSelect={setSelected} more={more} />
        ) : null}
      </section>
      {report !== null ? <ReportDetail key={report.id} report={report} /> : null}
    </>
  );
}

function ReportList({ reports, selected, onSelect, more }: { reports: readonly Report[]; selected: string | null; onSelect: (id: string) => void; more: boolean }) {
  return (
    <>
      <div class="table-scroll" role="region" aria-labelledby="reports-list-title" tabIndex={0}>
        <table data-testid="reports">
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Scope</th>
              <th scope="col">Status</th>
              <th scope="col">Requested by</th>
              <th scope="col">Requested at</th>
              <th scope="col" class="num">Ledger entry</th>
              <th scope="col">Files and digests</th>
            </tr>
          </thead>
          <tbody>
            {reports.map((report) => (
              <tr key={report.id} class={report.id === selected ? 'selected' : undefined} aria-current={report.id === selected ? 'true' : undefined}>
                <th scope="row">{report.period.label}</th>
                <td>{report.scope ?? 'whole fleet'}</td>
                <td>
                  <span class={`report-status report-${report.status}`}>{STATUS_TEXT[report.status]}</span>
                </td>
                <td>{report.requestedBy}</td>
                <td>{utc(report.requestedAt)}</td>
                <td class="num">{report.ledgerSequence === null ? '—' : `#${report.ledgerSequence}`}</td>
                <td>
                  <button
                    type="button"
                    class="secondary small"
                    aria-pressed={report.id === selected}
                    aria-label={`Show ${report.id.slice(4, 12)}, the ${report.period.label} report`}
                    onClick={() => onSelect(report.id)}
                  >
                    Show <span class="mono">{report.id.slice(4, 12)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more ? <p class="hint">The newest {LIST_LIMIT} reports are listed.</p> : null}
    </>
  );
}

const currentMonth = () => new Date().toISOString().slice(0, 7);

/** POST /api/v1/reports: a month or a date range, optionally a scope; then the report's state until it is ready. */
function GenerateForm({ onCreated, onFinished }: { onCreated: (id: string) => void; onFinished: () => void }) {
  const [kind, setKind] = useState<'month' | 'range'>('month');
  const [month, setMonth] = useState(currentMonth);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [scope, setScope] = useState('');
  const [running, setRunning] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const watch = (id: string) => {
    const poll = async () => {
      try {
        const report = await get<Report>(`/api/v1/reports/${id}`);
        if (report.status === 'running') {
          timer.current = window.setTimeout(() => void poll(), POLL_MS);
          return;
        }
        setRunning(null);
        if (report.status === 'ready') setMessage(`The ${report.period.label} report is ready: its files and digests are below.`);
        else {
          setMessage('');
          setError(`The ${report.period.label} report failed: ${report.error ?? 'no reason given'}`);
        }
        onFinished();
      } catch (failure) {
        setRunning(null);
        setError(failureText(failure));
      }
    };
    timer.current = window.setTimeout(() => void poll(), POLL_MS);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const trimmed = scope.trim();
    const body: Record<string, string> = kind === 'month' ? { period: month } : { from, to };
    if (kind === 'range' && (from === '' || to === '')) {
      setError('Enter both the first and the last day of the period.');
      return;
    }
    if (kind === 'month' && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
      setError('Enter the month as YYYY-MM.');
      return;
    }
    if (trimmed !== '') body.scope = trimmed;
    try {
      const created = await post<{ id: string; status: string }>('/api/v1/reports', body);
      setRunning(created.id);
      setMessage(`Generating the report ${created.id}…`);
      onCreated(created.id);
      watch(created.id);
    } catch (failure) {
      setMessage('');
      setError(failureText(failure));
    }
  };

  return (
    <section aria-labelledby="generate-title" class="panel">
      <h2 id="generate-title">Generate a report</h2>
      <form class="report-form" onSubmit={(event) => void submit(event)} noValidate>
        <fieldset>
          <legend>Period</legend>
          <label class="choice">
            <input type="radio" name="period-kind" value="month" checked={kind === 'month'} onChange={() => setKind('month')} /> A calendar month
          </label>
          <label class="choice">
            <input type="radio" name="period-kind" value="range" checked={kind === 'range'} onChange={() => setKind('range')} /> A date range (up to 12 months)
          </label>
        </fieldset>
        {kind === 'month' ? (
          <div class="field">
            <label for="report-month">Month (YYYY-MM, UTC)</label>
            <input id="report-month" type="month" value={month} pattern="\d{4}-\d{2}" required onInput={(event) => setMonth(event.currentTarget.value)} />
          </div>
        ) : (
          <div class="field-row">
            <div class="field">
              <label for="report-from">From (first day, UTC)</label>
              <input id="report-from" type="date" value={from} required onInput={(event) => setFrom(event.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="report-to">To (last day, UTC)</label>
              <input id="report-to" type="date" value={to} required onInput={(event) => setTo(event.currentTarget.value)} />
            </div>
          </div>
        )}
        <div class="field">
          <label for="report-scope">Scope (optional)</label>
          <input id="report-scope" type="text" value={scope} aria-describedby="report-scope-hint" autocomplete="off" onInput={(event) => setScope(event.currentTarget.value)} />
          <p id="report-scope-hint" class="hint">
            A scope named in the policy file, or a subscription id. Empty: the whole fleet.
          </p>
        </div>
        <div class="form-actions">
          <button type="submit" disabled={running !== null}>
            {running !== null ? 'Generating…' : 'Generate report'}
          </button>
          <span class="status-message" role="status" data-testid="generate-status" aria-busy={running !== null ? 'true' : undefined}>
            {message}
          </span>
        </div>
        <Alert>{error}</Alert>
      </form>
    </section>
  );
}
