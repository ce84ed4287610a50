import type { ReportHeader } from '../report-schema.js';
import { type OscalContext, toolOrigin } from './context.js';
import { failedControlProps } from './controls.js';
import { code, nonEmpty, prop } from './text.js';

type Json = Record<string, unknown>;

const percent = (value: number | null): string => (value === null ? 'n/a' : `${value} %`);

function summaryObservation(ctx: OscalContext, name: string, title: string, description: string, props: Json['props'], collected: string): Json {
  return {
    uuid: ctx.uuids.report('observation', 'summary', name),
    title,
    description,
    props,
    methods: ['TEST'],
    types: ['control-objective'],
    origins: toolOrigin(ctx),
    collected,
  };
}

function complianceObservation(ctx: OscalContext): Json {
  const { summary: s } = ctx.header;
  const compliant = s.counts.current + s.counts.within_policy;
  const description =
    `At ${s.asOf}, ${compliant} of ${s.total} node pools in scope were current or within policy (${percent(s.compliancePercent)}); ` +
    `${percent(s.compliancePercentWithExceptions)} counting pools under approved exceptions as compliant. Mean of the period's ` +
    `${s.periodAverage.days} daily values: ${percent(s.periodAverage.compliancePercent)} (${percent(s.periodAverage.compliancePercentWithExceptions)} with exceptions). ` +
    'Pools with unknown status count in the denominator and never as compliant.';
  const props = nonEmpty([
    prop('report-id', ctx.header.reportId),
    prop('pools-total', s.total),
    ...Object.entries(s.counts).map(([status, count]) => prop(`pools-${status.replace('_', '-')}`, count)),
    prop('compliance-percent', s.compliancePercent),
    prop('compliance-percent-with-exceptions', s.compliancePercentWithExceptions),
    prop('period-average-compliance-percent', s.periodAverage.compliancePercent),
    prop('period-average-compliance-percent-with-exceptions', s.periodAverage.compliancePercentWithExceptions),
    prop('period-average-days', s.periodAverage.days),
  ]);
  return summaryObservation(ctx, 'compliance', 'Node pool compliance at period end', description, props, s.asOf);
}

/** The control operated throughout the period only if every scheduled snapshot ran and read every subscription. */
export function coverageFailed(coverage: ReportHeader['coverage']): boolean {
  return coverage.ran < coverage.scheduled || coverage.failed > 0 || coverage.partial > 0 || coverage.gaps.length > 0;
}

function coverageObservation(ctx: OscalContext): Json {
  const { coverage: c, period } = ctx.header;
  const description =
    `${c.ran} of ${c.scheduled} scheduled fleet snapshots ran between ${period.from} and ${period.evaluatedUntil} ` +
    `(${c.succeeded} succeeded, ${c.partial} partial, ${c.failed} failed)${c.schedule ? ` on the schedule ${code(c.schedule)}` : ''}; ` +
    `${c.gaps.length} collection gap(s).`;
  const props = nonEmpty([
    prop('report-id', ctx.header.reportId),
    prop('snapshot-schedule', c.schedule),
    prop('snapshots-scheduled', c.scheduled),
    prop('snapshots-ran', c.ran),
    prop('snapshots-succeeded', c.succeeded),
    prop('snapshots-partial', c.partial),
    prop('snapshots-failed', c.failed),
    prop('coverage-gaps', c.gaps.length),
    ...c.gaps.map((gap) =>
      prop('coverage-gap', `${gap.openedAt}/${gap.closedAt ?? 'open'}`, { remarks: `Finding ${code(gap.id)}, state ${code(gap.state)}.` }),
    ),
  ]);
  return summaryObservation(ctx, 'coverage', 'Collection coverage in the period', description, props, period.evaluatedUntil);
}

function remediationObservation(ctx: OscalContext): Json {
  const { summary: s, findings } = ctx.header;
  const hours = (value: number | null) => (value === null ? 'n/a' : `${value} h`);
  const description =
    `${findings.opened.length} finding(s) opened and ${findings.closed.length} closed in the period; ${s.slaBreachesOpened} patch-window ` +
    `breach(es) opened, ${s.remediatedInPeriod} pool(s) remediated. Time to remediate: mean ${hours(s.meanTimeToRemediateHours)}, ` +
    `90th percentile ${hours(s.p90TimeToRemediateHours)}. ${s.exceptionsInForce} exception(s) in force at period end.`;
  const props = nonEmpty([
    prop('report-id', ctx.header.reportId),
    prop('findings-opened', findings.opened.length),
    prop('findings-closed', findings.closed.length),
    prop('findings-open', findings.statistics.open),
    prop('findings-risk-accepted', findings.statistics.riskAccepted),
    prop('sla-breaches-opened', s.slaBreachesOpened),
    prop('remediated-in-period', s.remediatedInPeriod),
    prop('mean-time-to-remediate-hours', s.meanTimeToRemediateHours),
    prop('p90-time-to-remediate-hours', s.p90TimeToRemediateHours),
    prop('exceptions-in-force', s.exceptionsInForce),
  ]);
  return summaryObservation(ctx, 'remediation', 'Findings and time to remediate in the period', description, props, s.asOf);
}

/** The fleet-wide observations that precede the per-pool ones: compliance figures, coverage, remediation. */
export function summaryObservations(ctx: OscalContext): Json[] {
  return [complianceObservation(ctx), coverageObservation(ctx), remediationObservation(ctx)];
}

/** A finding against the controls that cite collection coverage, when collection did not run throughout. */
export function coverageFinding(ctx: OscalContext): Json | undefined {
  if (!coverageFailed(ctx.header.coverage)) return undefined;
  const { target, failed } = ctx.coverageTarget;
  return {
    uuid: ctx.uuids.report('finding', 'coverage'),
    title: 'Collection did not run as scheduled throughout the period',
    description: 'Monitoring must be shown to have operated for the whole period; every missed, partial or failed snapshot is a gap in that record.',
    props: nonEmpty([prop('report-id', ctx.header.reportId), ...failedControlProps(failed)]),
    origins: toolOrigin(ctx),
    target: { ...target, status: { state: 'not-satisfied', reason: 'fail' } },
    'related-observations': [{ 'observation-uuid': ctx.uuids.report('observation', 'summary', 'coverage') }],
  };
}
