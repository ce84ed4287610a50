import PDFDocument from 'pdfkit';
import { nodePostcheckEvidence } from '../domain/node-evidence.js';
import type { UpgradeRunRecord } from '../store/upgrade-repository.js';
import { formatInstant, NONE } from './pdf/format.js';
import { COLOR, CONTENT_WIDTH, FONT, MARGIN, PAGE } from './pdf/layout.js';
import { fitText, toPdfText } from './pdf/text.js';

interface CertificateEvent {
  readonly sequence: number;
  readonly event: string;
  readonly at: string;
  readonly entryHash: string;
  readonly data?: Record<string, unknown>;
}

const NODE_ROWS = 12;

/**
 * The one-page certificate of a recorded upgrade: the change record (requester, approver, reason, ticket), each pool
 * before and after with its Kubernetes version (unchanged: node-image-only), the pre- and post-check verdicts and the
 * ledger entries that prove it. Deterministic: the same run renders the same bytes.
 */
export function renderUpgradeCertificate(run: UpgradeRunRecord, events: readonly CertificateEvent[], head: { size: number; rootHash: string }): Promise<Buffer> {
  const generated = new Date(run.finishedAt ?? run.createdAt);
  const doc = new PDFDocument({ size: PAGE.size, margins: MARGIN, info: { Title: `Node image upgrade certificate ${run.id}`, Author: 'imagewarden', CreationDate: generated, ModDate: generated } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const text = (value: string | null | undefined) => toPdfText(value ?? NONE);
  const line = (label: string, value: string | null | undefined) => {
    const y = doc.y;
    doc.font(FONT.bold).fontSize(8.5).fillColor(COLOR.muted).text(label, MARGIN.left, y, { width: 130 });
    doc.font(FONT.regular).fontSize(9).fillColor(COLOR.text).text(fitText({ widthOfString: (t: string) => doc.widthOfString(t) }, text(value), CONTENT_WIDTH - 140), MARGIN.left + 140, y, { width: CONTENT_WIDTH - 140, lineBreak: false });
    doc.moveDown(0.45);
  };
  doc.font(FONT.bold).fontSize(18).fillColor(COLOR.accent).text('Node image upgrade certificate', MARGIN.left, MARGIN.top);
  doc.font(FONT.regular).fontSize(10).fillColor(COLOR.muted).text('A node-image-only upgrade of an Azure Kubernetes Service cluster, recorded by imagewarden').moveDown(1);
  line('Run', run.id);
  line('Outcome', run.status.toUpperCase() + (run.error ? ` (${run.error.code}: ${run.error.message})` : ''));
  line('Cluster', run.clusterId);
  line('Requested by', `${run.requestedBy} at ${formatInstant(run.createdAt)}`);
  line('Approved by', run.approvedBy ?? 'no approval required by policy');
  line('Reason', run.reason);
  line('Change ticket', run.changeTicket);
  line('Started / finished', `${formatInstant(run.startedAt)} / ${formatInstant(run.finishedAt)}`);
  doc.moveDown(0.6);
  doc.font(FONT.bold).fontSize(11).fillColor(COLOR.accent).text('Pools', MARGIN.left).moveDown(0.3);
  const columns = [{ title: 'Pool', width: 60 }, { title: 'Status', width: 62 }, { title: 'Image before', width: 135 }, { title: 'Image after', width: 135 }, { title: 'Kubernetes before → after', width: CONTENT_WIDTH - 392 }];
  const row = (cells: string[], bold = false, widths: readonly { width: number }[] = columns) => {
    const y = doc.y;
    let x = MARGIN.left;
    doc.font(bold ? FONT.bold : FONT.regular).fontSize(7.5).fillColor(COLOR.text);
    cells.forEach((cell, i) => {
      doc.text(fitText({ widthOfString: (t: string) => doc.widthOfString(t) }, text(cell), widths[i]!.width - 4), x, y, { width: widths[i]!.width - 4, lineBreak: false });
      x += widths[i]!.width;
    });
    doc.moveDown(0.5);
  };
  row(columns.map((c) => c.title), true);
  for (const pool of run.pools.slice(0, 20)) {
    row([pool.poolName, pool.status, pool.imageBefore ?? NONE, pool.imageAfter ?? NONE, `${pool.kubernetesVersionBefore ?? NONE} → ${pool.kubernetesVersionAfter ?? NONE}`]);
  }
  doc.moveDown(0.6);
  const verdicts = { ok: 0, warn: 0, block: 0 };
  for (const check of run.prechecks) verdicts[check.verdict]++;
  line('Pre-checks', `${run.prechecks.length} checks: ${verdicts.ok} ok, ${verdicts.warn} warn, ${verdicts.block} block`);
  const post = events.find((e) => e.event === 'postchecks');
  line('Post-checks', post ? `recorded at ${formatInstant(post.at)} (ledger entry ${post.sequence})` : 'not reached');
  const nodes = nodePostcheckEvidence((post?.data?.checks ?? []) as { name: string }[]);
  if (nodes?.unreachable) line('Node-level checks', `API server not reachable (${nodes.unreachable.error ?? 'no reason given'}): ARM alone confirms this run`);
  const nodeLists = nodes?.pools ?? [];
  if (nodeLists.length > 0) {
    line('Node-level checks', `${nodeLists.filter((pool) => pool.settled).length} of ${nodeLists.length} pools with every node Ready on the target image; ${nodes!.podsLeftUnhealthy} pods left Pending or crash-looping by the run`);
    doc.moveDown(0.3);
    doc.font(FONT.bold).fontSize(11).fillColor(COLOR.accent).text('Nodes after the upgrade (from the cluster\'s API server)', MARGIN.left).moveDown(0.3);
    const nodeRows = nodeLists.flatMap((pool) => pool.nodes.map((n) => [pool.poolName, n.name, n.ready ? 'Ready' : 'NotReady', n.cordoned ? 'cordoned' : 'schedulable', n.image ?? NONE]));
    const nodeColumns = [{ width: 60 }, { width: 150 }, { width: 50 }, { width: 62 }, { width: CONTENT_WIDTH - 322 }];
    row(['Pool', 'Node', 'Ready', 'Scheduling', 'Image label'], true, nodeColumns);
    for (const cells of nodeRows.slice(0, NODE_ROWS)) row(cells, false, nodeColumns);
    if (nodeRows.length > NODE_ROWS) line('', `and ${nodeRows.length - NODE_ROWS} more nodes, listed in the post-checks entry ${post!.sequence}`);
  }
  doc.moveDown(0.6);
  doc.font(FONT.bold).fontSize(11).fillColor(COLOR.accent).text('Evidence', MARGIN.left).moveDown(0.3);
  for (const event of events.slice(-(nodeLists.length > 0 ? 8 : 14))) line(`#${event.sequence} ${event.event}`, `${formatInstant(event.at)}  ${event.entryHash}`);
  line('Ledger head', `${head.size} entries, root ${head.rootHash}`);
  doc.moveDown(0.4);
  doc.font(FONT.italic).fontSize(8).fillColor(COLOR.muted).text('Verify with `imagewarden verify`, or against an exported bundle offline; every entry above is in the evidence ledger whose head is printed.', MARGIN.left, doc.y, { width: CONTENT_WIDTH });
  doc.end();
  return done;
}
