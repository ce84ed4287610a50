// A report worker: one process per report, forked by `serve` (or the `report` command) with a capped heap, so a
// 12-month report over a large fleet neither grows the service's memory nor competes with its requests for it.
// It reads the store (opened read-only) and writes files into the job's private directory; the requester records
// the result in the ledger. Protocol: one { config, job } message in, one WorkerReply out, then exit.
import type { Config } from '../config.js';
import { inclusionProofsOf } from '../evidence/ledger.js';
import { loadReportTemplates } from '../reports/report-templates.js';
import { openDatabase } from '../store/database.js';
import { createEvidenceRepository } from '../store/evidence-repository.js';
import { createReadModel } from './read-model.js';
import { produceReport, type ProducedReport, type ReportJob } from './report-production.js';

export type WorkerReply = { ok: true; produced: ProducedReport; peakRssMB: number } | { ok: false; message: string };

const reply = (message: WorkerReply, code: number) => process.send!(message, () => process.exit(code));

// The requester went away (serve stopped): its report stays `running` and is marked failed at the next start.
process.on('disconnect', () => process.exit(1));
process.once('message', (message: { config: Config; job: ReportJob }) => {
  void (async () => {
    try {
      const { config, job } = message;
      const db = openDatabase(config.databaseFile, { readonly: true });
      const read = createReadModel({ config, db, now: () => new Date(job.generatedAt) });
      const repo = createEvidenceRepository(db);
      const produced = await produceReport(read.reportSources, loadReportTemplates(), { inclusionProofs: (sequences, size) => inclusionProofsOf(repo, sequences, size) }, job);
      reply({ ok: true, produced, peakRssMB: process.resourceUsage().maxRSS / 1024 }, 0);
    } catch (error) {
      reply({ ok: false, message: error instanceof Error ? error.message : String(error) }, 1);
    }
  })();
});
