import { useEffect, useState } from 'preact/hooks';
import { failureText, get } from '../api.js';
import { count, percent, utc } from '../format.js';
import type { StatusCounts } from '../types.js';

export interface TrendDay {
  readonly day: string;
  readonly at: string;
  readonly total: number;
  readonly counts: StatusCounts;
  readonly compliancePercent: number | null;
  readonly compliancePercentWithExceptions: number | null;
}

const DAYS = 30;
const [W, H, L, R, T, B] = [640, 200, 56, 12, 12, 30];
const x = (i: number, n: number) => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
const y = (value: number) => T + ((100 - value) * (H - T - B)) / 100;
/** A line through the days with a value; a day without one (no snapshot yet) breaks it. */
function line(items: readonly TrendDay[], pick: (d: TrendDay) => number | null): string {
  let path = '';
  let drawing = false;
  items.forEach((d, i) => {
    const v = pick(d);
    path += v === null ? '' : `${drawing ? 'L' : 'M'}${x(i, items.length).toFixed(1)},${y(v).toFixed(1)}`;
    drawing = v !== null;
  });
  return path;
}
const SERIES = [
  { key: 'compliancePercent', label: 'Compliant (current or within policy)', css: 'trend-compliant' },
  { key: 'compliancePercentWithExceptions', label: 'Counting approved exceptions as compliant', css: 'trend-excepted' },
] as const;

/** The last DAYS days' compliance (GET /api/v1/compliance/trend), loaded apart so the overview never waits for it. */
export function Trend({ refreshKey }: { refreshKey: string }) {
  const [items, setItems] = useState<readonly TrendDay[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ items: TrendDay[] }>(`/api/v1/compliance/trend?days=${DAYS}`).then(
      (trend) => (setItems(trend.items), setError(null)),
      (failure) => setError(failureText(failure)),
    );
  }, [refreshKey]);
  const known = items?.filter((d) => d.compliancePercent !== null) ?? [];
  const first = known[0];
  const last = known.at(-1);
  const summary = first && last ? `Compliance from ${first.day} to ${last.day}: ${percent(first.compliancePercent)} to ${percent(last.compliancePercent)}; counting exceptions, ${percent(first.compliancePercentWithExceptions)} to ${percent(last.compliancePercentWithExceptions)}.` : 'No compliance figures in the last 30 days yet.';
  return (
    <section aria-labelledby="trend-title" data-testid="trend">
      <h2 id="trend-title">Compliance trend, last {DAYS} days</h2>
      <p class="hint">Each day's figures at 23:59:59 UTC (today's as of now), counted as in the summary above.</p>
      {error !== null ? <p class="error" role="alert">Could not load the trend: {error}</p> : null}
      {items === null && error === null ? <p aria-busy="true">Loading the trend…</p> : null}
      {items ? (
        <>
          {first && first !== items[0] ? <p class="hint" data-testid="trend-start">No figures before {first.day}: imagewarden's first fleet snapshot in these days.</p> : null}
          <ul class="trend-legend">
            {SERIES.map((s) => <li key={s.key}><span class={`trend-swatch ${s.css}`} aria-hidden="true" />{s.label}</li>)}
          </ul>
          <svg class="trend-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="trend-svg-title" data-testid="trend-chart">
            <title id="trend-svg-title">{summary}</title>
            {[0, 25, 50, 75, 100].map((v) => (
              <g key={v} class="trend-grid"><line x1={L} x2={W - R} y1={y(v)} y2={y(v)} /><text x={L - 6} y={y(v) + 4} text-anchor="end">{v} %</text></g>
            ))}
            {items.length > 0 ? [0, Math.floor((items.length - 1) / 2), items.length - 1].filter((i, n, all) => all.indexOf(i) === n).map((i) => (
              <text key={i} class="trend-axis" x={x(i, items.length)} y={H - 6} text-anchor={i === 0 ? 'start' : i === items.length - 1 ? 'end' : 'middle'}>{items[i]!.day}</text>
            )) : null}
            {SERIES.map((s) => <path key={s.key} class={`trend-line ${s.css}`} d={line(items, (d) => d[s.key])} />)}
            {SERIES.map((s) => items.map((d, i) => (d[s.key] === null ? null : <circle key={`${s.key}${i}`} class={s.css} cx={x(i, items.length)} cy={y(d[s.key]!)} r={s.css === 'trend-compliant' ? 4 : 2} />)))}
          </svg>
          <details class="trend-details">
            <summary>The figures by day</summary>
            <div class="table-scroll" role="region" aria-label="Compliance by day" tabIndex={0}>
              <table data-testid="trend-table">
                <thead><tr><th scope="col">Day</th><th scope="col">Taken at</th><th scope="col" class="num">Pools</th><th scope="col" class="num">Compliant</th><th scope="col" class="num">With exceptions</th></tr></thead>
                <tbody>
                  {items.map((d) => (
                    <tr key={d.day}><th scope="row">{d.day}</th><td>{utc(d.at)}</td><td class="num">{count(d.total)}</td><td class="num">{percent(d.compliancePercent)}</td><td class="num">{percent(d.compliancePercentWithExceptions)}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      ) : null}
    </section>
  );
}
