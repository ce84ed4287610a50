import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { count, utc } from '../format.js';
import { bytes, downloadName, failureText, FORMAT_LABEL, FORMAT_ORDER, STATUS_TEXT, type Report } from './reports-shared.js';
import { Alert } from '../page-parts.js';

/** One report: its files with their SHA-256 as the API gives them, the population, and a reproducible sample. */
export function ReportDetail({ report }: { report: Report }) {
  const formats = [...report.formats].sort((a, b) => FORMAT_ORDER.indexOf(a.format) - FORMAT_ORDER.indexOf(b.format));
  const base = `/api/v1/reports/${encodeURIComponent(report.id)}`;
  const pdf = formats.find((file) => file.format === 'pdf');
  return (
    <section aria-labelledby="report-title" class="report-detail" data-testid="report-detail" data-report-id={report.id}>
      <h2 id="report-title">
        Report for {report.period.label}
        {report.scope !== null ? `, scope ${report.scope}` : ''}
      </h2>
      <dl class="facts">
        <div>
          <dt>Report id</dt>
          <dd class="mono">{report.id}</dd>
        </div>
        <div>
          <dt>Period</dt>
          <dd>
            {utc(report.period.from)} to {utc(report.period.to)}
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd data-testid="report-status">{STATUS_TEXT[report.status]}</dd>
        </div>
        <div>
          <dt>Requested</dt>
          <dd>
            {report.requestedBy}, {utc(report.requestedAt)}
          </dd>
        </div>
        <div>
          <dt>Ledger entry</dt>
          <dd data-testid="ledger-entry">{report.ledgerSequence === null ? '—' : `#${report.ledgerSequence} (report_generated)`}</dd>
        </div>
      </dl>
      {report.status === 'running' ? <p aria-busy="true">This report is being generated; its files appear here when it is ready.</p> : null}
      <Alert>{report.status === 'failed' ? `This report failed: ${report.error ?? 'no reason given'}` : null}</Alert>
      {report.status === 'ready' ? (
        <>
          {pdf ? (
            <div class="digest-box">
              <p class="digest-label">
                SHA-256 of <span class="mono">{downloadName(report, pdf.fileName)}</span>
              </p>
              <code class="digest digest-main" data-testid="digest-main">
                {pdf.sha256}
              </code>
              <p class="hint digest-how">
                To check a download, run <code>sha256sum {downloadName(report, pdf.fileName)}</code> and compare its output with the digest shown here; ledger entry{' '}
                {report.ledgerSequence === null ? '' : `#${report.ledgerSequence} `}records the same digest for every format.
              </p>
            </div>
          ) : null}
          <h3 id="report-files-title" class="sub">
            Files
          </h3>
          <div class="table-scroll" role="region" aria-labelledby="report-files-title" tabIndex={0}>
            <table data-testid="report-files">
              <thead>
                <tr>
                  <th scope="col">Format</th>
                  <th scope="col">Download</th>
                  <th scope="col" class="num">Size</th>
                  <th scope="col">SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {formats.map((file) => (
                  <tr key={file.format}>
                    <th scope="row">{FORMAT_LABEL[file.format] ?? file.format}</th>
                    <td>
                      <a href={`${base}/download?format=${encodeURIComponent(file.format)}`} download={downloadName(report, file.fileName)}>
                        Download {FORMAT_LABEL[file.format] ?? file.format}
                      </a>
                    </td>
                    <td class="num">{bytes(file.bytes)}</td>
                    <td>
                      <code class="digest" data-testid={`digest-${file.format}`}>
                        {file.sha256}
                      </code>
                    </td>
                  </tr>
                ))}
                {report.population !== null ? (
                  <tr>
                    <th scope="row">Population CSV</th>
                    <td>
                      <a href={`${base}/population`} download={`${report.id}-population.csv`}>
                        Download population CSV
                      </a>
                    </td>
                    <td class="num">{count(report.population.rows)} rows</td>
                    <td>
                      <code class="digest" data-testid="digest-population">
                        {report.population.sha256}
                      </code>
                    </td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
          <p class="hint after-table">
            The population is every pool in scope on every day of the period, with its status that day; the PDF prints its digest. Each download is recorded in the
            evidence ledger before it is sent.
          </p>
          {report.population !== null ? <SampleForm report={report} base={base} /> : null}
        </>
      ) : null}
    </section>
  );
}

interface Sample {
  readonly seed: string;
  readonly size: number;
  readonly method: string;
  readonly population: { readonly rows: number; readonly sha256: string };
  readonly items: readonly { readonly rank: string; readonly row: Record<string, string>; readonly asOf: string }[];
}

const SAMPLE_COLUMNS = ['date', 'clusterId', 'poolName', 'status', 'nodeImageVersion', 'exposureDays', 'exceptionId'];
const SAMPLE_HEADINGS: Record<string, string> = {
  date: 'Date',
  clusterId: 'Cluster',
  poolName: 'Pool',
  status: 'Status',
  nodeImageVersion: 'Node image',
  exposureDays: 'Exposure (days)',
  exceptionId: 'Exception',
};

/** A sample cell as read: a cluster by its name (the full ARM id is in the CSV), a missing value as a dash. */
function cell(column: string, value: string | undefined): string {
  if (value === undefined || value === '') return '—';
  if (column === 'clusterId') return value.split('/').at(-1) ?? value;
  return value;
}

/** GET /api/v1/reports/{id}/sample: the auditor picks the seed, so anyone can draw the same sample again. */
function SampleForm({ report, base }: { report: Report; base: string }) {
  const [seed, setSeed] = useState('');
  const [size, setSize] = useState('25');
  const [sample, setSample] = useState<Sample | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const query = () => `seed=${encodeURIComponent(seed.trim())}&size=${encodeURIComponent(size)}`;

  const draw = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const n = Number(size);
    if (seed.trim() === '') return setError('Enter a seed: any text you choose, recorded with the sample.');
    if (!Number.isInteger(n) || n < 1 || n > 1000) return setError('The sample size is a whole number from 1 to 1,000.');
    setBusy(true);
    try {
      setSample(await get<Sample>(`${base}/sample?${query()}`));
    } catch (failure) {
      setError(failureText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="sample-title">
      <h3 id="sample-title" class="sub">
        Draw a sample
      </h3>
      <p class="hint">A reproducible random sample of the population: the same seed and size always draw the same rows.</p>
      <form class="sample-form" onSubmit={(event) => void draw(event)} noValidate>
        <div class="field">
          <label for="sample-seed">Seed</label>
          <input id="sample-seed" type="text" value={seed} maxLength={128} autocomplete="off" onInput={(event) => setSeed(event.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="sample-size">Size (1–1,000)</label>
          <input id="sample-size" type="number" min={1} max={1000} step={1} value={size} onInput={(event) => setSize(event.currentTarget.value)} />
        </div>
        <div class="form-actions">
          <button type="submit" class="secondary" disabled={busy}>
            {busy ? 'Drawing…' : 'Draw sample'}
          </button>
        </div>
      </form>
      <Alert>{error}</Alert>
      {sample !== null ? (
        <>
          <p role="status">
            {count(sample.items.length)} of {count(sample.population.rows)} population rows, seed <span class="mono">{sample.seed}</span>.{' '}
            <a href={`${base}/sample?seed=${encodeURIComponent(sample.seed)}&size=${sample.size}&format=csv`} download={`${report.id}-sample-${sample.size}.csv`}>
              Download this sample as CSV
            </a>
          </p>
          <p class="hint">Method: {sample.method}</p>
          <div class="table-scroll" role="region" aria-labelledby="sample-title" tabIndex={0}>
            <table data-testid="sample">
              <thead>
                <tr>
                  <th scope="col">Rank</th>
                  {SAMPLE_COLUMNS.map((column) => (
                    <th key={column} scope="col">
                      {SAMPLE_HEADINGS[column]}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {sample.items.map((item) => (
                  <tr key={item.rank}>
                    <td class="mono">{item.rank.slice(0, 12)}</td>
                    {SAMPLE_COLUMNS.map((column) => (
                      <td key={column} class={column === 'nodeImageVersion' ? 'mono' : undefined}>
                        {cell(column, item.row[column])}
                      </td>
                    ))}
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
