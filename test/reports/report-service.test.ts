import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCsvLine } from '../../src/services/population-sample.js';
import { cluster, pool, UBUNTU } from '../helpers/fleets.js';
import { octoberOnRecord, pdfText } from '../helpers/report-history.js';

const OLD = `${UBUNTU}-202607.01.0`;

const HOSTILE = '=HYPERLINK("evil.example?x=1","click")';

describe('reports', () => {
  it('renders every format once from one model, records their digests in the ledger, and serves those exact bytes', async () => {
    const h = await octoberOnRecord();
    const created = await h.post('/api/v1/reports', { period: '2026-10' });
    expect(created.statusCode).toBe(202);
    const { id } = created.json() as { id: string };
    const early = await h.get(`/api/v1/reports/${id}/download?format=pdf`);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'report_not_ready' } });

    const report = await h.services.reportService.completion(id);
    expect(report.error).toBeNull();
    expect(report.status).toBe('ready');
    const described = (await h.get(`/api/v1/reports/${id}`)).json() as { formats: { format: string; sha256: string; bytes: number }[]; ledgerSequence: number; population: { rows: number; sha256: string } };
    expect(described.formats.map((f) => f.format)).toEqual(['pdf', 'json', 'csv', 'oscal-ar', 'oscal-poam']);

    const entry = h.services.evidenceRepo.entry(described.ledgerSequence)!;
    expect(entry.kind).toBe('report_generated');
    const recorded = JSON.parse(entry.body) as { artifacts: { format: string; sha256: string }[]; population: { sha256: string } };
    for (const format of described.formats) {
      const download = await h.get(`/api/v1/reports/${id}/download?format=${format.format}`);
      expect(download.statusCode).toBe(200);
      const sha = createHash('sha256').update(download.rawPayload).digest('hex');
      expect(sha).toBe(format.sha256);
      expect(download.headers.etag).toBe(`"${sha}"`);
      expect(recorded.artifacts.find((a) => a.format === format.format)!.sha256).toBe(sha);
    }

    // JSON: valid against the schema the API publishes, and the same figures the PDF prints.
    const schema = (await h.get('/api/v1/schemas/report.json')).json() as object;
    const ajv = addFormats.default(new Ajv({ allErrors: true, strict: false }));
    const json = JSON.parse((await h.get(`/api/v1/reports/${id}/download?format=json`)).body) as Record<string, any>;
    expect(ajv.validate(schema, json), ajv.errorsText()).toBe(true);
    expect(json.period).toMatchObject({ from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z', days: 31, evaluatedUntil: '2026-10-31T23:59:59.000Z' });
    expect(json.summary).toMatchObject({ total: 3, counts: { current: 1, non_compliant: 2 }, compliancePercent: 33.3 });
    expect(json.trend).toHaveLength(31);
    expect(json.trend[0]).toMatchObject({ date: '2026-10-01', total: 2, compliancePercent: 0 });
    expect(json.trend[9]).toMatchObject({ date: '2026-10-10', total: 2, compliancePercent: 50 });
    // Mean of daily values: 9 days at 0 %, 10 at 50 %, 12 at 33.3 %.
    expect(json.summary.periodAverage.compliancePercent).toBeCloseTo((9 * 0 + 10 * 50 + 12 * 33.3) / 31, 0);
    expect(json.pools).toHaveLength(3);
    expect(json.coverage).toMatchObject({ schedule: '0 0 * * *', scheduled: 31, ran: 3, succeeded: 3 });
    expect(json.coverage.gaps.length).toBeGreaterThan(0);
    expect(json.ledgerHead.checkpoint).toMatch(/^imagewarden\/evidence\n\d+\n/);
    expect(json.evidence.entries.map((e: { kind: string }) => e.kind)).toContain('snapshot_committed');

    const pdf = await pdfText((await h.get(`/api/v1/reports/${id}/download?format=pdf`)).rawPayload);
    for (const figure of ['33.3', json.ledgerHead.rootHash.slice(0, 16), described.formats.find((f) => f.format === 'csv')!.sha256.slice(0, 16)]) {
      expect(pdf.replace(/\s+/g, '')).toContain(figure);
    }
    await h.app.close();
  });

  it('gives the whole population and a sample anyone can redraw from it with the same seed', async () => {
    const h = await octoberOnRecord();
    const { id } = (await h.post('/api/v1/reports', { from: '2026-10-05', to: '2026-10-14' })).json() as { id: string };
    await h.services.reportService.completion(id);
    const population = await h.get(`/api/v1/reports/${id}/population`);
    expect(population.statusCode).toBe(200);
    const lines = population.body.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('date,evaluatedAt,subscriptionId,clusterId,poolName,status,nodeImageVersion,latestNodeImageVersion,exposureDays,policyRule,slaDays,exceptionId');
    expect(lines).toHaveLength(1 + 10 * 2);
    expect(population.headers.etag).toBe(`"${createHash('sha256').update(population.body).digest('hex')}"`);
    const day10 = lines.filter((line) => line.startsWith('2026-10-10,')).map(parseCsvLine);
    expect(day10.map((cells) => [cells[4], cells[5]]).sort()).toEqual([['system', 'non_compliant'], ['web', 'current']]);

    const sample = (await h.get(`/api/v1/reports/${id}/sample?seed=auditor-2026&size=5`)).json() as { items: { rank: string; row: Record<string, string>; asOf: string }[]; method: string };
    const redrawn = lines
      .slice(1)
      .map((line) => ({ line, rank: createHash('sha256').update(`auditor-2026:${line}`).digest('hex') }))
      .sort((a, b) => (a.rank < b.rank ? -1 : 1))
      .slice(0, 5);
    expect(sample.items.map((item) => item.rank)).toEqual(redrawn.map((r) => r.rank));
    expect((await h.get(`/api/v1/reports/${id}/sample?seed=auditor-2026&size=5`)).json()).toEqual(sample);
    expect(((await h.get(`/api/v1/reports/${id}/sample?seed=other&size=5`)).json() as typeof sample).items).not.toEqual(sample.items);

    // The state of a sampled pool on its day is what the population says.
    const pick = sample.items[0]!;
    const pools = (await h.get(`/api/v1/pools?asOf=${encodeURIComponent(pick.asOf)}`)).json() as { items: { poolName: string; status: string }[] };
    expect(pools.items.find((p) => p.poolName === pick.row.poolName)!.status).toBe(pick.row.status);
    await h.app.close();
  });

  it('refuses bad periods and scopes with clear 4xx errors', async () => {
    const h = await octoberOnRecord();
    const cases: [object, string][] = [
      [{ period: '2026-13' }, 'FST_ERR_VALIDATION'],
      [{ from: '2025-01-01', to: '2026-10-01' }, 'period_too_long'],
      [{ from: '2026-10-10', to: '2026-10-01' }, 'invalid_period'],
      [{ period: '2026-12' }, 'period_not_started'],
      [{ period: '2026-10', scope: 'no-such-scope' }, 'unknown_scope'],
      [{ period: '2026-10', from: '2026-10-01' }, 'invalid_period'],
      [{ period: '2026-10', extra: 1 }, 'FST_ERR_VALIDATION'],
    ];
    for (const [body, code] of cases) {
      const response = await h.post('/api/v1/reports', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      if (!code.startsWith('FST')) expect((response.json() as { error: { code: string } }).error.code).toBe(code);
    }
    expect((await h.get('/api/v1/reports/rpt_00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    expect((await h.get('/api/v1/reports/..%2F..%2Fetc%2Fpasswd/download?format=pdf')).statusCode).toBe(400);
    await h.app.close();
  });

  it('exports a cluster named =HYPERLINK(...) inert in the CSV and the population', async () => {
    const h = await octoberOnRecord([cluster(HOSTILE, [pool('nodes', { nodeImageVersion: OLD })], { resourceGroup: 'rg-x' })]);
    const { id } = (await h.post('/api/v1/reports', { period: '2026-10' })).json() as { id: string };
    expect((await h.services.reportService.completion(id)).status).toBe('ready');
    const csv = (await h.get(`/api/v1/reports/${id}/download?format=csv`)).body;
    const population = (await h.get(`/api/v1/reports/${id}/population`)).body;
    let hostileCells = 0;
    for (const line of [...csv.split('\r\n'), ...population.split('\r\n')].filter(Boolean)) {
      for (const cell of parseCsvLine(line)) {
        expect(cell, line).not.toMatch(/^[=+\-@\t\r]/);
        if (cell === `'${HOSTILE}`) hostileCells++;
      }
    }
    // The name is kept exactly, behind the apostrophe a spreadsheet shows as text.
    expect(hostileCells).toBeGreaterThan(0);
    await h.app.close();
  });

  it('reports the node-level cross-check of the period: its runs, the clusters it could not read, and its node_mismatch findings', async () => {
    const h = await octoberOnRecord();
    h.clock.now = Date.parse('2026-10-21T03:30:00Z');
    h.emulator.fleet.setNodeImageLabel(h.clusterId, 'system', `${UBUNTU}-202608.01.0`);
    expect(await h.services.nodeChecks.run('schedule', 'system')).toMatchObject({ status: 'succeeded', mismatches: 1 });
    h.clock.now = Date.parse('2026-10-22T03:30:00Z');
    h.emulator.fleet.setApiServerReachable(h.clusterId, false);
    expect(await h.services.nodeChecks.run('schedule', 'system')).toMatchObject({ status: 'partial', unreachable: 1 });
    h.clock.now = Date.parse('2026-11-02T08:00:00Z');

    const { id } = (await h.post('/api/v1/reports', { period: '2026-10' })).json() as { id: string };
    expect((await h.services.reportService.completion(id)).status).toBe('ready');
    const json = JSON.parse((await h.get(`/api/v1/reports/${id}/download?format=json`)).body) as Record<string, any>;
    expect(json.nodeChecks).toMatchObject({ schedule: '30 3 * * *', ran: 2, succeeded: 1, partial: 1, failed: 0, lastFinishedAt: '2026-10-22T03:30:00.000Z', unreachable: [{ clusterId: h.clusterId, checks: 1 }] });
    expect(json.nodeChecks.unreachable[0].lastError).toBeTruthy();
    // The disagreement stays open through the check that could not judge it.
    expect(json.findings.opened).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'node_mismatch', state: 'open', poolName: 'system', openedAt: '2026-10-21T03:30:00.000Z' })]));
    const pdf = (await pdfText((await h.get(`/api/v1/reports/${id}/download?format=pdf`)).rawPayload)).replace(/\s+/g, ' ');
    expect(pdf).toContain('Node-level cross-check');
    expect(pdf).toContain('API server not readable');
    expect(pdf).toContain('node_mismatch');
    await h.app.close();
  });

  it('records every download of a report and every export of evidence in the ledger: who, what, when', async () => {
    const h = await octoberOnRecord();
    const { id } = (await h.post('/api/v1/reports', { period: '2026-10' })).json() as { id: string };
    const report = await h.services.reportService.completion(id);
    const accesses = () => [...h.services.evidenceRepo.entries()].filter((e) => e.kind === 'report_downloaded' || e.kind === 'evidence_exported').map((e) => ({ kind: e.kind, subject: e.subject, actor: e.actor, body: JSON.parse(e.body) as Record<string, unknown> }));
    expect(accesses()).toEqual([]);

    const pdf = await h.get(`/api/v1/reports/${id}/download?format=pdf`);
    expect(pdf.statusCode).toBe(200);
    const sha = report.artifacts.find((a) => a.format === 'pdf')!.sha256;
    // A conditional request the client already holds transfers nothing and records nothing.
    const holder = h.services.keyService.create({ name: 'holder', role: 'auditor', expiresAt: null, actor: 'test' }).key;
    const again = await h.app.inject({ method: 'GET', url: `/api/v1/reports/${id}/download?format=pdf`, headers: { authorization: `Bearer ${holder}`, 'if-none-match': `"${sha}"` } });
    expect(again.statusCode).toBe(304);
    expect((await h.get(`/api/v1/reports/${id}/population`)).statusCode).toBe(200);
    expect((await h.get(`/api/v1/reports/${id}/sample?seed=audit-2026&size=5`)).statusCode).toBe(200);
    expect((await h.get('/api/v1/evidence/export')).statusCode).toBe(200);

    expect(accesses()).toEqual([
      { kind: 'report_downloaded', subject: id, actor: 'key:auditor', body: { reportId: id, format: 'pdf', sha256: sha, bytes: report.artifacts.find((a) => a.format === 'pdf')!.bytes } },
      { kind: 'report_downloaded', subject: id, actor: 'key:auditor', body: { reportId: id, format: 'population', sha256: report.population!.sha256, rows: report.population!.rows } },
      { kind: 'report_downloaded', subject: id, actor: 'key:auditor', body: { reportId: id, format: 'sample', seed: 'audit-2026', size: 5, populationSha256: report.population!.sha256 } },
      { kind: 'evidence_exported', subject: 'ledger', actor: 'key:auditor', body: { export: 'ledger', format: 'imagewarden-evidence-bundle' } },
    ]);
    expect(h.services.evidence.verify().intact).toBe(true);
    await h.app.close();
  });
});
