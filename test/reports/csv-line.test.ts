import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvLine } from '../../src/reports/render-csv.js';

describe('csvLine', () => {
  // csv-stringify quotes a lone CR or LF only when asked (quoted_match); RFC 4180 parsers need it quoted, so we do.
  it('writes exactly what csv-stringify writes with escape_formulas (and CR/LF quoted), for any cells', () => {
    const cell = fc.oneof(fc.string(), fc.constantFrom('=1+1', '+cmd', '-1+1', '@SUM(A1)', '\t=x', '\r=x', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rx'), fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 12 }), (cells) => {
        const expected = stringify([cells.map((c) => (c === null ? '' : String(c)))], { escape_formulas: true, record_delimiter: 'windows', quoted_match: /[\r\n]/ });
        expect(csvLine(cells)).toBe(expected);
      }),
      { numRuns: 2000, seed: 20261125 },
    );
  });
});
