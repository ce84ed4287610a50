import { once } from 'node:events';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import PDFDocument from 'pdfkit';
import { installChrome } from './pdf/chrome.js';
import type { SectionDrawer } from './pdf/context.js';
import { MARGIN, PAGE, type Doc } from './pdf/layout.js';
import { placeholderValues } from './pdf/placeholders.js';
import { drawAppendix, drawControls, drawEvidence, drawMethodology } from './pdf/section-assurance.js';
import { drawImageAge, drawTrend } from './pdf/section-charts.js';
import { drawCover } from './pdf/section-cover.js';
import { drawAttention, drawClusters, drawSubscriptions } from './pdf/section-fleet.js';
import { drawExceptions, drawFindings, drawUpgrades, drawNodeChecks } from './pdf/section-records.js';
import { drawCoverage, drawExecutiveSummary } from './pdf/section-summary.js';
import type { ArtifactDigest, ReportModel } from './report-schema.js';
import { loadReportTemplates, type ReportTemplates, type SectionId } from './report-templates.js';

const DRAWERS: Readonly<Record<SectionId, SectionDrawer>> = {
  cover: drawCover,
  executive_summary: drawExecutiveSummary,
  coverage: drawCoverage,
  trend: drawTrend,
  image_age: drawImageAge,
  subscriptions: drawSubscriptions,
  clusters: drawClusters,
  attention: drawAttention,
  findings: drawFindings,
  exceptions: drawExceptions,
  upgrades: drawUpgrades,
  node_checks: drawNodeChecks,
  controls: drawControls,
  methodology: drawMethodology,
  evidence: drawEvidence,
  appendix: drawAppendix,
};

export interface RenderPdfResult {
  readonly pages: number;
}

/**
 * Renders the audit report as an A4 PDF streamed to `out`, the sections in the order of the templates. Pages are
 * flushed as they are finished (bufferPages off) and the pools are read as a stream, so memory stays flat however
 * many pools are out of policy. The layout is drawn twice: a first pass into nothing counts the pages, so that every
 * footer can say "Page X of Y" — an auditor sees at once whether a printed copy is complete — and `model.pools()` is
 * therefore iterated twice (once per pass). The bytes depend only on the arguments: the creation date is the report's
 * generation time, and pdfkit derives the file ID from the document info.
 * `out` is ended when the PDF is complete; on failure it is left open for the caller to discard.
 */
export async function renderPdf(
  model: ReportModel,
  artifacts: readonly ArtifactDigest[],
  out: NodeJS.WritableStream,
  templates: ReportTemplates = loadReportTemplates(),
): Promise<RenderPdfResult> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  // Compression changes no position on a page, only the bytes: the counting pass skips it.
  const counted = await renderPass({ model, artifacts, out: discard, templates, totalPages: undefined, compress: false });
  const rendered = await renderPass({ model, artifacts, out, templates, totalPages: counted, compress: true });
  if (rendered !== counted) throw new Error(`the PDF has ${rendered} pages but its footers say ${counted}`);
  return { pages: rendered };
}

interface PassOptions {
  readonly model: ReportModel;
  readonly artifacts: readonly ArtifactDigest[];
  readonly out: NodeJS.WritableStream;
  readonly templates: ReportTemplates;
  readonly totalPages: number | undefined;
  readonly compress: boolean;
}

/** Draws every section once into `out`; returns the number of pages. */
async function renderPass({ model, artifacts, out, templates, totalPages, compress }: PassOptions): Promise<number> {
  const { header } = model;
  const doc = createDocument(model, templates, compress);
  const chrome = installChrome(doc, {
    title: templates.title,
    reportId: header.reportId,
    periodLabel: header.period.label,
    software: `${header.software.name} ${header.software.version}`,
    demo: header.dataSource.demo,
    totalPages,
  });
  const relieve = () => drain(out);
  doc.pipe(out);
  try {
    doc.addPage();
    const values = placeholderValues(header, templates);
    const titles = sectionTitles(templates);
    let number = 0;
    for (const section of templates.sections) {
      // The cover is a page of its own: whatever follows it starts overleaf.
      if (section.id === 'cover') startPage(doc);
      const context = { doc, model, header, artifacts, templates, section, values, titles, relieve };
      await DRAWERS[section.id]({ ...context, number: section.id === 'cover' ? null : ++number });
      if (section.id === 'cover') doc.addPage();
      await relieve();
    }
    doc.end();
    await finished(out);
  } catch (error) {
    doc.unpipe(out);
    throw error;
  }
  return chrome.pages();
}

function createDocument(model: ReportModel, templates: ReportTemplates, compress: boolean): Doc {
  const { header } = model;
  const generatedAt = new Date(header.generatedAt);
  return new PDFDocument({
    size: PAGE.size,
    margins: MARGIN,
    autoFirstPage: false,
    bufferPages: false,
    compress,
    displayTitle: true,
    lang: 'en',
    info: {
      Title: `${templates.title} — ${header.period.label}`,
      Author: 'imagewarden',
      Subject: `${templates.subtitle}; report ${header.reportId}; period ${header.period.from} to ${header.period.to}`,
      Creator: `${header.software.name} ${header.software.version}`,
      Producer: `${header.software.name} ${header.software.version} (pdfkit)`,
      CreationDate: generatedAt,
      ModDate: generatedAt,
    },
  });
}

/** Numbered titles, "3 Collection coverage", as the control mapping cites the headings. */
function sectionTitles(templates: ReportTemplates): Map<SectionId, string> {
  let number = 0;
  return new Map(templates.sections.map((s) => [s.id, s.id === 'cover' ? s.title : `${++number} ${s.title}`]));
}

function startPage(doc: Doc): void {
  if (doc.y > MARGIN.top) doc.addPage();
}

/**
 * pdfkit pushes output regardless of back-pressure, and the drawing loop is synchronous: yielding to the event loop
 * lets the pipe hand finished pages to `out`, and waiting for 'drain' keeps a slow consumer from piling them up here.
 * An output closed early (a client that went away) ends the rendering instead of leaving it waiting for ever.
 */
async function drain(out: NodeJS.WritableStream): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const stream = out as { writableNeedDrain?: boolean; destroyed?: boolean };
  if (stream.destroyed === true) throw new Error('the output stream was closed before the PDF was complete');
  if (stream.writableNeedDrain !== true) return;
  const waiting = new AbortController();
  try {
    await Promise.race([
      once(out, 'drain', { signal: waiting.signal }),
      once(out, 'close', { signal: waiting.signal }).then(() => {
        throw new Error('the output stream was closed before the PDF was complete');
      }),
    ]);
  } finally {
    waiting.abort(); // removes the listener that lost the race
  }
}
