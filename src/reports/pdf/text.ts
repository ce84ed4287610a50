/**
 * Text made safe for the standard PDF fonts, and fitted to a width. The standard Helvetica and Courier fonts are
 * WinAnsi-encoded: pdfkit writes any other code point as garbage bytes, so every string drawn goes through toPdfText,
 * which keeps what WinAnsi can draw and shows everything else — controls, bidi overrides, other scripts — as a
 * visible \u{…} escape. Data in a report is attacker-controlled: it must read exactly as stored, never reordered.
 */

/** Unicode code points outside Latin-1 that WinAnsi (cp1252) has glyphs for. */
const WIN_ANSI_EXTRA = new Set([
  0x152, 0x153, 0x160, 0x161, 0x178, 0x17d, 0x17e, 0x192, 0x2c6, 0x2dc, 0x2013, 0x2014, 0x2018, 0x2019, 0x201a, 0x201c,
  0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122,
]);

/** Harmless typography that has a plain equivalent, so templates and names need no escapes for it. */
const PLAIN: Readonly<Record<number, string>> = { 0x2010: '-', 0x2011: '-', 0x2212: '-', 0x2009: ' ', 0x200a: ' ', 0x202f: ' ', 0x2192: '->' };

function isDrawable(code: number): boolean {
  if (code >= 0x20 && code <= 0x7e) return true;
  // U+00AD (soft hyphen) is invisible in most viewers: escaping it keeps a hidden character visible.
  if (code >= 0xa0 && code <= 0xff) return code !== 0xad;
  return WIN_ANSI_EXTRA.has(code);
}

/** One line of text the standard fonts draw as written; line breaks become visible escapes too. */
export function toPdfText(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (isDrawable(code)) out += char;
    else out += PLAIN[code] ?? `\\u{${code.toString(16).toUpperCase().padStart(4, '0')}}`;
  }
  return out;
}

/** What measures text: the document with its current font and size set. */
export interface Measure {
  widthOfString(text: string): number;
}

const ELLIPSIS = '…';

/** `text` cut with an ellipsis so that it fits `width` (unchanged when it already fits). */
export function fitText(measure: Measure, text: string, width: number): string {
  if (measure.widthOfString(text) <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure.widthOfString(text.slice(0, mid) + ELLIPSIS) <= width) low = mid;
    else high = mid - 1;
  }
  return low === 0 ? '' : text.slice(0, low) + ELLIPSIS;
}

// Identifiers (ARM ids, image versions) have no spaces: they may break after these characters as well.
const PIECE = /[^ \-/_.,;]+[ \-/_.,;]*|[ \-/_.,;]+/g;

/**
 * Greedy wrap of one logical line into at most `maxLines` lines of `width`; a longer text ends in an ellipsis so a
 * cell never overflows. Words longer than the width are broken between characters.
 */
export function wrapText(measure: Measure, text: string, width: number, maxLines: number): string[] {
  if (measure.widthOfString(text) <= width) return [text];
  // Nothing past maxLines full lines of the narrowest glyphs can show: bound the work for a hostile 1 MB reason.
  const bounded = text.slice(0, Math.max(64, Math.ceil((width / 1.5) * maxLines)));
  const lines: string[] = [];
  let line = '';
  for (const piece of bounded.match(PIECE) ?? []) {
    if (measure.widthOfString((line + piece).trimEnd()) <= width) {
      line += piece;
      continue;
    }
    // A piece that fits a line of its own starts one, unless the line so far is an identifier's stub like "rpt_"
    // (not a word before a space): then, as for a piece longer than a line, it is cut between characters.
    const stub = !line.endsWith(' ') && measure.widthOfString(line) < width * 0.4;
    if (line !== '' && !stub && measure.widthOfString(piece.trimEnd()) <= width) {
      lines.push(line.trimEnd());
      line = piece;
      continue;
    }
    for (const char of piece) {
      if (line !== '' && measure.widthOfString((line + char).trimEnd()) > width) {
        lines.push(line.trimEnd());
        line = '';
      }
      line += char;
    }
    if (lines.length > maxLines) break;
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  if (lines.length <= maxLines && bounded.length === text.length) return lines;
  const kept = lines.slice(0, maxLines);
  kept[kept.length - 1] = fitText(measure, `${kept[kept.length - 1]!}${ELLIPSIS}`, width);
  return kept;
}
