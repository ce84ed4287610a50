import { COLOR, CONTENT_WIDTH, FONT, MARGIN, ensureSpace, line, style, type Doc } from './layout.js';
import { formatCount } from './format.js';
import { fitText, toPdfText, wrapText } from './text.js';

/**
 * Vector charts drawn with pdfkit paths: they print sharply at any zoom and their labels stay extractable text.
 */

export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly dashed: boolean;
  readonly color: string;
}

const AXIS_GUTTER = 40; // room for the y-axis title and tick labels

/** A 0–100 % line chart over days; a null value breaks its line instead of being drawn as 0. */
export function drawPercentLineChart(doc: Doc, days: readonly string[], series: readonly Series[], height = 170): void {
  ensureSpace(doc, height + 60);
  const left = MARGIN.left + AXIS_GUTTER;
  const width = CONTENT_WIDTH - AXIS_GUTTER - 6;
  const top = doc.y + 4;
  const yOf = (percent: number) => top + height - (Math.min(100, Math.max(0, percent)) / 100) * height;
  const xOf = (index: number) => (days.length <= 1 ? left + width / 2 : left + (index / (days.length - 1)) * width);

  style(doc, FONT.regular, 7, COLOR.muted);
  for (const tick of [0, 25, 50, 75, 100]) {
    doc.moveTo(left, yOf(tick)).lineTo(left + width, yOf(tick)).lineWidth(tick === 0 ? 0.75 : 0.3).strokeColor(tick === 0 ? COLOR.muted : COLOR.rule).stroke();
    line(doc, `${tick}%`, left - 28, yOf(tick) - 3, 'right', 24);
  }
  yAxisTitle(doc, 'Compliance (%)', MARGIN.left + 2, top + height / 2);
  const indexes = labelIndexes(days.length, Math.floor(width / 62));
  for (const index of indexes) {
    doc.moveTo(xOf(index), top + height).lineTo(xOf(index), top + height + 3).lineWidth(0.5).strokeColor(COLOR.muted).stroke();
    style(doc, FONT.regular, 7, COLOR.muted);
    // The first and last labels align to the plot's edges so that they do not run into the y-axis or the margin.
    const align = index === 0 && days.length > 1 ? 'left' : index === days.length - 1 && days.length > 1 ? 'right' : 'center';
    const x = align === 'left' ? xOf(index) : align === 'right' ? xOf(index) - 58 : xOf(index) - 29;
    line(doc, fitText(doc, toPdfText(days[index]!), 58), x, top + height + 6, align, 58);
  }
  style(doc, FONT.regular, 7, COLOR.muted);
  line(doc, 'Day (UTC)', left, top + height + 18, 'center', width);
  for (const s of series) drawSeries(doc, s, xOf, yOf);
  doc.y = top + height + 32;
  legend(doc, series);
}

function drawSeries(doc: Doc, series: Series, xOf: (i: number) => number, yOf: (p: number) => number): void {
  doc.save().lineWidth(1.6).strokeColor(series.color).lineJoin('round');
  if (series.dashed) doc.dash(4, { space: 3 });
  let open = false;
  series.values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      open = false;
      return;
    }
    if (open) doc.lineTo(xOf(index), yOf(value));
    else doc.moveTo(xOf(index), yOf(value));
    open = true;
  });
  doc.stroke();
  if (series.dashed) doc.undash();
  // A lone point between gaps has no line to draw: mark it so that the value is not lost.
  series.values.forEach((value, index) => {
    const isolated = value !== null && (series.values[index - 1] ?? null) === null && (series.values[index + 1] ?? null) === null;
    if (isolated) doc.circle(xOf(index), yOf(value), 1.8).fillColor(series.color).fill();
  });
  doc.restore();
}

function legend(doc: Doc, series: readonly Series[]): void {
  let x = MARGIN.left + AXIS_GUTTER;
  const y = doc.y;
  style(doc, FONT.regular, 7.5, COLOR.text);
  for (const s of series) {
    doc.save().lineWidth(1.6).strokeColor(s.color);
    if (s.dashed) doc.dash(4, { space: 3 });
    doc.moveTo(x, y + 4).lineTo(x + 22, y + 4).stroke().restore();
    const label = toPdfText(s.label);
    line(doc, label, x + 28, y);
    x += 28 + doc.widthOfString(label) + 24;
  }
  doc.y = y + 18;
}

function yAxisTitle(doc: Doc, title: string, x: number, middle: number): void {
  style(doc, FONT.regular, 7, COLOR.muted);
  const width = doc.widthOfString(title);
  doc.save().rotate(-90, { origin: [x, middle] });
  line(doc, title, x - width / 2, middle - 3);
  doc.restore();
}

/** Evenly spaced indexes at a whole step, at most `max` of them, always the first and the last. */
function labelIndexes(count: number, max: number): number[] {
  if (count === 0) return [];
  const step = Math.max(1, Math.ceil((count - 1) / Math.max(1, max - 1)));
  const indexes: number[] = [];
  for (let i = 0; i < count - 1; i += step) indexes.push(i);
  // The last day always gets a label; the regular one before it goes if it is closer than a step (they would touch).
  if (indexes.length > 1 && count - 1 - indexes[indexes.length - 1]! < step) indexes.pop();
  indexes.push(count - 1);
  return indexes;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly muted?: boolean;
}

/** A vertical bar chart of counts, each bar labelled below and its count printed above it. */
export function drawBarChart(doc: Doc, bars: readonly Bar[], axisTitle: string, height = 140): void {
  ensureSpace(doc, height + 50);
  const left = MARGIN.left + AXIS_GUTTER;
  const width = CONTENT_WIDTH - AXIS_GUTTER - 6;
  const top = doc.y + 12;
  const step = niceStep(Math.max(0, ...bars.map((b) => b.value)) / 5);
  const max = Math.max(step, Math.ceil(Math.max(0, ...bars.map((b) => b.value)) / step) * step);
  const slot = width / Math.max(1, bars.length);
  const yOf = (value: number) => top + height - (value / max) * height;

  style(doc, FONT.regular, 7, COLOR.muted);
  for (let tick = 0; tick <= max; tick += step) {
    doc.moveTo(left, yOf(tick)).lineTo(left + width, yOf(tick)).lineWidth(tick === 0 ? 0.75 : 0.3).strokeColor(tick === 0 ? COLOR.muted : COLOR.rule).stroke();
    line(doc, formatCount(tick), left - 38, yOf(tick) - 3, 'right', 34);
  }
  yAxisTitle(doc, axisTitle, MARGIN.left - 8, top + height / 2);
  bars.forEach((bar, i) => {
    const barWidth = Math.min(56, slot * 0.6);
    const x = left + i * slot + (slot - barWidth) / 2;
    if (bar.value > 0) doc.rect(x, yOf(bar.value), barWidth, top + height - yOf(bar.value)).fillColor(bar.muted ? '#9a9a9a' : COLOR.accent).fill();
    style(doc, FONT.bold, 7.5, COLOR.text);
    line(doc, formatCount(bar.value), left + i * slot, yOf(bar.value) - 10, 'center', slot);
    style(doc, FONT.regular, 7.5, COLOR.text);
    wrapText(doc, toPdfText(bar.label), slot - 6, 2).forEach((text, n) => line(doc, text, left + i * slot + 3, top + height + 5 + n * 9, 'center', slot - 6));
  });
  doc.y = top + height + 28;
}

/** The smallest whole 1, 2 or 5 × 10^n at or above `value`: round tick steps for counts of pools. */
function niceStep(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= value)!;
}
