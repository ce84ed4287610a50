// bench/report: a 40,000-pool fleet (10,000 clusters x 4 pools) with 30 days of snapshots every 6 hours, a quarter
// of it out of policy at the end, ingested through the store's own commit path (as drift.bench, with the snapshot's
// ledger entry as a snapshot records it). Then, each in a process of its own (bench/report-child.mjs):
//   baseline  the same population rows (each day's pools as of that day's last snapshot) streamed to CSV, no logic;
//   report    one report for the 30 days, reportService.create + completion, end to end: time and peak RSS;
//   phases    the same generation step by step: the model (population walk), then each format's renderer.
// Targets: the whole report <= 3x the baseline, peak RSS of the report process <= 300 MB.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleFleet, DAY, HOUR, ingestHistory, openHistoryStore } from './history.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const POOLS = Number(process.env.BENCH_POOLS ?? 40_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const EVERY_HOURS = 6;
const SCHEDULE = `0 */${EVERY_HOURS} * * *`;
const START = Date.parse('2026-10-01T00:00:00Z');
const END = START + DAYS * DAY;
const { subscriptions: SUBSCRIPTIONS, releases, pools } = consoleFleet({ start: START, pools: POOLS });

const dir = mkdtempSync(join(tmpdir(), 'imagewarden-bench-report-'));
const out = join(dir, 'out');
mkdirSync(out);
const env = {
  IMAGEWARDEN_DATA_DIR: join(dir, 'data'),
  IMAGEWARDEN_ARM_TOKEN: 'unused',
  IMAGEWARDEN_SNAPSHOT_CRON: SCHEDULE,
  IMAGEWARDEN_LOG_LEVEL: 'warn',
};
try {
  // Ingest (not timed against anything): one fleet snapshot every 6 hours, committed as a snapshot commits, with
  // the snapshot's ledger entry and a signed checkpoint.
  const store = openHistoryStore(env, START);
  const { config, db } = store;
  const { snapshots, observations, seconds: ingestSeconds } = ingestHistory({ store, pools, subscriptions: SUBSCRIPTIONS, releases, start: START, end: END, everyHours: EVERY_HOURS, ledger: true });
  db.pragma('wal_checkpoint(TRUNCATE)');
  const dbBytes = statSync(config.databaseFile).size;
  db.close();

  const window = {
    ...env,
    BENCH_NOW: new Date(END + HOUR).toISOString(),
    BENCH_FROM: new Date(START).toISOString().slice(0, 10),
    BENCH_TO: new Date(END - DAY).toISOString().slice(0, 10),
    BENCH_OUT: out,
  };
  const run = (mode, nodeOptions = []) => {
    const profile = process.env.BENCH_PROFILE === mode ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profile')}`] : [];
    const result = spawnSync(process.execPath, [...profile, ...nodeOptions, join(root, 'bench', 'report-child.mjs'), mode], { env: { ...process.env, ...window }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`report-child ${mode} failed:\n${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1));
  };
  run('baseline'); // warm-up: the database file into the page cache, the child's code paths
  const baseline = run('baseline');
  const report = run('report');
  // The phases run in the child itself, with the heap cap the service gives its report workers.
  const phases = run('phases', report.heapMB > 0 ? [`--max-old-space-size=${report.heapMB}`] : []);

  const ratio = (s) => s / baseline.seconds;
  const pdf = phases.renders.find((r) => r.format === 'pdf');
  const rows = [
    ['baseline (rows to CSV, no logic)', baseline.seconds, null, baseline.bytes],
    ['report, end to end (reportService)', report.seconds, ratio(report.seconds), null],
    ['phases: model (population walk, pool table, findings)', phases.modelSeconds, ratio(phases.modelSeconds), phases.population.bytes],
    ...phases.renders.map((r) => [`phases: render ${r.format}${r.pages ? ` (${r.pages} pages)` : ''}`, r.seconds, ratio(r.seconds), r.bytes]),
    ['phases: total', phases.seconds, ratio(phases.seconds), null],
  ];
  console.log(`fleet: ${POOLS} pools, ${DAYS} days of snapshots every ${EVERY_HOURS} h (${snapshots} snapshots, ${observations} pool observations)`);
  console.log(`ingest: ${round(ingestSeconds, 1)} s (${Math.round(observations / ingestSeconds)} observations/s), DB ${round(dbBytes / 2 ** 20, 1)} MB`);
  console.log(`population: ${phases.population.rows} rows (baseline ${baseline.rows}), ${phases.trendDays} days; at period end ${JSON.stringify(phases.summary.counts)}, compliance ${phases.summary.compliancePercent}%`);
  console.log(`findings: ${phases.findings.opened} opened, ${phases.findings.closed} closed in the period; ${phases.findings.gaps} coverage gaps`);
  console.log('');
  console.log(`${'step'.padEnd(58)}${'seconds'.padStart(9)}${'x baseline'.padStart(12)}${'bytes'.padStart(14)}`);
  for (const [name, s, r, bytes] of rows) {
    console.log(`${name.padEnd(58)}${s.toFixed(2).padStart(9)}${(r === null ? '' : r.toFixed(2)).padStart(12)}${(bytes === null ? '' : bytes.toLocaleString('en')).padStart(14)}`);
  }
  console.log('');
  console.log(`peak RSS: report worker ${round(report.workerPeakRssMB, 1)} MB (heap cap ${report.heapMB} MB), the service process requesting it ${round(report.peakRssMB, 1)} MB; phases process ${round(phases.peakRssMB, 1)} MB (after model ${round(phases.rss.afterModelMB, 1)} MB, ${phases.renders.map((r) => `after ${r.format} ${round(r.peakRssMB, 1)}`).join(', ')}); baseline process ${round(baseline.peakRssMB, 1)} MB`);
  console.log(`PDF: ${pdf.pages} pages, ${pdf.bytes.toLocaleString('en')} bytes`);
  console.log(`stored files: ${Object.entries(report.files).map(([name, bytes]) => `${name} ${bytes.toLocaleString('en')}`).join(', ')}`);
  console.log(`spooled pool table (pools.ndjson, removed once stored): ${phases.spoolBytes.toLocaleString('en')} bytes`);
  console.log('');
  const slowest = phases.renders.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  console.log(`(info) each renderer alone vs baseline: slowest ${slowest.format} ${ratio(slowest.seconds).toFixed(2)}x; model ${ratio(phases.modelSeconds).toFixed(2)}x`);
  const checks = [
    ['same population rows as the baseline', phases.population.rows === baseline.rows && report.rows === baseline.rows],
    [`whole report <= 3x baseline (${ratio(report.seconds).toFixed(2)}x)`, ratio(report.seconds) <= 3],
    [`peak RSS of the report process <= 300 MB (worker ${round(report.workerPeakRssMB, 1)} MB)`, report.workerPeakRssMB <= 300],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);

function round(value, digits = 2) {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
