import type { PoolStatusName } from '../report-schema.js';
import { templateText, type SectionContext } from './context.js';
import { NONE, formatCount, formatHours, formatInstant, formatPercent, formatValue } from './format.js';
import { COLOR, CONTENT_WIDTH, FONT, MARGIN, ensureSpace, heading, line, style, subheading, type Doc } from './layout.js';
import { drawTable } from './table.js';
import { fitText, toPdfText } from './text.js';

export const STATUS_LABELS: Readonly<Record<PoolStatusName, string>> = {
  current: 'Current',
  within_policy: 'Within policy',
  non_compliant: 'Non-compliant',
  excepted: 'Excepted',
  unknown: 'Unknown',
};

interface Tile {
  readonly label: string;
  readonly value: string;
  readonly note: string;
}

export async function drawExecutiveSummary(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  const { summary } = header;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  drawTiles(doc, [
    { label: 'Compliant at period end', value: formatPercent(summary.compliancePercent), note: `${formatPercent(summary.compliancePercentWithExceptions)} with exceptions` },
    { label: `Period average (${formatCount(summary.periodAverage.days)} days)`, value: formatPercent(summary.periodAverage.compliancePercent), note: `${formatPercent(summary.periodAverage.compliancePercentWithExceptions)} with exceptions` },
    { label: 'Non-compliant pools', value: formatCount(summary.nonCompliantPools), note: `of ${formatCount(summary.total)} pools in scope` },
    { label: 'Exceptions in force', value: formatCount(summary.exceptionsInForce), note: 'approved, unexpired' },
  ]);
  subheading(doc, 'Key figures');
  const rows: [string, string][] = [
    ['Compliance at period end (current or within policy)', formatPercent(summary.compliancePercent)],
    ['Compliance at period end, approved exceptions counted as compliant', formatPercent(summary.compliancePercentWithExceptions)],
    [`Period average of daily compliance (${formatCount(summary.periodAverage.days)} days)`, formatPercent(summary.periodAverage.compliancePercent)],
    ['Period average, approved exceptions counted as compliant', formatPercent(summary.periodAverage.compliancePercentWithExceptions)],
    ['Pools in scope at period end', formatCount(summary.total)],
    ['Non-compliant pools at period end', formatCount(summary.nonCompliantPools)],
    ['Mean time to remediate', formatHours(summary.meanTimeToRemediateHours)],
    ['90th percentile time to remediate', formatHours(summary.p90TimeToRemediateHours)],
    ['SLA breaches opened in the period', formatCount(summary.slaBreachesOpened)],
    ['Findings remediated in the period', formatCount(summary.remediatedInPeriod)],
    ['Exceptions in force', formatCount(summary.exceptionsInForce)],
  ];
  await drawTable(doc, [{ header: 'Measure', width: 3 }, { header: `Value at ${formatInstant(summary.asOf)}`, width: 1.4, align: 'right' }], rows, { size: 8.5 });
  subheading(doc, 'Pools by status at period end');
  const statuses = Object.keys(STATUS_LABELS) as PoolStatusName[];
  const share = (n: number) => (summary.total === 0 ? NONE : formatPercent((n / summary.total) * 100));
  await drawTable(
    doc,
    [{ header: 'Status', width: 2 }, { header: 'Pools', width: 1, align: 'right' }, { header: 'Share of pools', width: 1, align: 'right' }],
    [...statuses.map((s) => [STATUS_LABELS[s], formatCount(summary.counts[s]), share(summary.counts[s])]), ['Total', formatCount(summary.total), share(summary.total)]],
    { size: 8.5 },
  );
}

/** Four headline figures in boxes: what a reader takes away from the report at a glance. */
function drawTiles(doc: Doc, tiles: readonly Tile[]): void {
  const gap = 10;
  const width = (CONTENT_WIDTH - gap * (tiles.length - 1)) / tiles.length;
  const height = 62;
  ensureSpace(doc, height + 12);
  const top = doc.y + 2;
  tiles.forEach((tile, i) => {
    const x = MARGIN.left + i * (width + gap);
    doc.rect(x, top, width, height).fillColor(COLOR.boxFill).fill();
    doc.rect(x, top, 3, height).fillColor(COLOR.accent).fill();
    style(doc, FONT.regular, 7.5, COLOR.muted);
    line(doc, fitText(doc, toPdfText(tile.label), width - 16), x + 10, top + 8);
    style(doc, FONT.bold, 18, COLOR.accent);
    line(doc, fitText(doc, toPdfText(tile.value), width - 16), x + 10, top + 21);
    style(doc, FONT.regular, 7.5, COLOR.text);
    line(doc, fitText(doc, toPdfText(tile.note), width - 16), x + 10, top + 45);
  });
  doc.fillColor(COLOR.text);
  doc.y = top + height + 12;
}

/** The list laid out `n` to a row, so that a long list of ids takes a third of the pages. */
function* inRowsOf(values: readonly string[], n: number): Generator<string[]> {
  for (let i = 0; i < values.length; i += n) yield values.slice(i, i + n);
}

export async function drawCoverage(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  const { coverage } = header;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  await drawTable(
    doc,
    ['Schedule (cron, UTC)', 'Scheduled', 'Ran', 'Succeeded', 'Partial', 'Failed'].map((h, i) => ({ header: h, width: i === 0 ? 2 : 1, align: i === 0 ? ('left' as const) : ('right' as const) })),
    [[coverage.schedule ?? NONE, ...[coverage.scheduled, coverage.ran, coverage.succeeded, coverage.partial, coverage.failed].map(formatCount)]],
    { size: 8.5 },
  );
  const required = header.dataSource.requiredSubscriptions ?? [];
  if (required.length > 0) {
    subheading(doc, `Required subscriptions (${formatCount(required.length)})`);
    await drawTable(doc, [{ header: 'Subscription', width: 1 }, { header: 'Subscription', width: 1 }, { header: 'Subscription', width: 1 }], inRowsOf(required, 3), {
      onPageBreak: context.relieve,
    });
  }
  if (coverage.gaps.length === 0) {
    templateText(context, 'noGaps');
    return;
  }
  subheading(doc, `Collection gaps (${formatCount(coverage.gaps.length)})`);
  await drawTable(
    doc,
    [{ header: 'Opened', width: 1.3 }, { header: 'Closed', width: 1.3 }, { header: 'Subscription', width: 1.9 }, { header: 'Reason', width: 2.2 }, { header: 'Finding', width: 1.5 }],
    coverage.gaps.map((gap) => [formatInstant(gap.openedAt), gap.closedAt === null ? 'open' : formatInstant(gap.closedAt), gap.subscriptionId ?? NONE, formatValue(gap.detail['reason'] ?? gap.kind), gap.id]),
    { onPageBreak: context.relieve },
  );
}
