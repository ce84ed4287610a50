import type { ReportModel, ReportPool } from './report-schema.js';

/** CSV columns of the pool table: every CONTRACT.md pool field, in that order. */
export const POOL_COLUMNS: readonly (keyof ReportPool)[] = [
  'clusterId', 'clusterName', 'subscriptionId', 'resourceGroup', 'location', 'poolName', 'mode', 'osType', 'osSku', 'nodeCount',
  'nodeImageVersion', 'latestNodeImageVersion', 'kubernetesVersion', 'nodeOSUpgradeChannel', 'imageFamily', 'imageReleaseDate',
  'imageAgeDays', 'latestReleaseDate', 'daysBehindLatest', 'releasesBehind', 'supersededAt', 'supersededAtSource', 'exposureDays',
  'firstSeenBehindAt', 'status', 'policyRule', 'slaDays', 'exceptionId', 'findingId', 'observedAt',
];

/**
 * One CSV line (RFC 4180, CRLF). Cells a spreadsheet would read as a formula (leading = + - @ tab CR) get a
 * leading apostrophe (OWASP CSV injection): cluster names and tags are set by anyone with Contributor rights.
 */
export function csvLine(cells: readonly (string | number | null)[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    const raw = cells[i];
    let cell = raw === null || raw === undefined ? '' : String(raw);
    if (FORMULA_START.test(cell)) cell = `'${cell}`;
    if (NEEDS_QUOTES.test(cell)) cell = `"${cell.replaceAll('"', '""')}"`;
    line += i === 0 ? cell : `,${cell}`;
  }
  return `${line}\r\n`;
}

// Written out rather than one csv-stringify call per row: 1.2 M population rows spent ~3 s in per-call set-up
// (bench/report). A property test checks this against csv-stringify's own output, byte for byte.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** The pool table at period end: the whole population of pools, one row each. */
export async function renderPoolCsv(model: ReportModel, out: NodeJS.WritableStream): Promise<void> {
  await write(out, csvLine(POOL_COLUMNS));
  for (const pool of model.pools()) await write(out, csvLine(POOL_COLUMNS.map((column) => pool[column] as string | number | null)));
}

/** Writes and waits for drain when the stream's buffer is full: memory stays flat whatever the row count. */
export function write(out: NodeJS.WritableStream, text: string): Promise<void> | void {
  if (out.write(text)) return;
  return new Promise((resolve) => out.once('drain', () => resolve()));
}
