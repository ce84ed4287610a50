import { COLOR, CONTENT_BOTTOM, CONTENT_WIDTH, FONT, MARGIN, SIZE, line, type Doc } from './layout.js';
import { toPdfText, wrapText, type Measure } from './text.js';

export interface Column {
  readonly header: string;
  /** Share of the content width; the shares of a table are scaled to fill it. */
  readonly width: number;
  readonly align?: 'left' | 'right';
  /** Hashes and checkpoint text: fixed-width Courier, so an auditor can compare them character by character. */
  readonly mono?: boolean;
  /** Points the column needs at least, e.g. DIGEST_WIDTH for a SHA-256 on one line. */
  readonly minWidth?: number;
}

export interface TableOptions {
  readonly size?: number;
  /** Lines a cell may wrap to before it is cut with an ellipsis. */
  readonly maxLines?: number;
  /** Awaited after each page the table adds, so the piped output drains while a long table is drawn. */
  readonly onPageBreak?: () => Promise<void>;
}

const PAD_X = 3;
const PAD_Y = 2.5;
/** A 64-digit hex digest in 7 pt Courier (0.6 em a glyph) with the cell padding: it is never wrapped. */
export const DIGEST_WIDTH = 64 * 0.6 * 7 + 2 * PAD_X + 1;

interface Layout {
  readonly xs: readonly number[];
  readonly widths: readonly number[];
  readonly size: number;
  readonly lineHeight: number;
  readonly maxLines: number;
}

/**
 * Draws a table from rows pulled one at a time, so a table of 10,000 rows never exists as an array. The header row
 * is drawn on every page the table reaches, and only together with at least one data row, so a page never ends in
 * an orphaned header. Every cell is wrapped to its column and cut with an ellipsis past `maxLines`.
 * Returns the number of data rows drawn.
 */
export async function drawTable(doc: Doc, columns: readonly Column[], rows: Iterable<readonly string[]>, options: TableOptions = {}): Promise<number> {
  const layout = layoutOf(doc, columns, options);
  const header = columns.map((c) => c.header);
  let headerOnPage = false;
  let count = 0;
  for (const row of rows) {
    const cells = cellLines(doc, columns, layout, row);
    const height = rowHeight(layout, cells);
    const headerCells = headerOnPage ? null : cellLines(doc, columns, layout, header, true);
    const needed = height + (headerCells === null ? 0 : rowHeight(layout, headerCells));
    // On a fresh page the row is drawn whatever its height: adding another page could not make it fit better.
    if (doc.y + needed > CONTENT_BOTTOM && doc.y > MARGIN.top) {
      doc.addPage();
      headerOnPage = false;
      await options.onPageBreak?.();
    }
    if (!headerOnPage) {
      drawRow(doc, columns, layout, cellLines(doc, columns, layout, header, true), 'header');
      headerOnPage = true;
    }
    drawRow(doc, columns, layout, cells, count % 2 === 1 ? 'zebra' : 'plain');
    count += 1;
  }
  if (count > 0) {
    doc.moveTo(MARGIN.left, doc.y).lineTo(MARGIN.left + CONTENT_WIDTH, doc.y).lineWidth(0.5).strokeColor(COLOR.rule).stroke();
    doc.y += 8;
  }
  return count;
}

function layoutOf(doc: Doc, columns: readonly Column[], options: TableOptions): Layout {
  const size = options.size ?? SIZE.table;
  const widths = columnWidths(doc, columns, size);
  const xs = widths.map((_, i) => MARGIN.left + widths.slice(0, i).reduce((sum, w) => sum + w, 0));
  return { xs, widths, size, lineHeight: size * 1.22, maxLines: options.maxLines ?? 4 };
}

/**
 * Widths from the shares, then widened where a header word or a digest would not fit: the room is taken from the
 * columns that have some to spare, so a header never breaks inside a word ("Sequenc-e").
 */
function columnWidths(doc: Doc, columns: readonly Column[], size: number): number[] {
  const total = columns.reduce((sum, c) => sum + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * CONTENT_WIDTH);
  doc.font(FONT.bold).fontSize(size);
  const minimums = columns.map((c) =>
    Math.max(c.minWidth ?? 0, ...c.header.split(/\s+/).map((word) => doc.widthOfString(toPdfText(word)) + 2 * PAD_X + 0.5)),
  );
  const deficit = widths.reduce((sum, w, i) => sum + Math.max(0, minimums[i]! - w), 0);
  const slack = widths.map((w, i) => Math.max(0, w - minimums[i]!));
  const totalSlack = slack.reduce((sum, s) => sum + s, 0);
  if (deficit === 0 || totalSlack < deficit) return widths;
  return widths.map((w, i) => (w < minimums[i]! ? minimums[i]! : w - (slack[i]! / totalSlack) * deficit));
}

function cellLines(doc: Doc, columns: readonly Column[], layout: Layout, row: readonly string[], isHeader = false): string[][] {
  return columns.map((column, i) => {
    const measure = measureFor(doc, fontOf(doc, column, layout, isHeader));
    const text = toPdfText(row[i] ?? '');
    return wrapText(measure, text, layout.widths[i]! - 2 * PAD_X, isHeader ? 3 : layout.maxLines);
  });
}

// Long tables repeat the same values (image versions, statuses, rule names) thousands of times; pdfkit's width
// lookup goes glyph pair by glyph pair, so widths are remembered. Bounded: cleared when it grows past the limit.
const widthCache = new Map<string, number>();
const WIDTH_CACHE_LIMIT = 50_000;

function measureFor(doc: Doc, font: string): Measure {
  return {
    widthOfString(text: string): number {
      const key = `${font}\u0000${text}`;
      let width = widthCache.get(key);
      if (width === undefined) {
        if (widthCache.size >= WIDTH_CACHE_LIMIT) widthCache.clear();
        width = doc.widthOfString(text);
        widthCache.set(key, width);
      }
      return width;
    },
  };
}

function rowHeight(layout: Layout, cells: readonly string[][]): number {
  const lines = Math.max(1, ...cells.map((c) => c.length));
  return lines * layout.lineHeight + 2 * PAD_Y;
}

function drawRow(doc: Doc, columns: readonly Column[], layout: Layout, cells: readonly string[][], kind: 'header' | 'zebra' | 'plain'): void {
  const height = rowHeight(layout, cells);
  const top = doc.y;
  if (kind !== 'plain') {
    doc.rect(MARGIN.left, top, CONTENT_WIDTH, height).fillColor(kind === 'header' ? COLOR.headerFill : COLOR.zebra).fill();
  }
  doc.fillColor(COLOR.text);
  columns.forEach((column, i) => {
    fontOf(doc, column, layout, kind === 'header');
    const width = layout.widths[i]! - 2 * PAD_X;
    cells[i]!.forEach((text, n) => {
      line(doc, text, layout.xs[i]! + PAD_X, top + PAD_Y + n * layout.lineHeight + 0.6, column.align ?? 'left', width);
    });
  });
  if (kind === 'header') {
    doc.moveTo(MARGIN.left, top + height).lineTo(MARGIN.left + CONTENT_WIDTH, top + height).lineWidth(0.5).strokeColor(COLOR.rule).stroke();
  }
  doc.y = top + height;
}

/** Sets font and size only (the colour is set once per row: every change is an operator in the page); returns a key. */
function fontOf(doc: Doc, column: Column, layout: Layout, isHeader: boolean): string {
  // Courier is wider than Helvetica: at 7 pt a 64-hex digest fits DIGEST_WIDTH whatever the table's size.
  const [font, size] = isHeader ? [FONT.bold, layout.size] : column.mono ? [FONT.mono, Math.min(7, layout.size)] : [FONT.regular, layout.size];
  doc.font(font).fontSize(size);
  return `${font}@${size}`;
}
