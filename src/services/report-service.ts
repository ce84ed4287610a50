import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { fsyncPath } from '../lib/fsync.js';
import { conflict, invalidInput, notFound } from '../domain/errors.js';
import { monthPeriod, rangePeriod, type ReportPeriod } from '../domain/report-period.js';
import type { Ledger } from '../evidence/ledger.js';
import type { ReportTemplates } from '../reports/report-templates.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { ReportRepository, StoredArtifact, StoredReport } from '../store/report-repository.js';
import type { ReportBuilderDeps } from './report-builder.js';
import { produceReport, REPORT_FILES, type ReportFormat, type ReportJob, type ReportProducer } from './report-production.js';

export { REPORT_FORMATS, type ReportFormat } from './report-production.js';

export interface ReportRequest {
  readonly period?: string;
  readonly from?: string;
  readonly to?: string;
  readonly scope?: string | null;
}

export interface ReportServiceDeps {
  readonly db: Db;
  readonly reports: ReportRepository;
  readonly builder: Omit<ReportBuilderDeps, 'templates'>;
  readonly templates: () => ReportTemplates;
  readonly ledger: Pick<Ledger, 'append' | 'checkpoint' | 'head' | 'inclusionProofs' | 'key'>;
  /** Where reports are produced: a worker process (serve, the CLI), else this process. */
  readonly produce?: ReportProducer;
  readonly dataDir: string;
  readonly owner: string;
  readonly isOwnerAlive: (owner: string) => boolean;
  readonly now: () => Date;
  readonly logger: Pick<Logger, 'info' | 'error' | 'warn'>;
}

export type ReportService = ReturnType<typeof createReportService>;

/**
 * Audit reports: a request is stored as running, the model is built from the store once, every format is rendered
 * from it into a private directory, fsynced and moved into place, and only then is the report marked ready — in
 * the same transaction as the ledger entry that records each format's SHA-256. Reports are generated one at a time.
 */
export function createReportService(deps: ReportServiceDeps) {
  const root = join(deps.dataDir, 'reports');
  let queue: Promise<unknown> = Promise.resolve();
  const inFlight = new Map<string, Promise<StoredReport>>();
  const produce: ReportProducer = deps.produce ?? ((job) => produceReport(deps.builder, deps.templates(), deps.ledger, job));

  function periodOf(request: ReportRequest): ReportPeriod {
    if (request.period !== undefined) {
      if (request.from !== undefined || request.to !== undefined) throw invalidInput('invalid_period', 'give period, or from and to, not both');
      return monthPeriod(request.period);
    }
    if (request.from === undefined || request.to === undefined) throw invalidInput('invalid_period', 'give period (YYYY-MM), or both from and to');
    return rangePeriod(request.from, request.to);
  }

  async function generate(report: StoredReport, period: ReportPeriod): Promise<StoredReport> {
    const work = join(root, `.tmp-${report.id}`);
    mkdirSync(work, { recursive: true, mode: 0o700 });
    try {
      const job: ReportJob = {
        reportId: report.id,
        period,
        scope: report.scope,
        generatedAt: deps.now().toISOString(),
        generatedBy: report.requestedBy,
        workDir: work,
        // Signed now, so the report's head covers everything recorded before its generation started.
        ledgerHead: deps.ledger.head(),
        keyName: deps.ledger.key.name,
      };
      const produced = await produce(job);
      // The move makes the files visible whole or not at all.
      renameSync(work, join(root, report.id));
      fsyncPath(root);
      const finishedAt = deps.now().toISOString();
      writeTransaction(deps.db, () => {
        const entry = deps.ledger.append({
          kind: 'report_generated',
          subject: report.id,
          actor: report.requestedBy,
          body: { reportId: report.id, ...produced.header, artifacts: produced.artifacts, population: produced.population },
        });
        deps.reports.markReady(report.id, finishedAt, produced.artifacts, produced.population, entry.seq);
      });
      deps.ledger.checkpoint();
      deps.logger.info({ reportId: report.id, rows: produced.population.rows }, 'report ready');
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      deps.logger.error({ reportId: report.id, err: error }, 'report failed');
      writeTransaction(deps.db, () => deps.reports.markFailed(report.id, deps.now().toISOString(), error instanceof Error ? error.message : String(error)));
    }
    return deps.reports.get(report.id)!;
  }

  return {
    /** Validates and stores the request; generation runs in the background (see `completion`). */
    create(request: ReportRequest, actor: string): StoredReport {
      const period = periodOf(request);
      const scope = request.scope ?? null;
      if (scope !== null) deps.builder.inventory.scopeSelector(scope, deps.now());
      if (period.from > deps.now().toISOString()) throw invalidInput('period_not_started', 'the period has not started yet', { from: period.from });
      const id = `rpt_${randomUUID()}`;
      deps.reports.insert({ id, periodFrom: period.from, periodTo: period.to, periodLabel: period.label, scope, requestedBy: actor, requestedAt: deps.now().toISOString(), owner: deps.owner });
      const report = deps.reports.get(id)!;
      const done = (queue = queue.then(() => generate(report, period)).catch(() => undefined)) as Promise<StoredReport | undefined>;
      inFlight.set(id, done.then(() => deps.reports.get(id)!).finally(() => inFlight.delete(id)));
      return report;
    },

    /** Resolves once the report is ready or failed. */
    completion: (id: string): Promise<StoredReport> => inFlight.get(id) ?? Promise.resolve(deps.reports.get(id) ?? Promise.reject(notFound('report_not_found', `no report ${id}`))),

    get(id: string): StoredReport {
      const report = deps.reports.get(id);
      if (!report) throw notFound('report_not_found', `no report ${id}`);
      return report;
    },

    list: (after: { requestedAt: string; id: string } | null, limit: number) => deps.reports.list(after, limit),

    /** The stored bytes of one format: only a file the report itself recorded, inside its own directory. */
    artifact(id: string, format: ReportFormat): StoredArtifact & { path: string; contentType: string } {
      const report = this.get(id);
      if (report.status !== 'ready') throw conflict('report_not_ready', `report ${id} is ${report.status}`, { status: report.status });
      const artifact = report.artifacts.find((a) => a.format === format)!;
      return { ...artifact, path: join(root, report.id, artifact.fileName), contentType: REPORT_FILES[format].contentType };
    },

    population(id: string): { path: string; sha256: string; rows: number } {
      const report = this.get(id);
      if (report.status !== 'ready' || report.population === null) throw conflict('report_not_ready', `report ${id} is ${report.status}`, { status: report.status });
      return { path: join(root, report.id, report.population.fileName), sha256: report.population.sha256, rows: report.population.rows };
    },

    /** Marks reports whose process died as failed and removes their half-written directories. */
    recoverInterrupted(): void {
      for (const report of deps.reports.running()) {
        if (inFlight.has(report.id) || deps.isOwnerAlive(report.owner)) continue;
        writeTransaction(deps.db, () => deps.reports.markFailed(report.id, deps.now().toISOString(), `interrupted: the process generating it (${report.owner}) stopped`));
      }
      if (!existsSync(root)) return;
      for (const name of readdirSync(root)) {
        const id = name.replace(/^\.tmp-/, '');
        if (!name.startsWith('.tmp-') || inFlight.has(id) || deps.reports.get(id)?.status === 'running') continue;
        // The worker of a killed process may still be writing its last file here for a moment: a leftover is
        // retried at the next start, never a reason not to start.
        try {
          rmSync(join(root, name), { recursive: true, force: true, maxRetries: 3 });
        } catch (error) {
          deps.logger.warn({ err: error, dir: name }, 'could not remove an interrupted report directory yet');
        }
      }
    },

    drain: async (): Promise<void> => {
      await queue;
    },
  };
}
