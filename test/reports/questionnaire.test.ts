import { describe, expect, it } from 'vitest';
import { parseCsvLine } from '../../src/services/population-sample.js';
import { octoberOnRecord } from '../helpers/report-history.js';

describe('questionnaire', () => {
  it('answers the standard questions for a window with figures and evidence references, as JSON and CSV', async () => {
    const h = await octoberOnRecord();
    const { id } = (await h.post('/api/v1/reports', { period: '2026-10' })).json() as { id: string };
    await h.services.reportService.completion(id);
    const response = await h.get('/api/v1/questionnaire?from=2026-10-01&to=2026-10-31');
    expect(response.statusCode).toBe(200);
    const body = response.json() as { from: string; to: string; answers: { id: string; answer: string; figures: Record<string, unknown>; references: { reports: { id: string }[]; ledgerCheckpoint: { size: number } | null } }[] };
    expect(body).toMatchObject({ from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' });
    const ids = body.answers.map((a) => a.id);
    for (const required of ['host_os_patch_cadence', 'critical_patch_time', 'os_patching_separate_from_platform_upgrades', 'exception_process', 'evidence_integrity', 'automated_vs_manual_patching']) {
      expect(ids).toContain(required);
    }
    const byId = Object.fromEntries(body.answers.map((a) => [a.id, a]));
    expect(byId.host_os_patch_cadence!.figures).toMatchObject({ pools: 3, compliancePercent: '33.3 %', defaultSlaDays: 30 });
    expect(byId.host_os_patch_cadence!.answer).toContain('33.3 %');
    expect(byId.monitoring_coverage!.figures).toMatchObject({ ran: 3, scheduled: 31 });
    expect(byId.evidence_integrity!.references.ledgerCheckpoint!.size).toBeGreaterThan(0);
    expect(byId.critical_patch_time!.references.reports.map((r) => r.id)).toContain(id);
    for (const answer of body.answers) expect(answer.answer).not.toMatch(/\{[a-zA-Z]+\}/);

    const csv = await h.get('/api/v1/questionnaire?from=2026-10-01&to=2026-10-31&format=csv');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const rows = csv.body.split('\r\n').filter(Boolean).map(parseCsvLine);
    expect(rows[0]).toEqual(['id', 'question', 'answer', 'controls', 'figures', 'reports', 'ledgerCheckpoint']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(ids);

    expect((await h.get('/api/v1/questionnaire?from=2026-01-01&to=2026-10-31')).statusCode).toBe(400);
    expect((await h.get('/api/v1/questionnaire?format=xml')).statusCode).toBe(400);
    await h.app.close();
  });
});
