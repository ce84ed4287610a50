import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export const SAMPLE_METHOD =
  'Each data row of the population CSV (its exact text, without the line break) is ranked by the lowercase hex SHA-256 of "<seed>:<row>"; the sample is the `size` rows with the lowest ranks, lowest first.';

export interface SampledRow {
  readonly rank: string;
  readonly line: string;
  readonly cells: Record<string, string>;
}

/**
 * Draws the reproducible sample: one streaming pass over the gzip'd population, keeping only the best `size` rows.
 * Anyone holding the population and the seed can recompute the draw with a few lines of any language.
 */
export async function samplePopulation(file: string, seed: string, size: number): Promise<{ columns: string[]; rows: SampledRow[]; populationRows: number }> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let columns: string[] | null = null;
  let populationRows = 0;
  const best: { rank: string; line: string }[] = [];
  for await (const line of lines) {
    if (columns === null) {
      columns = line.split(',');
      continue;
    }
    if (line === '') continue;
    populationRows++;
    const rank = createHash('sha256').update(`${seed}:${line}`).digest('hex');
    if (best.length === size && rank >= best.at(-1)!.rank) continue;
    // Insertion into a sorted array: size is at most a few thousand.
    let index = best.length;
    while (index > 0 && best[index - 1]!.rank > rank) index--;
    best.splice(index, 0, { rank, line });
    if (best.length > size) best.pop();
  }
  const header = columns ?? [];
  return { columns: header, populationRows, rows: best.map(({ rank, line }) => ({ rank, line, cells: Object.fromEntries(parseCsvLine(line).map((cell, i) => [header[i] ?? `column${i}`, cell])) })) };
}

/** One RFC 4180 line (quoted cells may hold commas and doubled quotes; population rows hold no line breaks). */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
