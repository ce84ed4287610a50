import { fitText, toPdfText, wrapText } from './text.js';

/**
 * Page geometry, typography and the small drawing helpers every section uses. All positions are computed here and
 * in the table and chart modules; text is drawn with explicit coordinates and `lineBreak: false`, so pdfkit never
 * adds a page on its own in the middle of a table row.
 */

export type Doc = PDFKit.PDFDocument;

export const PAGE = { size: 'A4', width: 595.28, height: 841.89 } as const;
export const MARGIN = { top: 70, bottom: 62, left: 42, right: 42 } as const;
export const CONTENT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
export const CONTENT_BOTTOM = PAGE.height - MARGIN.bottom;

export const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique', mono: 'Courier' } as const;
export const COLOR = {
  text: '#1a1a1a',
  muted: '#5c5c5c',
  accent: '#1f3a5f',
  rule: '#b8b8b8',
  headerFill: '#e3e3e3',
  zebra: '#f5f5f5',
  boxFill: '#f7f7f7',
  series2: '#8c6d1f',
  demo: '#b00020',
} as const;
export const SIZE = { body: 9.5, small: 8, table: 7.5, heading: 14, subheading: 10.5 } as const;

/** Sets font, size and colour in one call; every piece of text names its style explicitly. */
export function style(doc: Doc, font: string, size: number, color: string = COLOR.text): Doc {
  return doc.font(font).fontSize(size).fillColor(color);
}

/**
 * One line of text at (x, y), never wrapped and never paginated; the caller has fitted it to its width. The cursor
 * is left where it was: callers position everything explicitly.
 */
export function line(doc: Doc, text: string, x: number, y: number, align: 'left' | 'right' | 'center' = 'left', width = 0): void {
  const safe = toPdfText(text);
  const offset = align === 'left' ? 0 : width - doc.widthOfString(safe);
  const cursor = { x: doc.x, y: doc.y };
  doc.text(safe, x + (align === 'center' ? offset / 2 : offset), y, { lineBreak: false });
  doc.x = cursor.x;
  doc.y = cursor.y;
}

/** Starts a new page when fewer than `height` points are left; returns whether it did. */
export function ensureSpace(doc: Doc, height: number): boolean {
  if (doc.y + height <= CONTENT_BOTTOM) return false;
  doc.addPage();
  return true;
}

/** A wrapped paragraph across the content width; pdfkit paginates it if it is longer than the page. */
export function paragraph(doc: Doc, text: string, options: { font?: string; size?: number; color?: string; gap?: number } = {}): void {
  style(doc, options.font ?? FONT.regular, options.size ?? SIZE.body, options.color ?? COLOR.text);
  const safe = text.split('\n').map(toPdfText).join('\n');
  const height = doc.heightOfString(safe, { width: CONTENT_WIDTH, lineGap: 1.5 });
  // A short paragraph moves whole to the next page; a long one starts here and pdfkit continues it overleaf.
  ensureSpace(doc, height <= 120 ? height : 40);
  doc.text(safe, MARGIN.left, doc.y, { width: CONTENT_WIDTH, lineGap: 1.5 });
  doc.y += options.gap ?? 8;
}

/** A section heading, kept with at least `keep` points of what follows so it never ends a page alone. */
export function heading(doc: Doc, number: number | null, title: string, keep = 90): void {
  const text = toPdfText(number === null ? title : `${number}  ${title}`);
  if (doc.y > MARGIN.top) doc.y += 10;
  style(doc, FONT.bold, SIZE.heading, COLOR.accent);
  const lines = wrapText(doc, text, CONTENT_WIDTH, 2); // template titles are free text: wrapped, never off the page
  ensureSpace(doc, 12 + lines.length * 18 + keep);
  doc.outline.addItem(text);
  style(doc, FONT.bold, SIZE.heading, COLOR.accent);
  for (const part of lines) {
    line(doc, part, MARGIN.left, doc.y);
    doc.y += 18;
  }
  doc.y += 2;
  doc.moveTo(MARGIN.left, doc.y).lineTo(MARGIN.left + CONTENT_WIDTH, doc.y).lineWidth(0.75).strokeColor(COLOR.accent).stroke();
  doc.y += 10;
}

export function subheading(doc: Doc, title: string, keep = 60): void {
  doc.y += 4;
  ensureSpace(doc, 16 + keep);
  style(doc, FONT.bold, SIZE.subheading, COLOR.text);
  line(doc, fitText(doc, toPdfText(title), CONTENT_WIDTH), MARGIN.left, doc.y);
  doc.y += 16;
}

export interface KeyValue {
  readonly label: string;
  readonly value: string;
  readonly mono?: boolean;
}

/** Label/value pairs, labels in a fixed column; values wrap (up to `maxLines`) and never leave the content width. */
export function keyValues(doc: Doc, rows: readonly KeyValue[], options: { labelWidth?: number; x?: number; width?: number; maxLines?: number } = {}): void {
  const x = options.x ?? MARGIN.left;
  const labelWidth = options.labelWidth ?? 130;
  const valueWidth = (options.width ?? CONTENT_WIDTH) - labelWidth;
  for (const row of rows) {
    style(doc, row.mono ? FONT.mono : FONT.regular, row.mono ? SIZE.small : SIZE.body, COLOR.text);
    const lines = wrapText(doc, toPdfText(row.value), valueWidth, options.maxLines ?? 4);
    const lineHeight = (row.mono ? SIZE.small : SIZE.body) * 1.3;
    ensureSpace(doc, lines.length * lineHeight + 4);
    const top = doc.y;
    lines.forEach((text, n) => line(doc, text, x + labelWidth, top + n * lineHeight + (row.mono ? 1 : 0)));
    style(doc, FONT.bold, SIZE.small, COLOR.muted);
    line(doc, fitText(doc, toPdfText(row.label), labelWidth - 8), x, top + 1);
    doc.y = top + lines.length * lineHeight + 4;
  }
}
