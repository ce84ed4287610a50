// One step of bench/report in a process of its own, so that its peak RSS (process.resourceUsage().maxRSS) is that
// step's alone. Prints one JSON line of figures last.
//   node bench/report-child.mjs baseline   the same population rows (each day's pools as of that day's last
//                                          snapshot: plain SQL over pool_states with the interval condition),
//                                          streamed to a CSV file with no logic
//   node bench/report-child.mjs report     reportService.create({ from, to }) + completion, end to end (produced in
//                                          a worker process, as serve does: its peak RSS is reported back)
//   node bench/report-child.mjs phases     the same work step by step, as report-production's produceReport
//                                          does it: buildReportModel (the population walk), then each renderer
//                                          (run by the bench with the worker's heap cap, to compare like with like)
// Environment: IMAGEWARDEN_DATA_DIR, BENCH_NOW (the fixed clock), BENCH_FROM / BENCH_TO (dates, `to` inclusive),
// BENCH_OUT (a directory for the baseline and phases files).
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../dist/config.js';
import { rangePeriod, dayEnd } from '../dist/domain/report-period.js';
import { renderPoolCsv, write } from '../dist/reports/render-csv.js';
import { renderJsonReport } from '../dist/reports/render-json.js';
import { renderOscalAssessmentResults, renderOscalPoam } from '../dist/reports/render-oscal.js';
import { renderPdf } from '../dist/reports/render-pdf.js';
import { loadReportTemplates } from '../dist/reports/report-templates.js';
import { createServices } from '../dist/services/create-services.js';
import { buildReportModel, POPULATION_COLUMNS } from '../dist/services/report-builder.js';
import { ledgerFacts } from '../dist/services/report-evidence.js';
import { openDatabase } from '../dist/store/database.js';
import { createExceptionRepository } from '../dist/store/exception-repository.js';

const mode = process.argv[2];
const config = loadConfig();
const db = openDatabase(config.databaseFile);
const now = new Date(process.env.BENCH_NOW);
const from = process.env.BENCH_FROM;
const to = process.env.BENCH_TO;
const outDir = process.env.BENCH_OUT;
const seconds = (started) => (performance.now() - started) / 1000;
const peakRssMB = () => process.resourceUsage().maxRSS / 1024;

let figures;
if (mode === 'baseline') figures = await baseline();
else if (mode === 'report') figures = await endToEnd();
else if (mode === 'phases') figures = await phases();
else throw new Error(`unknown mode ${mode}`);
db.close();
console.log(JSON.stringify({ ...figures, peakRssMB: peakRssMB() }));
process.exit(0);

/** Every day's pool rows, as the report's population walk reads them, to CSV: no drift, no policy, no quoting. */
async function baseline() {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'baseline-population.csv');
  const started = performance.now();
  const out = createWriteStream(file);
  const done = new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
  const snapshotAt = db.prepare(`SELECT id FROM snapshots WHERE status IN ('succeeded', 'partial') AND finished_at <= ? ORDER BY id DESC LIMIT 1`);
  // The latest image rows valid at S are materialised first (a few hundred rows; SQLite indexes them on the fly):
  // joined directly, SQLite probes latest_image_states by (location, image_family) only and filters ~100 rows per
  // pool, which would put a cost of the store's schema into the baseline (see the README).
  const rowsAt = db.prepare(
    `WITH l AS MATERIALIZED (
       SELECT subscription_id, location, image_family, version FROM latest_image_states
       WHERE valid_from <= @s AND (valid_to IS NULL OR valid_to > @s))
     SELECT p.subscription_id AS subscriptionId, p.cluster_key AS clusterKey, p.data AS data, p.node_image_version AS image, l.version AS latest
     FROM pool_states p
     LEFT JOIN l ON l.subscription_id = p.subscription_id AND l.location = p.location AND l.image_family = p.image_family
     WHERE p.valid_from <= @s AND (p.valid_to IS NULL OR p.valid_to > @s)
     ORDER BY p.pool_key`,
  );
  // The baseline writes the population's columns, in its order: fail loudly rather than compare unlike files.
  const columns = 'date,evaluatedAt,subscriptionId,clusterId,poolName,status,nodeImageVersion,latestNodeImageVersion,exposureDays,policyRule,slaDays,exceptionId';
  if (POPULATION_COLUMNS.join(',') !== columns) throw new Error(`the population's columns changed (${POPULATION_COLUMNS.join(',')}): update the baseline`);
  let buffer = `${columns}\r\n`;
  let rows = 0;
  for (const day of rangePeriod(from, to).days) {
    const at = dayEnd(day);
    const snapshot = snapshotAt.get(at);
    if (snapshot === undefined) continue;
    for (const row of rowsAt.iterate({ s: snapshot.id })) {
      const pool = JSON.parse(row.data);
      buffer += `${day},${at},${row.subscriptionId},${row.clusterKey},${pool.poolName},-,${row.image},${row.latest ?? ''},,,,\r\n`;
      rows++;
      if (buffer.length >= 64 * 1024) {
        await write(out, buffer);
        buffer = '';
      }
    }
  }
  out.end(buffer);
  await done;
  return { seconds: seconds(started), rows, bytes: statSync(file).size };
}

function services(logger = pino({ level: 'warn' }, pino.destination(2))) {
  return createServices({ config, db, logger, now: () => now });
}

/**
 * What a user waits for: the report service, request to ready. The report is produced in a worker process of its
 * own (IMAGEWARDEN_REPORT_HEAP_MB), which reports its peak RSS back; this process's own is the service's share.
 */
async function endToEnd() {
  let workerPeakRssMB = null;
  const logLines = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line);
        if (entry.workerPeakRssMB !== undefined) workerPeakRssMB = entry.workerPeakRssMB;
        else if (entry.level >= 40) process.stderr.write(`${line}\n`);
      }
      done();
    },
  });
  const { reportService } = services(pino({ level: 'info' }, logLines));
  const started = performance.now();
  const created = reportService.create({ from, to }, 'bench');
  const report = await reportService.completion(created.id);
  const elapsed = seconds(started);
  if (report.status !== 'ready') throw new Error(`report ${report.id} ${report.status}: ${report.error}`);
  const dir = join(config.dataDir, 'reports', report.id);
  const files = Object.fromEntries(readdirSync(dir).map((name) => [name, statSync(join(dir, name)).size]));
  if (config.reportHeapMB > 0 && workerPeakRssMB === null) throw new Error('the report worker did not report its peak RSS');
  return { seconds: elapsed, id: report.id, rows: report.population.rows, artifacts: report.artifacts.map(({ format, bytes }) => ({ format, bytes })), files, workerPeakRssMB, heapMB: config.reportHeapMB };
}

/** The same generation, phase by phase, as report-service's generate and renderAll run it. */
async function phases() {
  const workDir = join(outDir, 'phases');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const all = services();
  const templates = loadReportTemplates();
  const builder = {
    db,
    config,
    inventory: all.inventory,
    findings: all.findings,
    exceptions: createExceptionRepository(db),
    policyVersions: () => all.policies.list(),
    templates,
  };
  const started = performance.now();
  const { model, population } = await buildReportModel(
    builder,
    { reportId: 'rpt_bench', period: rangePeriod(from, to), scope: null, generatedAt: now, generatedBy: 'bench', workDir },
    (facts) => ledgerFacts(db, { head: all.ledger.head(), keyName: all.ledger.key.name, inclusionProofs: all.ledger.inclusionProofs }, templates, facts),
  );
  const modelSeconds = seconds(started);
  const rss = { afterModelMB: peakRssMB() };
  const renders = [];
  const render = async (format, fileName, draw) => {
    const renderStarted = performance.now();
    const { sha256, bytes, result } = await renderToFile(join(workDir, fileName), draw);
    renders.push({ format, fileName, sha256, bytes, seconds: seconds(renderStarted), peakRssMB: peakRssMB(), ...(result?.pages ? { pages: result.pages } : {}) });
  };
  await render('csv', 'pools.csv', (out) => renderPoolCsv(model, out));
  await render('json', 'report.json', (out) => renderJsonReport(model, out));
  await render('oscal-ar', 'oscal-assessment-results.json', (out) => renderOscalAssessmentResults(model, out));
  await render('oscal-poam', 'oscal-poam.json', (out) => renderOscalPoam(model, out));
  const digests = renders.map(({ format, fileName, sha256, bytes }) => ({ format, fileName, sha256, bytes }));
  await render('pdf', 'report.pdf', (out) => renderPdf(model, digests, out, templates));
  const { header } = model;
  return {
    seconds: seconds(started),
    modelSeconds,
    rss,
    renders: renders.map(({ sha256: _sha, fileName: _name, ...r }) => r),
    population: { rows: population.rows, bytes: statSync(population.file).size },
    spoolBytes: statSync(join(workDir, 'pools.ndjson')).size,
    summary: { total: header.summary.total, counts: header.summary.counts, compliancePercent: header.summary.compliancePercent },
    findings: { opened: header.findings.opened.length, closed: header.findings.closed.length, gaps: header.coverage.gaps.length },
    trendDays: header.trend.length,
  };
}

/** As report-service's renderToFile: the renderer streams into a file, hashed as it passes. */
async function renderToFile(file, draw) {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new PassThrough();
  tap.on('data', (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const sink = createWriteStream(file, { mode: 0o600 });
  const finished = new Promise((resolve, reject) => sink.on('finish', resolve).on('error', reject));
  tap.pipe(sink);
  const result = await draw(tap);
  if (!tap.writableEnded) tap.end();
  await finished;
  return { sha256: hash.digest('hex'), bytes, result };
}
