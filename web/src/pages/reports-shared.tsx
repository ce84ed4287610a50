
/** GET /api/v1/reports/{id} (src/http/routes/reports.ts). */
export interface Report {
  readonly id: string;
  readonly status: 'running' | 'ready' | 'failed';
  readonly period: { readonly from: string; readonly to: string; readonly label: string };
  readonly scope: string | null;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly formats: readonly { readonly format: string; readonly fileName: string; readonly sha256: string; readonly bytes: number }[];
  readonly population: { readonly rows: number; readonly sha256: string } | null;
  readonly ledgerSequence: number | null;
}

/** The formats in the order an auditor reaches for them, with what each is. */
export const FORMAT_LABEL: Record<string, string> = {
  pdf: 'PDF',
  json: 'JSON',
  csv: 'CSV',
  'oscal-ar': 'OSCAL assessment results',
  'oscal-poam': 'OSCAL POA&M',
};
export const FORMAT_ORDER = ['pdf', 'json', 'csv', 'oscal-ar', 'oscal-poam'];

export const STATUS_TEXT: Record<Report['status'], string> = { running: 'Running', ready: 'Ready', failed: 'Failed' };

/** The name the API's Content-Disposition gives a download: `<report id>-<file name>`. */
export function downloadName(report: Report, fileName: string): string {
  return `${report.id}-${fileName}`;
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

export { failureText } from '../api.js';
