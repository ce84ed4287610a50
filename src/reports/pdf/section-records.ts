import type { ReportHeader } from '../report-schema.js';
import { templateText, type SectionContext } from './context.js';
import { NONE, formatCount, formatHours, formatInstant, formatValue, resourceName } from './format.js';
import { COLOR, CONTENT_WIDTH, FONT, MARGIN, SIZE, ensureSpace, heading, keyValues, line, style, subheading } from './layout.js';
import { fitText, toPdfText } from './text.js';
import { drawTable, type Column } from './table.js';

type Finding = ReportHeader['findings']['opened'][number];
type Exception = ReportHeader['exceptions'][number];

const FINDING_COLUMNS: readonly Column[] = [
  { header: 'Finding', width: 92 },
  { header: 'Kind', width: 52 },
  { header: 'Cluster', width: 62 },
  { header: 'Pool', width: 34 },
  { header: 'Opened', width: 78 },
  { header: 'Closed', width: 78 },
  { header: 'State', width: 48 },
  { header: 'Time to remediate', width: 70, align: 'right' },
];

function findingRow(finding: Finding): string[] {
  return [
    finding.id,
    finding.kind,
    resourceName(finding.clusterId),
    finding.poolName ?? NONE,
    formatInstant(finding.openedAt),
    formatInstant(finding.closedAt),
    finding.state,
    formatHours(finding.timeToRemediateHours),
  ];
}

export async function drawFindings(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  const { opened, closed, statistics } = header.findings;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  if (opened.length === 0 && closed.length === 0) {
    templateText(context, 'none');
    return;
  }
  const lists: [string, readonly Finding[]][] = [
    [`Opened in the period (${formatCount(opened.length)})`, opened],
    [`Closed in the period (${formatCount(closed.length)})`, closed],
  ];
  for (const [title, findings] of lists) {
    if (findings.length === 0) continue;
    subheading(doc, title);
    await drawTable(doc, FINDING_COLUMNS, findings.map(findingRow), { size: 7, onPageBreak: context.relieve });
  }
  subheading(doc, 'Statistics of the findings above');
  await drawTable(
    doc,
    ['Findings', 'SLA breaches', 'Open', 'Risk accepted', 'Remediated', 'Retired', 'Mean TTR', 'p90 TTR'].map((h, i) => ({ header: h, width: i < 6 ? 0.8 : 1.5, align: 'right' as const })),
    [[...[statistics.total, statistics.slaBreaches, statistics.open, statistics.riskAccepted, statistics.remediated, statistics.retired].map(formatCount), formatHours(statistics.meanTimeToRemediateHours), formatHours(statistics.p90TimeToRemediateHours)]],
  );
}

/** What an exception covers, in the words of its scope kind. */
function scopeText(scope: Exception['scope']): string {
  switch (scope.kind) {
    case 'pool':
      return `pool ${resourceName(scope.clusterId)}/${scope.poolName ?? NONE}`;
    case 'cluster':
      return `cluster ${resourceName(scope.clusterId)}`;
    case 'subscription':
      return `subscription ${scope.subscriptionId ?? NONE}`;
    case 'tag':
      return `tag ${scope.tag ?? NONE}`;
  }
}

/**
 * One block per exception rather than a table row: reason and compensating control (up to 2,000 characters each)
 * are the substance of a risk acceptance and are printed whole, across the content width.
 */
export function drawExceptions(context: SectionContext): void {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title);
  if (header.exceptions.length === 0) {
    templateText(context, 'none');
    return;
  }
  templateText(context, 'intro');
  for (const exception of header.exceptions) {
    ensureSpace(doc, 110);
    style(doc, FONT.bold, SIZE.body, COLOR.accent);
    line(doc, fitText(doc, toPdfText(`${exception.id} (${exception.state})`), CONTENT_WIDTH), MARGIN.left, doc.y);
    doc.y += 15;
    keyValues(
      doc,
      [
        { label: 'Scope', value: scopeText(exception.scope) },
        { label: 'Requested', value: `${exception.requestedBy}, ${formatInstant(exception.requestedAt)}` },
        { label: 'Approved', value: exception.approvedBy === null ? NONE : `${exception.approvedBy}, ${formatInstant(exception.approvedAt)}` },
        { label: 'Expires', value: formatInstant(exception.expiresAt) },
        ...(exception.revokedAt === null ? [] : [{ label: 'Revoked', value: `${exception.revokedBy ?? NONE}, ${formatInstant(exception.revokedAt)}` }]),
        { label: 'Ticket', value: exception.ticket },
        { label: 'Reason', value: exception.reason },
        { label: 'Compensating control', value: exception.compensatingControl },
      ],
      { maxLines: 40 },
    );
    doc.moveTo(MARGIN.left, doc.y + 2).lineTo(MARGIN.left + CONTENT_WIDTH, doc.y + 2).lineWidth(0.5).strokeColor(COLOR.rule).stroke();
    doc.y += 12;
  }
}

/** Pools of an upgrade run: names when the run lists pool objects, the values as they are otherwise. */
function poolsText(pools: unknown): string {
  if (!Array.isArray(pools)) return formatValue(pools);
  return pools.map((p: unknown) => (typeof p === 'object' && p !== null && 'poolName' in p ? formatValue((p as { poolName: unknown }).poolName) : formatValue(p))).join(', ') || NONE;
}

/** A run's node-level post-check in a few words: how many nodes ended Ready on the target image. */
function nodesText(evidence: unknown): string {
  if (typeof evidence !== 'object' || evidence === null) return NONE;
  const e = evidence as { reachable?: boolean; nodes?: number; nodesReadyOnTarget?: number; podsLeftUnhealthy?: number };
  if (e.reachable === false) return 'API server not readable';
  return `${e.nodesReadyOnTarget ?? 0}/${e.nodes ?? 0} Ready on target${e.podsLeftUnhealthy ? `, ${e.podsLeftUnhealthy} pods unhealthy` : ''}`;
}

export async function drawUpgrades(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title);
  if (header.upgrades.length === 0) {
    templateText(context, 'none');
    return;
  }
  templateText(context, 'intro');
  await drawTable(
    doc,
    [{ header: 'Run', width: 1.6 }, { header: 'Status', width: 0.9 }, { header: 'Cluster', width: 1.4 }, { header: 'Pools', width: 1.6 }, { header: 'Nodes after', width: 1.2 }, { header: 'Requested by', width: 1 }, { header: 'Finished', width: 1.2 }],
    header.upgrades.map((run) => [
      formatValue(run['runId'] ?? run['id']),
      formatValue(run['status']),
      typeof run['clusterId'] === 'string' ? resourceName(run['clusterId']) : formatValue(run['cluster'] ?? run['clusterName']),
      poolsText(run['pools']),
      nodesText(run['nodeEvidence']),
      formatValue(run['requestedBy']),
      typeof run['finishedAt'] === 'string' ? formatInstant(run['finishedAt']) : NONE,
    ]),
    { onPageBreak: context.relieve },
  );
}

export async function drawNodeChecks(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  const checks = header.nodeChecks;
  heading(doc, context.number, section.title);
  if (checks.ran === 0) {
    templateText(context, 'none');
    return;
  }
  templateText(context, 'intro');
  await drawTable(
    doc,
    [{ header: 'Checks run', width: 1 }, { header: 'Succeeded', width: 1 }, { header: 'Partial', width: 1 }, { header: 'Failed', width: 1 }, { header: 'Last completed', width: 1.6 }, { header: 'Pools compared (last)', width: 1.4 }],
    [[formatValue(checks.ran), formatValue(checks.succeeded), formatValue(checks.partial), formatValue(checks.failed), checks.lastFinishedAt === null ? NONE : formatInstant(checks.lastFinishedAt), formatValue(checks.poolsCompared)]],
    { onPageBreak: context.relieve },
  );
  if (checks.unreachable.length === 0) return;
  await drawTable(
    doc,
    [{ header: 'API server not readable', width: 2 }, { header: 'Checks', width: 0.6 }, { header: 'Last error', width: 3 }],
    checks.unreachable.map((cluster) => [resourceName(cluster.clusterId), formatValue(cluster.checks), cluster.lastError ?? NONE]),
    { onPageBreak: context.relieve },
  );
}
