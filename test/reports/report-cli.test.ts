import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { octoberOnRecord, pdfText } from '../helpers/report-history.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('imagewarden report', () => {
  it('writes the requested format, stores and records every format, and verify still passes', async () => {
    const h = await octoberOnRecord();
    const out = join(tempDir(), 'oct.pdf');
    const result = await runCli(['report', '--period', '2026-10', '--format', 'pdf', '--out', out], { ...h.env, IMAGEWARDEN_LOG_LEVEL: 'silent' });
    expect(result.stderr).toMatch(/wrote pdf to/);
    expect(result.code).toBe(0);
    const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
    expect(result.stderr).toContain(`pdf        ${sha}`);
    const text = (await pdfText(readFileSync(out))).replace(/\s+/g, ' ');
    for (const section of ['Executive summary', 'Collection coverage', 'Compliance trend', 'Pools out of policy', 'Control mapping', 'Evidence integrity']) expect(text).toContain(section);
    // The same report set is visible to the API, and its digests are in the ledger.
    const listed = (await h.get('/api/v1/reports')).json() as { items: { id: string; formats: { format: string; sha256: string }[]; ledgerSequence: number }[] };
    expect(listed.items[0]!.formats.find((f) => f.format === 'pdf')!.sha256).toBe(sha);
    expect((await runCli(['verify'], h.env)).code).toBe(0);

    const bad = await runCli(['report', '--period', '2026-10', '--format', 'docx', '--out', out], h.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/expected one of pdf, json, csv, oscal-ar, oscal-poam/);
    await h.app.close();
  });

  it('scopes a report to one subscription', async () => {
    const h = await octoberOnRecord();
    const { id } = (await h.post('/api/v1/reports', { period: '2026-10', scope: '11111111-2222-3333-4444-555555555555' })).json() as { id: string };
    await h.services.reportService.completion(id);
    const json = JSON.parse((await h.get(`/api/v1/reports/${id}/download?format=json`)).body) as { scope: { name: string; kind: string }; summary: { total: number } };
    expect(json.scope).toEqual({ name: '11111111-2222-3333-4444-555555555555', kind: 'subscription' });
    expect(json.summary.total).toBe(3);
    const other = (await h.post('/api/v1/reports', { period: '2026-10', scope: '99999999-2222-3333-4444-555555555555' })).json() as { id: string };
    await h.services.reportService.completion(other.id);
    const empty = JSON.parse((await h.get(`/api/v1/reports/${other.id}/download?format=json`)).body) as { summary: { total: number } };
    expect(empty.summary.total).toBe(0);
    await h.app.close();
  });
});

describe('an HTTP witness', () => {
  it('receives every checkpoint in order, and missed deliveries are retried with the next checkpoint', async () => {
    const received: { size: number; note: string }[] = [];
    let failNext = 0;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (failNext > 0) {
          failNext--;
          response.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body) as { size: number; note: string });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const h = await octoberOnRecord([], { IMAGEWARDEN_EVIDENCE_WITNESS: `http://127.0.0.1:${port}/checkpoints` });
      await h.services.ledger.flushWitnesses();
      const stored = h.services.evidence.checkpoints(0, 10_000);
      expect(received.map((c) => c.size)).toEqual(stored.map((c) => c.size));
      failNext = 1;
      h.services.keyService.create({ name: 'k1', role: 'auditor', expiresAt: null, actor: 'test' });
      await h.services.ledger.flushWitnesses();
      const missed = h.services.evidence.checkpoints(0, 10_000).length;
      expect(received).toHaveLength(missed - 1);
      h.services.keyService.create({ name: 'k2', role: 'auditor', expiresAt: null, actor: 'test' });
      await h.services.ledger.flushWitnesses();
      expect(received.map((c) => c.size)).toEqual(h.services.evidence.checkpoints(0, 10_000).map((c) => c.size));
      await h.app.close();
    } finally {
      server.close();
    }
  });
});
