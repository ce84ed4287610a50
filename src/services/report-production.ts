import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { fsyncPath } from '../lib/fsync.js';
import type { ReportPeriod } from '../domain/report-period.js';
import { renderPoolCsv } from '../reports/render-csv.js';
import { renderJsonReport } from '../reports/render-json.js';
import { renderOscalAssessmentResults, renderOscalPoam } from '../reports/render-oscal.js';
import { renderPdf } from '../reports/render-pdf.js';
import type { ArtifactDigest, ReportHeader, ReportModel } from '../reports/report-schema.js';
import type { ReportTemplates } from '../reports/report-templates.js';
import type { StoredCheckpoint } from '../store/evidence-repository.js';
import type { StoredArtifact } from '../store/report-repository.js';
import { buildReportModel, type ReportBuilderDeps } from './report-builder.js';
import { ledgerFacts, type ReportLedger } from './report-evidence.js';
import type { WorkerReply } from './report-worker.js';

export const REPORT_FORMATS = ['pdf', 'json', 'csv', 'oscal-ar', 'oscal-poam'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, { fileName: string; contentType: string }> = {
  csv: { fileName: 'pools.csv', contentType: 'text/csv; charset=utf-8' },
  json: { fileName: 'report.json', contentType: 'application/json' },
  'oscal-ar': { fileName: 'oscal-assessment-results.json', contentType: 'application/json' },
  'oscal-poam': { fileName: 'oscal-poam.json', contentType: 'application/json' },
  pdf: { fileName: 'report.pdf', contentType: 'application/pdf' },
};
export const POPULATION_FILE = 'population.csv.gz';

/** One report to produce: everything is fixed by the requester, so a worker process produces the same bytes. */
export interface ReportJob {
  readonly reportId: string;
  readonly period: ReportPeriod;
  readonly scope: string | null;
  readonly generatedAt: string;
  readonly generatedBy: string;
  /** The private directory the files are written to (the caller moves it into place). */
  readonly workDir: string;
  /** The signed ledger head the report prints, taken by the requester as generation starts. */
  readonly ledgerHead: StoredCheckpoint;
  readonly keyName: string;
}

/** What producing a report leaves behind in `workDir`, for the requester to record. */
export interface ProducedReport {
  readonly header: Pick<ReportHeader, 'period' | 'scope' | 'generatedAt'> & { ledgerHead: Pick<ReportHeader['ledgerHead'], 'size' | 'rootHash'> };
  readonly artifacts: StoredArtifact[];
  readonly population: { rows: number; sha256: string; fileName: string; bytes: number };
}

/**
 * Builds the model once, renders every format from it into `workDir` and fsyncs each file. Reads the store only:
 * it runs in `serve`'s process or in a report worker process of its own (report-worker.ts).
 */
export async function produceReport(
  sources: Omit<ReportBuilderDeps, 'templates'>,
  templates: ReportTemplates,
  ledger: Pick<ReportLedger, 'inclusionProofs'>,
  job: ReportJob,
): Promise<ProducedReport> {
  const { model, population } = await buildReportModel(
    { ...sources, templates },
    { reportId: job.reportId, period: job.period, scope: job.scope, generatedAt: new Date(job.generatedAt), generatedBy: job.generatedBy, workDir: job.workDir },
    (facts) => ledgerFacts(sources.db, { head: job.ledgerHead, keyName: job.keyName, inclusionProofs: ledger.inclusionProofs }, templates, facts),
  );
  const artifacts = await renderAll(model, job.workDir, templates);
  // Only the rendered formats and the population survive.
  rmSync(join(job.workDir, 'pools.ndjson'), { force: true });
  for (const file of [...artifacts.map((a) => a.fileName), POPULATION_FILE]) fsyncPath(join(job.workDir, file));
  const { header } = model;
  return {
    header: { period: header.period, scope: header.scope, generatedAt: header.generatedAt, ledgerHead: { size: header.ledgerHead.size, rootHash: header.ledgerHead.rootHash } },
    artifacts,
    population: { rows: population.rows, sha256: population.sha256, fileName: POPULATION_FILE, bytes: statSync(population.file).size },
  };
}

/** Renders every format from the one model; the PDF last, printing the digests of the others. */
async function renderAll(model: ReportModel, dir: string, templates: ReportTemplates): Promise<StoredArtifact[]> {
  const artifacts: StoredArtifact[] = [];
  const render = async (format: ReportFormat, draw: (out: NodeJS.WritableStream) => Promise<unknown>) => {
    const { fileName } = REPORT_FILES[format];
    const { sha256, bytes } = await renderToFile(join(dir, fileName), draw);
    artifacts.push({ format, fileName, sha256, bytes });
  };
  await render('csv', (out) => renderPoolCsv(model, out));
  await render('json', (out) => renderJsonReport(model, out));
  await render('oscal-ar', (out) => renderOscalAssessmentResults(model, out));
  await render('oscal-poam', (out) => renderOscalPoam(model, out));
  const digests: ArtifactDigest[] = [...artifacts];
  await render('pdf', (out) => renderPdf(model, digests, out, templates));
  return REPORT_FORMATS.map((format) => artifacts.find((a) => a.format === format)!);
}

/** Streams a renderer into a file, hashing the bytes as they pass. */
async function renderToFile(file: string, draw: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new PassThrough();
  tap.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const sink = createWriteStream(file, { mode: 0o600 });
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve).on('error', reject);
  });
  tap.pipe(sink);
  await draw(tap);
  if (!tap.writableEnded) tap.end();
  await finished;
  return { sha256: hash.digest('hex'), bytes };
}

/** Produces a report somewhere: in this process, or in a worker process of its own (report-worker.ts). */
export type ReportProducer = (job: ReportJob) => Promise<ProducedReport>;

/**
 * Forks one worker per report with its old space capped at `heapMB`. Secrets stay here: the worker reads the store
 * and talks to nothing else. The worker's code is the compiled sibling of this module (under `dist/` when this
 * module runs from source, as in the tests, which build first).
 */
export function workerProducer(config: Config, heapMB: number, onDone?: (figures: { peakRssMB: number }) => void): ReportProducer {
  const here = fileURLToPath(import.meta.url);
  const workerFile = here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'services', 'report-worker.js') : join(dirname(here), 'report-worker.js');
  const workerConfig: Config = { ...config, armToken: null, apiKey: null, clientSecret: null, metricsToken: null, webhook: null };
  return (job) =>
    new Promise((resolve, reject) => {
      const child = fork(workerFile, [], { execArgv: [`--max-old-space-size=${heapMB}`], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let reply: WorkerReply | null = null;
      child.once('message', (message: WorkerReply) => {
        reply = message;
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (reply?.ok === true) {
          onDone?.({ peakRssMB: reply.peakRssMB });
          resolve(reply.produced);
        } else if (reply?.ok === false) reject(new Error(reply.message));
        else reject(new Error(`the report worker stopped (${signal ?? `exit code ${code}`}) before finishing: out of memory? (IMAGEWARDEN_REPORT_HEAP_MB is ${heapMB})`));
      });
      child.send({ config: workerConfig, job });
    });
}
