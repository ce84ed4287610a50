// bench/drift: 90 days of hourly snapshots of a 5,000-pool fleet with weekly image releases and upgrades spread over
// the period, ingested through the store's own path (SnapshotRepository.start/commit, as a snapshot commits).
// Prints ingest rate, database size, and the time of the compliance summary, the non-compliant pools page and a
// whole month's findings, each beside a same-run baseline (a plain scan of the same rows).
// Targets: DB <= 100 MB, summary <= 50 ms, month findings <= 1 s.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY, generatePools, ingestHistory, openHistoryStore, subscriptionIds, weeklyReleases } from './history.mjs';

const POOLS = Number(process.env.BENCH_POOLS ?? 5000);
const DAYS = Number(process.env.BENCH_DAYS ?? 90);
const START = Date.parse('2026-08-01T00:00:00Z');
const SUBSCRIPTIONS = subscriptionIds(4);
// Weekly releases, starting well before the period; a release reaches each location 0-3 days later.
const releases = weeklyReleases(START - 8 * 7 * DAY);
// Pools: each follows its location's latest image with a fixed lag of 0-50 days.
const pools = generatePools({
  pools: POOLS,
  subscriptions: SUBSCRIPTIONS,
  clusterDigits: 4,
  lagOf: (random) => Math.floor(random() * 50) * DAY,
  clusterTags: (_clusterIndex, poolIndex) => ({ env: poolIndex % 3 === 0 ? 'prod' : 'dev' }),
});

const dir = mkdtempSync(join(tmpdir(), 'imagewarden-bench-drift-'));
try {
  const store = openHistoryStore({ IMAGEWARDEN_DATA_DIR: dir, IMAGEWARDEN_ARM_TOKEN: 'unused', IMAGEWARDEN_SNAPSHOT_CRON: '0 * * * *' }, START);
  const { config, db, clock, services } = store;
  const { observations, seconds: ingestSeconds } = ingestHistory({ store, pools, subscriptions: SUBSCRIPTIONS, releases, start: START, end: START + DAYS * DAY, everyHours: 1 });
  db.pragma('wal_checkpoint(TRUNCATE)');
  const dbBytes = statSync(config.databaseFile).size;
  clock.now = START + DAYS * DAY;

  const time = (work, runs = 5) => {
    work(); // warm
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      work();
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b)[Math.floor(runs / 2)];
  };
  const baseline = time(() => {
    for (const row of db.prepare('SELECT data FROM pool_states WHERE valid_to IS NULL').all()) JSON.parse(row.data);
  });
  // The service keeps its evaluation of the fleet for later moments while it holds (see inventory-service): each
  // evaluation is asked 1 ms before the last, so that every one is computed afresh. The kept answer is timed apart.
  let earlier = clock.now;
  const afresh = () => new Date(--earlier);
  const summaryMs = time(() => services.inventory.summary({ asOf: afresh() }));
  const nonCompliantMs = time(() => services.inventory.pools({ status: 'non_compliant', limit: 101, asOf: afresh() }));
  services.inventory.summary({});
  const keptSummaryMs = time(() => services.inventory.summary({}));
  const monthFrom = new Date(clock.now - 30 * DAY).toISOString();
  // As GET /api/v1/findings?from=…&to=… asks: episodes reaching into the last 30 days.
  const monthFindingsMs = time(() => services.findings.all(new Date(clock.now), null, monthFrom).filter((f) => f.closedAt === null || f.closedAt >= monthFrom), 3);
  const summary = services.inventory.summary({});
  const findings = services.findings.all(new Date(clock.now));
  db.close();

  const report = {
    fleet: `${POOLS} pools, ${DAYS} days of hourly snapshots (${DAYS * 24} snapshots, ${observations} pool observations)`,
    ingestObservationsPerSecond: Math.round(observations / ingestSeconds),
    ingestSeconds: Math.round(ingestSeconds * 10) / 10,
    dbMB: Math.round((dbBytes / 1024 / 1024) * 10) / 10,
    baselineScanMs: Math.round(baseline * 10) / 10,
    summaryMs: Math.round(summaryMs * 10) / 10,
    summaryRatio: Math.round((summaryMs / baseline) * 10) / 10,
    nonCompliantPageMs: Math.round(nonCompliantMs * 10) / 10,
    keptSummaryMs: Math.round(keptSummaryMs * 100) / 100,
    monthFindingsMs: Math.round(monthFindingsMs),
    monthFindingsRatio: Math.round((monthFindingsMs / baseline) * 10) / 10,
    statuses: summary.counts,
    findings: findings.length,
  };
  console.log(JSON.stringify(report, null, 2));
  const checks = [
    ['DB <= 100 MB', report.dbMB <= 100],
    ['summary <= 50 ms', summaryMs <= 50],
    ['month findings <= 1 s', monthFindingsMs <= 1000],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
