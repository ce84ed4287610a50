import { COLOR, CONTENT_WIDTH, FONT, MARGIN, PAGE, line, style, type Doc } from './layout.js';
import { fitText, toPdfText } from './text.js';

export interface ChromeOptions {
  readonly title: string;
  readonly reportId: string;
  readonly periodLabel: string;
  readonly software: string;
  readonly demo: boolean;
  /** Printed as "Page X of Y" when known (second pass); "Page X" otherwise. */
  readonly totalPages?: number | undefined;
}

export interface Chrome {
  readonly pages: () => number;
}

/**
 * Draws the running header and the footer on every page as it is added. With bufferPages off a page cannot be
 * revisited, so the chrome is drawn first; the caller's font and colour are restored afterwards because pdfkit
 * may add the page in the middle of a paragraph it is wrapping.
 */
export function installChrome(doc: Doc, options: ChromeOptions): Chrome {
  let pages = 0;
  doc.on('pageAdded', () => {
    pages += 1;
    const font = (doc as unknown as { _font: { name: string } })._font?.name ?? FONT.regular;
    const size = (doc as unknown as { _fontSize: number })._fontSize ?? 10;
    const { x, y } = doc;
    if (pages > 1) drawRunningHeader(doc, options);
    drawFooter(doc, options, pages);
    doc.font(font).fontSize(size).fillColor(COLOR.text);
    doc.x = x; // where pdfkit put the cursor for the new page: its top margin
    doc.y = y;
  });
  return { pages: () => pages };
}

function drawRunningHeader(doc: Doc, options: ChromeOptions): void {
  const top = 34;
  const right = options.demo ? `DEMO DATA · Report ${options.reportId}` : `Report ${options.reportId}`;
  style(doc, FONT.bold, 7, options.demo ? COLOR.demo : COLOR.muted);
  const rightWidth = Math.min(doc.widthOfString(toPdfText(right)), CONTENT_WIDTH / 2);
  line(doc, fitText(doc, toPdfText(right), rightWidth), MARGIN.left + CONTENT_WIDTH - rightWidth, top, 'right', rightWidth);
  style(doc, FONT.regular, 7, COLOR.muted);
  const left = `${options.title} · ${options.periodLabel}`;
  line(doc, fitText(doc, toPdfText(left), CONTENT_WIDTH - rightWidth - 12), MARGIN.left, top);
  rule(doc, top + 12);
}

function drawFooter(doc: Doc, options: ChromeOptions, page: number): void {
  const top = PAGE.height - MARGIN.bottom + 22;
  rule(doc, top - 6);
  const number = options.totalPages === undefined ? `Page ${page}` : `Page ${page} of ${options.totalPages}`;
  style(doc, FONT.regular, 7, COLOR.muted);
  const numberWidth = doc.widthOfString(number) + 2;
  line(doc, number, MARGIN.left + CONTENT_WIDTH - numberWidth, top, 'right', numberWidth);
  const left = `${options.software} · ${options.reportId}`;
  line(doc, fitText(doc, toPdfText(left), CONTENT_WIDTH - numberWidth - 12), MARGIN.left, top);
}

function rule(doc: Doc, y: number): void {
  doc.save().moveTo(MARGIN.left, y).lineTo(MARGIN.left + CONTENT_WIDTH, y).lineWidth(0.5).strokeColor(COLOR.rule).stroke().restore();
}
