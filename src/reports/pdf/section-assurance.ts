import type { PoolStatusName } from '../report-schema.js';
import type { SectionId } from '../report-templates.js';
import { templateText, type SectionContext } from './context.js';
import { NONE, formatCount, formatInstant, formatValue } from './format.js';
import { COLOR, CONTENT_BOTTOM, CONTENT_WIDTH, FONT, MARGIN, SIZE, ensureSpace, heading, keyValues, line, paragraph, style, subheading, type Doc } from './layout.js';
import { STATUS_LABELS } from './section-summary.js';
import { DIGEST_WIDTH, drawTable } from './table.js';
import { toPdfText, wrapText } from './text.js';

export async function drawControls(context: SectionContext): Promise<void> {
  const { doc, header, section, titles } = context;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  // A section id the templates do not know is printed as it is, so a mapping is never silently dropped.
  const sectionsText = (ids: readonly string[]) => ids.map((id) => titles.get(id as SectionId) ?? id).join('; ') || NONE;
  await drawTable(
    doc,
    [{ header: 'Framework', width: 1.2 }, { header: 'Control', width: 0.6 }, { header: 'Title', width: 2 }, { header: 'Evidence in sections', width: 2.4 }],
    header.controls.map((c) => [c.framework, c.control, c.title, sectionsText(c.sections)]),
    { size: 8, maxLines: 6, onPageBreak: context.relieve },
  );
}

export async function drawMethodology(context: SectionContext): Promise<void> {
  const { doc, header, section, templates } = context;
  const { methodology } = header;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  keyValues(doc, [
    { label: 'Snapshot schedule', value: methodology.snapshotSchedule === null ? NONE : `${methodology.snapshotSchedule} (cron, UTC)` },
    { label: 'Default patch window', value: `${formatCount(methodology.defaultSlaDays)} days` },
  ]);
  doc.y += 6;
  for (const statement of methodology.statements) {
    subheading(doc, statement.title, 30);
    paragraph(doc, statement.text);
  }
  subheading(doc, 'Status definitions');
  const statuses = Object.keys(STATUS_LABELS) as PoolStatusName[];
  await drawTable(doc, [{ header: 'Status', width: 1 }, { header: 'Definition', width: 4 }], statuses.map((s) => [s, templates.statusDefinitions[s]]), { size: 8, maxLines: 6 });
  subheading(doc, 'Policy versions in force during the period');
  await drawTable(
    doc,
    [{ header: 'Effective from', width: 60 }, { header: 'Content hash (SHA-256)', width: 276, mono: true, minWidth: DIGEST_WIDTH }, { header: 'Source', width: 70 }, { header: 'Rules', width: 100 }],
    methodology.policyVersions.map((v) => [formatInstant(v.effectiveFrom), v.contentHash, v.source ?? NONE, v.rules.map(ruleText).join('; ') || NONE]),
    { maxLines: 8, onPageBreak: context.relieve },
  );
}

function ruleText(rule: Record<string, unknown>): string {
  const name = formatValue(rule['name']);
  return typeof rule['slaDays'] === 'number' ? `${name} (${formatCount(rule['slaDays'])} days)` : name;
}

export async function drawEvidence(context: SectionContext): Promise<void> {
  const { doc, header, section } = context;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  subheading(doc, 'Ledger head checkpoint (signed note)');
  drawMonospaceBlock(context, header.ledgerHead.checkpoint);
  keyValues(doc, [
    { label: 'Root hash', value: header.ledgerHead.rootHash, mono: true },
    { label: 'Entry hash', value: header.ledgerHead.entryHash ?? NONE, mono: true },
    { label: 'Key', value: `${header.ledgerHead.keyName} (key id ${header.ledgerHead.keyId})` },
  ]);
  subheading(doc, `Ledger entries cited by this report (${formatCount(header.evidence.entries.length)})`);
  await drawTable(
    doc,
    [{ header: 'Sequence', width: 40, align: 'right' }, { header: 'Kind', width: 62 }, { header: 'Subject', width: 52 }, { header: 'At', width: 48 }, { header: 'Entry hash (SHA-256)', width: 276, mono: true, minWidth: DIGEST_WIDTH }, { header: 'Proof hashes', width: 36, align: 'right' }],
    header.evidence.entries.map((e) => [formatCount(e.sequence), e.kind, e.subject ?? NONE, formatInstant(e.at), e.entryHash, formatCount(e.inclusionProof.length)]),
    { onPageBreak: context.relieve },
  );
  subheading(doc, 'Limitation', 30);
  paragraph(doc, header.evidence.limitation);
}

/** Text an auditor compares or re-verifies byte for byte: Courier, line by line, framed. */
function drawMonospaceBlock({ doc }: SectionContext, text: string): void {
  style(doc, FONT.mono, SIZE.small, COLOR.text);
  const lines = text.replace(/\n$/, '').split('\n').flatMap((raw) => wrapText(doc, toPdfText(raw), CONTENT_WIDTH - 20, 4));
  const lineHeight = SIZE.small * 1.35;
  ensureSpace(doc, Math.min(lines.length * lineHeight + 16, 300));
  let top = doc.y;
  for (const text of lines) {
    if (doc.y + lineHeight + 8 > CONTENT_BOTTOM) {
      frame(doc, top);
      doc.addPage();
      style(doc, FONT.mono, SIZE.small, COLOR.text);
      top = doc.y;
    }
    line(doc, text, MARGIN.left + 10, doc.y + 8);
    doc.y += lineHeight;
  }
  frame(doc, top);
}

function frame(doc: Doc, top: number): void {
  doc.y += 14;
  doc.rect(MARGIN.left, top, CONTENT_WIDTH, doc.y - top).lineWidth(0.5).strokeColor(COLOR.rule).stroke();
  doc.y += 8;
}

export async function drawAppendix(context: SectionContext): Promise<void> {
  const { doc, header, section, artifacts } = context;
  heading(doc, context.number, section.title);
  templateText(context, 'intro');
  subheading(doc, 'Formats of this report');
  if (artifacts.length === 0) paragraph(doc, 'No other format of this report was rendered before this PDF.', { color: COLOR.muted });
  await drawTable(
    doc,
    [{ header: 'Format', width: 45 }, { header: 'File name', width: 130 }, { header: 'Bytes', width: 55, align: 'right' }, { header: 'SHA-256', width: 276, mono: true, minWidth: DIGEST_WIDTH }],
    artifacts.map((a) => [a.format, a.fileName, formatCount(a.bytes), a.sha256]),
    { onPageBreak: context.relieve },
  );
  subheading(doc, 'Period population (pool × day)');
  await drawTable(
    doc,
    [{ header: 'Rows', width: 55 }, { header: 'Columns', width: 175 }, { header: 'SHA-256', width: 276, mono: true, minWidth: DIGEST_WIDTH }],
    [[formatCount(header.population.rows), header.population.columns.join(', '), header.population.sha256]],
    { maxLines: 6 },
  );
}
