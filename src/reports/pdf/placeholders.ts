import type { ReportHeader } from '../report-schema.js';
import type { PlaceholderValues, ReportTemplates } from '../report-templates.js';
import { NONE, formatCount, formatInstant } from './format.js';

/** Pools listed in "Pools out of policy": every status other than current and within_policy. */
export function attentionCount(header: ReportHeader): number {
  const { counts } = header.summary;
  return counts.non_compliant + counts.excepted + counts.unknown;
}

/** The value of every placeholder the templates may use, formatted as the report prints it. */
export function placeholderValues(header: ReportHeader, templates: ReportTemplates): PlaceholderValues {
  const { coverage, period } = header;
  const definitions = templates.statusDefinitions;
  return {
    reportId: header.reportId,
    periodLabel: period.label,
    periodFrom: formatInstant(period.from),
    periodTo: formatInstant(period.to),
    asOf: formatInstant(header.summary.asOf),
    generatedAt: formatInstant(header.generatedAt),
    scope: header.scope.name ?? 'Whole fleet',
    total: formatCount(header.summary.total),
    ran: formatCount(coverage.ran),
    scheduled: formatCount(coverage.scheduled),
    succeeded: formatCount(coverage.succeeded),
    partial: formatCount(coverage.partial),
    failed: formatCount(coverage.failed),
    attentionCount: formatCount(attentionCount(header)),
    armEndpoint: header.dataSource.armEndpoint,
    azureCloud: header.dataSource.azureCloud,
    snapshotSchedule: header.methodology.snapshotSchedule ?? NONE,
    nodeCheckSchedule: header.nodeChecks.schedule ?? 'off',
    defaultSlaDays: String(header.methodology.defaultSlaDays),
    statusDefinitions: Object.entries(definitions)
      .map(([status, text]) => `${status}: ${text}`)
      .join(' '),
  };
}
