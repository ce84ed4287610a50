import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { monthPeriod } from '../../src/domain/report-period.js';
import { createServices } from '../../src/services/create-services.js';
import { workerProducer } from '../../src/services/report-production.js';
import { octoberOnRecord } from '../helpers/report-history.js';
import { silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('report workers', () => {
  it('produce, in a process of their own, the same population and pool table as the service process does', async () => {
    const h = await octoberOnRecord();
    expect(h.config.reportHeapMB).toBe(160);
    const logged: { msg: string; workerPeakRssMB?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const now = () => new Date(h.clock.now);
    const inWorker = createServices({ config: h.config, db: h.db, logger, now }).reportService;
    const inProcess = createServices({ config: { ...h.config, reportHeapMB: 0 }, db: h.db, logger: silentLogger, now }).reportService;

    const a = await inWorker.completion(inWorker.create({ period: '2026-10' }, 'test').id);
    const b = await inProcess.completion(inProcess.create({ period: '2026-10' }, 'test').id);
    expect([a.status, a.error, b.status]).toEqual(['ready', null, 'ready']);
    const worker = logged.find((line) => line.msg === 'report worker finished');
    expect(worker?.workerPeakRssMB).toBeGreaterThan(20);

    expect(a.population).toEqual(b.population);
    const csv = (report: typeof a) => report.artifacts.find((artifact) => artifact.format === 'csv')!;
    expect(csv(a).sha256).toBe(csv(b).sha256);
    // What was recorded is what was stored (the population's digest is of its CSV text, stored gzip'd).
    expect(createHash('sha256').update(gunzipSync(readFileSync(inWorker.population(a.id).path))).digest('hex')).toBe(a.population!.sha256);
    expect(sha256(inWorker.artifact(a.id, 'pdf').path)).toBe(a.artifacts.find((artifact) => artifact.format === 'pdf')!.sha256);
    const json = JSON.parse(readFileSync(inWorker.artifact(a.id, 'json').path, 'utf8')) as { summary: unknown; trend: unknown; reportId: string };
    const jsonInProcess = JSON.parse(readFileSync(inProcess.artifact(b.id, 'json').path, 'utf8')) as typeof json;
    expect(json.reportId).toBe(a.id);
    expect([json.summary, json.trend]).toEqual([jsonInProcess.summary, jsonInProcess.trend]);
  });

  it('pass a failure back as the reason, not as a silent exit', async () => {
    const h = await octoberOnRecord();
    const produce = workerProducer({ ...h.config, databaseFile: join(tempDir(), 'missing.db') }, 64);
    const job = {
      reportId: 'rpt_x',
      period: monthPeriod('2026-10'),
      scope: null,
      generatedAt: '2026-11-02T08:00:00.000Z',
      generatedBy: 'test',
      workDir: tempDir(),
      ledgerHead: h.services.ledger.head(),
      keyName: h.services.ledger.key.name,
    };
    await expect(produce(job)).rejects.toThrow(/unable to open database file/);
  });
});
