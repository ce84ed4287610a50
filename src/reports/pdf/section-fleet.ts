import type { ReportPool } from '../report-schema.js';
import { templateText, type SectionContext } from './context.js';
import { NONE, formatCount, formatPercent } from './format.js';
import { heading } from './layout.js';
import { attentionCount } from './placeholders.js';
import { drawTable, type Column } from './table.js';

const COUNT_COLUMNS: readonly Column[] = [
  { header: 'Pools', width: 34, align: 'right' },
  { header: 'Non-compliant', width: 48, align: 'right' },
  { header: 'Excepted', width: 40, align: 'right' },
  { header: 'Unknown', width: 40, align: 'right' },
];

export async function drawSubscriptions(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  await drawTable(
    doc,
    [
      { header: 'Subscription', width: 150 },
      ...COUNT_COLUMNS,
      { header: 'Current', width: 42, align: 'right' },
      { header: 'Within policy', width: 45, align: 'right' },
      { header: 'Compliance', width: 50, align: 'right' },
      { header: 'With exceptions', width: 55, align: 'right' },
    ],
    header.subscriptions.map((s) => [
      s.subscriptionId,
      ...[s.total, s.counts.non_compliant, s.counts.excepted, s.counts.unknown, s.counts.current, s.counts.within_policy].map(formatCount),
      formatPercent(s.compliancePercent),
      formatPercent(s.compliancePercentWithExceptions),
    ]),
    { onPageBreak: context.relieve },
  );
}

export async function drawClusters(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  await drawTable(
    doc,
    [
      { header: 'Cluster', width: 86 },
      { header: 'Subscription', width: 92 },
      { header: 'Location', width: 50 },
      { header: 'Kubernetes', width: 42 },
      { header: 'Upgrade channel', width: 48 },
      ...COUNT_COLUMNS,
      { header: 'Compliance', width: 44, align: 'right' },
    ],
    header.clusters.map((c) => [
      c.name,
      c.subscriptionId,
      c.location,
      c.kubernetesVersion ?? NONE,
      c.nodeOSUpgradeChannel ?? NONE,
      ...[c.total, c.counts.non_compliant, c.counts.excepted, c.counts.unknown].map(formatCount),
      formatPercent(c.compliancePercent),
    ]),
    { size: 7, onPageBreak: context.relieve },
  );
}

/** Pools listed in the out-of-policy table. */
export function isOutOfPolicy(pool: ReportPool): boolean {
  return pool.status !== 'current' && pool.status !== 'within_policy';
}

// Sized so that the usual AKS image version ("AKSUbuntu-2204gen2containerd-202409.10.0") takes two lines, the rest one.
const ATTENTION_COLUMNS: readonly Column[] = [
  { header: 'Cluster', width: 84 },
  { header: 'Pool', width: 36 },
  { header: 'Node image', width: 113, minWidth: 112 },
  { header: 'Latest image', width: 113, minWidth: 112 },
  { header: 'Exposure (days)', width: 36, align: 'right' },
  { header: 'Status', width: 54, minWidth: 54 },
  { header: 'Upgrade channel', width: 48 },
  { header: 'Policy rule', width: 30 },
];

/** Rows of the out-of-policy table, produced while the table draws: the pools are read in one pass, never held. */
function* attentionRows(pools: Iterable<ReportPool>): Generator<string[]> {
  for (const pool of pools) {
    if (!isOutOfPolicy(pool)) continue;
    yield [
      pool.clusterName,
      pool.poolName,
      pool.nodeImageVersion ?? NONE,
      pool.latestNodeImageVersion ?? NONE,
      formatCount(pool.exposureDays),
      pool.status,
      pool.nodeOSUpgradeChannel ?? NONE,
      pool.policyRule,
    ];
  }
}

export async function drawAttention(context: SectionContext): Promise<void> {
  const { doc, header, model, section } = context;
  heading(doc, context.number, section.title);
  if (attentionCount(header) === 0) {
    templateText(context, 'none');
    return;
  }
  templateText(context, 'intro');
  const drawn = await drawTable(doc, ATTENTION_COLUMNS, attentionRows(model.pools()), { size: 7, maxLines: 3, onPageBreak: context.relieve });
  // The intro printed the count from the summary; a stream that disagrees must not pass unnoticed in an audit.
  if (drawn !== attentionCount(header)) {
    throw new Error(`the pools stream has ${drawn} pools out of policy, the summary counts ${attentionCount(header)}`);
  }
}
