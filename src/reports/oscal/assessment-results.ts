import type { ReportModel } from '../report-schema.js';
import { createOscalContext, isOutOfPolicy, type OscalContext } from './context.js';
import { reviewedControls } from './controls.js';
import { assessmentAssets, backMatter, metadata } from './document-parts.js';
import { concatIterables, filterIterable, mapIterable } from './iterate.js';
import { lazyArray } from './json-stream.js';
import { poolFinding, poolInventoryItem, poolObservation, poolRisk } from './pools.js';
import { coverageFinding, summaryObservations } from './summary.js';
import { nonEmpty, plain, prop } from './text.js';

type Json = Record<string, unknown>;

/**
 * The OSCAL 1.1.2 assessment-results document of a report, with its per-pool arrays left lazy: each is one pass over
 * `model.pools()` when written, so the document is never whole in memory.
 */
export function assessmentResultsDocument(model: ReportModel): Json {
  const ctx = createOscalContext(model.header);
  const { header } = model;
  return {
    'assessment-results': {
      uuid: ctx.uuids.report('assessment-results'),
      metadata: metadata(ctx, `${header.title}: assessment results, ${header.period.label}`),
      'import-ap': {
        href: `#${ctx.resources.method}`,
        remarks: 'imagewarden publishes no OSCAL assessment plan: the back-matter resource referenced here describes the assessment method.',
      },
      results: [result(ctx, model)],
      'back-matter': backMatter(ctx),
    },
  };
}

function result(ctx: OscalContext, model: ReportModel): Json {
  const { header } = model;
  const outOfPolicy = () => filterIterable(model.pools(), isOutOfPolicy);
  const coverage = coverageFinding(ctx);
  return {
    uuid: ctx.uuids.report('result'),
    title: plain(`${header.title}, ${header.period.label}`),
    description: resultDescription(ctx),
    start: header.period.from,
    end: header.period.to,
    props: nonEmpty([
      prop('report-id', header.reportId),
      prop('period-label', header.period.label),
      prop('period-days', header.period.days),
      prop('evaluated-until', header.period.evaluatedUntil),
    ]),
    'local-definitions': {
      'inventory-items': lazyArray(() => mapIterable(outOfPolicy(), (pool) => poolInventoryItem(ctx, pool))),
      'assessment-assets': assessmentAssets(ctx),
    },
    'reviewed-controls': reviewedControls(header.controls, ctx.resources.nistCatalog),
    observations: lazyArray(() => concatIterables(summaryObservations(ctx), mapIterable(outOfPolicy(), (pool) => poolObservation(ctx, pool)))),
    risks: lazyArray(() => mapIterable(outOfPolicy(), (pool) => poolRisk(ctx, pool))),
    findings: lazyArray(() => concatIterables(coverage ? [coverage] : [], mapIterable(outOfPolicy(), (pool) => poolFinding(ctx, pool)))),
  };
}

function resultDescription(ctx: OscalContext): string {
  const { summary, period } = ctx.header;
  const outOfPolicy = summary.counts.non_compliant + summary.counts.excepted + summary.counts.unknown;
  return (
    `Node image patch compliance of ${summary.total} Azure Kubernetes Service node pool(s) from ${period.from} to ${period.to}. ` +
    `Each of the ${outOfPolicy} pool(s) not current or within policy at ${summary.asOf} is an observation, a risk and a finding; ` +
    'the first observations are the fleet-wide compliance, coverage and remediation figures.'
  );
}
