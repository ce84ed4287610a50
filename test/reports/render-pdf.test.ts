import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toPdfText } from '../../src/reports/pdf/text.js';
import { renderPdf } from '../../src/reports/render-pdf.js';
import type { ArtifactDigest, ReportModel, ReportPool } from '../../src/reports/report-schema.js';
import { loadReportTemplates } from '../../src/reports/report-templates.js';
import { fixturePool, fixtureReportModel } from '../helpers/report-fixture.js';

const templates = loadReportTemplates();
const ARTIFACTS: ArtifactDigest[] = [
  { format: 'json', fileName: 'rpt_01JDEMO-report.json', sha256: '1'.repeat(64), bytes: 123_456 },
  { format: 'csv', fileName: 'rpt_01JDEMO-population.csv', sha256: '2'.repeat(64), bytes: 9_876_543 },
];
const DEMO_BANNER = 'DEMO DATA — not evidence about a real Azure estate';

interface Item {
  readonly str: string;
  readonly x: number;
  readonly y: number;
}

/** Collects what renderPdf streams, and how much had arrived when `mark()` was called. */
function sink() {
  const chunks: Buffer[] = [];
  let written = 0;
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      written += chunk.length;
      done();
    },
  });
  return { out, bytes: () => Buffer.concat(chunks), written: () => written };
}

async function render(model: ReportModel, artifacts = ARTIFACTS): Promise<{ bytes: Buffer; pages: number }> {
  const { out, bytes } = sink();
  const { pages } = await renderPdf(model, artifacts, out, templates);
  return { bytes: bytes(), pages };
}

/** The text items of every page, in content-stream order, as pdf.js extracts them (blank items dropped). */
async function pageItems(bytes: Buffer): Promise<Item[][]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false }).promise;
  const pages: Item[][] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    const items = content.items.flatMap((item) => ('str' in item && item.str.trim() !== '' ? [{ str: item.str, x: item.transform[4] as number, y: item.transform[5] as number }] : []));
    pages.push(items);
    page.cleanup();
  }
  await doc.destroy();
  return pages;
}

/** Items grouped into visual lines (same baseline), each line's cells left to right. */
function rowsOf(items: readonly Item[]): string[][] {
  const lines = new Map<number, Item[]>();
  for (const item of items) {
    const key = Math.round(item.y * 2) / 2;
    lines.set(key, [...(lines.get(key) ?? []), item]);
  }
  return [...lines.entries()].sort((a, b) => b[0] - a[0]).map(([, line]) => line.sort((a, b) => a.x - b.x).map((i) => i.str));
}

const textOf = (items: readonly Item[]) => items.map((i) => i.str).join('\n');
const compact = (text: string) => text.replace(/\s+/g, '');

describe('renderPdf', () => {
  it('prints every section title and the figures of the model', async () => {
    const { bytes, pages } = await render(fixtureReportModel({ pools: 40, nonCompliant: 10 }));
    const items = await pageItems(bytes);
    expect(items).toHaveLength(pages);
    const text = textOf(items.flat());
    for (const section of templates.sections) expect(text).toContain(section.title);
    for (const figure of ['35.0%', '55.0%', '61.3%', '70.1%', '130.5 h (5.4 days)', '200.2 h (8.3 days)', 'Whole fleet', 'auditor-key']) expect(text).toContain(figure);
    for (const digest of ['a'.repeat(64), 'b'.repeat(64), '1'.repeat(64), '2'.repeat(64), 'c'.repeat(64), 'd'.repeat(64), 'f'.repeat(64)]) expect(text).toContain(digest);
    for (const value of ['0a1b2c3d', 'rpt_01JDEMO-population.csv', '9,876,543', '1,200', 'missed_snapshot', 'CHG-1234']) expect(text).toContain(value);
    // A wrapped cell's lines follow each other in the content stream: compare without the line breaks.
    expect(compact(text)).toContain(compact('Vendor driver not yet certified on the new image'));
    const rows = items.flatMap(rowsOf);
    expect(rows).toContainEqual(['Non-compliant', '10', '25.0%']);
    expect(rows).toContainEqual(['Total', '40', '100.0%']);
    expect(rows).toContainEqual(['0 * * * *', '720', '719', '718', '1', '0']);
    expect(text).toContain('719 of 720 scheduled fleet snapshots ran (718 succeeded, 1 partial, 0 failed)');
    expect(text).toContain('26 pool(s)');
    expect(text).toContain(templates.sections.find((s) => s.id === 'upgrades')!.none!);
    // The checkpoint note in Courier, line by line, and the limitation as written.
    expect(text).toContain('u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7s=');
    expect(compact(text)).toContain(compact('— imagewarden.example/ledger AAAAAKbc'));
    expect(text).toContain('Whoever holds both the data volume and the signing key could rewrite the ledger and re-sign it.');
    items.forEach((page, i) => expect(textOf(page)).toContain(`Page ${i + 1} of ${pages}`));
  });

  it('sets deterministic document metadata', async () => {
    const { bytes } = await render(fixtureReportModel());
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
    const info = (await doc.getMetadata()).info as Record<string, unknown>;
    expect(info).toMatchObject({ Author: 'imagewarden', CreationDate: 'D:20241201080000Z', ModDate: 'D:20241201080000Z' });
    expect(info['Title']).toBe('Node image patch compliance report — 2024-11');
    await doc.destroy();
  });

  it('renders the same model to the same bytes', async () => {
    const first = await render(fixtureReportModel({ pools: 200, nonCompliant: 50 }));
    const second = await render(fixtureReportModel({ pools: 200, nonCompliant: 50 }));
    expect(first.bytes.equals(second.bytes)).toBe(true);
  });

  it('paginates 10,000 pools out of policy, header on every page, each pool once, while streaming', async () => {
    const model = fixtureReportModel({ pools: 12_000, nonCompliant: 10_000 });
    let pulled = 0;
    let writtenBeforeLast = -1;
    const { out, bytes, written } = sink();
    const pools = function* (): Generator<ReportPool> {
      for (const pool of model.pools()) {
        if (++pulled === 24_000) writtenBeforeLast = written(); // the last pool of the second (printing) pass
        yield pool;
      }
    };
    // (How fast is bench/report's to say, against a baseline: a wall-clock bound here only measured the machine's load.)
    const { pages } = await renderPdf({ header: model.header, pools }, ARTIFACTS, out, templates);
    // Pages reached `out` while the pools were still being read: the table was never held whole.
    expect(writtenBeforeLast).toBeGreaterThan(500_000);

    const items = await pageItems(bytes());
    expect(items).toHaveLength(pages);
    items.forEach((page, i) => expect(textOf(page)).toContain(`Page ${i + 1} of ${pages}`));
    const start = items.findIndex((page) => page.some((i) => i.str.includes('Pools out of policy')) && page.some((i) => i.str === 'Latest image'));
    const end = items.findIndex((page) => page.some((i) => i.str.includes(templates.sections.find((s) => s.id === 'findings')!.title)));
    expect(end - start).toBeGreaterThan(300);
    const seen = new Map<string, number>();
    for (const page of items.slice(start, end + 1)) {
      expect(page.map((i) => i.str)).toEqual(expect.arrayContaining(['Cluster', 'Pool', 'Node image', 'Latest image', 'Status']));
      for (const row of rowsOf(page)) {
        if (row.length >= 3 && /^aks-\d{4}$/.test(row[0]!) && /^pool\d$/.test(row[1]!) && /^(non_compliant|excepted|unknown)$/.test(row.at(-3)!)) {
          const key = `${row[0]}/${row[1]}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
    }
    expect(seen.size).toBe(11_000); // 10,000 non-compliant + 500 excepted + 500 unknown
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(seen.get(`aks-${String(Math.floor(i / 4)).padStart(4, '0')}/pool${i % 4}`)).toBe(1);
  }, 60_000);

  it('prints hostile names literally and writes no action, script, link or attachment', async () => {
    const names = [') /JS (app.alert(1)) /OpenAction', '=HYPERLINK("http://x")', 'evil\u202Egpj.exe\u0007\u2066x'];
    const base = fixtureReportModel({ pools: 40, nonCompliant: 10 });
    const pools = function* (): Generator<ReportPool> {
      let i = 0;
      for (const pool of base.pools()) yield i < names.length ? { ...pool, clusterName: names[i++]! } : pool;
    };
    const { bytes } = await render({ header: base.header, pools });
    const stream = compact(textOf((await pageItems(bytes)).flat()));
    expect(stream).toContain(compact(names[0]!));
    expect(stream).toContain(names[1]!);
    expect(stream).toContain('evil\\u{202E}gpj.exe\\u{0007}\\u{2066}x');
    // Dictionaries live outside streams; stream bodies are compressed bytes that may contain anything.
    const structure = bytes.toString('latin1').replace(/stream\r?\n[\s\S]*?\r?\nendstream/g, '');
    expect(structure).toMatch(/\/Catalog/);
    expect(structure).not.toMatch(/\/(JavaScript|JS|OpenAction|AA|Launch|URI|EmbeddedFile|SubmitForm|ImportData)\b/);
  });

  it('shows the demo banner only for demo data', async () => {
    const real = fixtureReportModel();
    const demo = fixtureReportModel();
    demo.header.dataSource.demo = true;
    const demoText = textOf((await pageItems((await render(demo)).bytes)).flat());
    const realText = textOf((await pageItems((await render(real)).bytes)).flat());
    expect(demoText).toContain(DEMO_BANNER);
    expect(realText).not.toContain('DEMO DATA');
  });

  it('prints the template texts for empty sections and lists upgrade runs when there are some', async () => {
    const empty = fixtureReportModel({ pools: 4, nonCompliant: 0 });
    const only = fixturePool(0, 'current');
    const section = (id: string) => templates.sections.find((s) => s.id === id)!;
    const header = {
      ...empty.header,
      summary: { ...empty.header.summary, total: 1, counts: { current: 1, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 } },
      coverage: { ...empty.header.coverage, gaps: [] },
      findings: { ...empty.header.findings, opened: [], closed: [] },
      exceptions: [],
    };
    const none = textOf((await pageItems((await render({ header, pools: () => [only] })).bytes)).flat());
    for (const id of ['attention', 'findings', 'exceptions', 'upgrades']) expect(none).toContain(section(id).none!);
    expect(none).toContain(section('coverage').noGaps!);

    const upgrades = [{ id: 'upg_0001', status: 'succeeded', clusterId: `${only.clusterId.replace(/aks-0000$/, 'aks-upgraded')}`, pools: [{ poolName: 'pool7' }], requestedBy: 'carol' }];
    const text = textOf((await pageItems((await render({ header: { ...header, upgrades }, pools: () => [only] })).bytes)).flat());
    for (const value of ['upg_0001', 'succeeded', 'aks-upgraded', 'pool7', 'carol']) expect(text).toContain(value);
  });

  it('renders a scope without pools, days or artifacts, printing a dash for every missing figure', async () => {
    const model = fixtureReportModel({ pools: 0 });
    const header = { ...model.header, trend: [], imageAge: [], subscriptions: [], clusters: [], controls: [] };
    const { bytes } = await render({ header, pools: () => [] }, []);
    const text = textOf((await pageItems(bytes)).flat());
    expect(model.header.summary.compliancePercent).toBeNull();
    expect(rowsOf((await pageItems(bytes)).flat())).toContainEqual(['Compliance at period end (current or within policy)', '—']);
    expect(text).toContain('No daily figures were recorded in the period.');
    expect(text).toContain('No other format of this report was rendered before this PDF.');
  });

  it('stops, instead of waiting for ever, when the output is closed mid-way', async () => {
    let written = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        if (written > 50_000) this.destroy(new Error('client went away'));
        else setTimeout(done, 1); // a slow consumer: back-pressure builds up
      },
    });
    out.on('error', () => {});
    await expect(renderPdf(fixtureReportModel({ pools: 4000, nonCompliant: 3000 }), ARTIFACTS, out, templates)).rejects.toThrow(/closed before the PDF was complete|client went away/);
  });

  it('refuses a pools stream that disagrees with the summary', async () => {
    const model = fixtureReportModel({ pools: 40, nonCompliant: 10 });
    await expect(render({ header: model.header, pools: () => [...model.pools()].slice(0, 20) })).rejects.toThrow(/pools out of policy, the summary counts 26/);
  });
});

describe('toPdfText', () => {
  it('keeps what WinAnsi draws and escapes the rest visibly', () => {
    expect(toPdfText('Zürich — “quoted” €5 ×2')).toBe('Zürich — “quoted” €5 ×2');
    expect(toPdfText('a\u202Eb\u2067c\nd\u0000e\u00ADf')).toBe('a\\u{202E}b\\u{2067}c\\u{000A}d\\u{0000}e\\u{00AD}f');
    expect(toPdfText('名前 😀')).toBe('\\u{540D}\\u{524D} \\u{1F600}');
    expect(toPdfText('1 − 2')).toBe('1 - 2');
  });
});
