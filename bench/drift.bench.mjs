// bench/drift: 90 days of hourly snapshots of a 5,000-pool fleet with weekly image releases and upgrades spread over
// the period, ingested through the store's own path (SnapshotRepository.start/commit, as a snapshot commits).
// Prints ingest rate, database size, and the time of the compliance summary, the non-compliant pools page and a
// whole month's findings, each beside a same-run baseline (a plain scan of the same rows).
// Targets: DB <= 100 MB, summary <= 50 ms, month findings <= 1 s.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../dist/config.js';
import { createServices } from '../dist/services/create-services.js';
import { openDatabase } from '../dist/store/database.js';
import { migrate } from '../dist/store/migrate.js';

const POOLS = Number(process.env.BENCH_POOLS ?? 5000);
const DAYS = Number(process.env.BENCH_DAYS ?? 90);
const START = Date.parse('2026-08-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SUBSCRIPTIONS = Array.from({ length: 4 }, (_, i) => `0000000${i}-1111-2222-3333-444444444444`);
const LOCATIONS = ['westeurope', 'northeurope', 'eastus2', 'westus3'];
const FAMILIES = ['AKSUbuntu-2204gen2containerd', 'AKSAzureLinux-V3gen2', 'AKSUbuntu-2404gen2containerd'];

let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

// Weekly releases, starting well before the period; a release reaches each location 0-3 days later.
const releases = Array.from({ length: DAYS / 7 + 10 }, (_, w) => START - 8 * 7 * DAY + w * 7 * DAY);
const versionOf = (family, release) => {
  const d = new Date(release);
  return `${family}-${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}.0`;
};
const regionalDelay = LOCATIONS.map((_, i) => i * DAY);
const latestAt = (family, locationIndex, t) => versionOf(family, releases.filter((r) => r + regionalDelay[locationIndex] <= t).at(-1));

// Pools: each follows its location's latest image with a fixed lag of 0-50 days.
const pools = Array.from({ length: POOLS }, (_, i) => {
  // Four pools per cluster; clusters spread over subscriptions and locations.
  const clusterIndex = Math.floor(i / 4);
  const subscriptionId = SUBSCRIPTIONS[clusterIndex % SUBSCRIPTIONS.length];
  const locationIndex = Math.floor(clusterIndex / SUBSCRIPTIONS.length) % LOCATIONS.length;
  const clusterName = `aks-${String(clusterIndex).padStart(4, '0')}`;
  return {
    subscriptionId,
    locationIndex,
    family: FAMILIES[i % FAMILIES.length],
    lag: Math.floor(random() * 50) * DAY,
    clusterId: `/subscriptions/${subscriptionId}/resourcegroups/rg-bench/providers/Microsoft.ContainerService/managedClusters/${clusterName}`,
    clusterName,
    poolName: `pool${i % 4}`,
    tags: { env: i % 3 === 0 ? 'prod' : 'dev' },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'imagewarden-bench-drift-'));
try {
  const config = loadConfig({ IMAGEWARDEN_DATA_DIR: dir, IMAGEWARDEN_ARM_TOKEN: 'unused', IMAGEWARDEN_SNAPSHOT_CRON: '0 * * * *' });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: START };
  const services = createServices({ config, db, logger: pino({ level: 'silent' }), now: () => new Date(clock.now) });
  services.recordPolicy('bench');

  const ingestStarted = performance.now();
  let observations = 0;
  for (let t = START; t < START + DAYS * DAY; t += HOUR) {
    clock.now = t;
    const clusters = new Map();
    const observed = pools.map((p) => {
      const image = latestAt(p.family, p.locationIndex, t - p.lag);
      clusters.set(p.clusterId, p);
      return {
        clusterId: p.clusterId, clusterName: p.clusterName, subscriptionId: p.subscriptionId, resourceGroup: 'rg-bench',
        location: LOCATIONS[p.locationIndex], poolName: p.poolName, mode: p.poolName === 'pool0' ? 'System' : 'User',
        osType: 'Linux', osSku: 'Ubuntu', vmSize: 'Standard_D4ds_v5', nodeCount: 3, nodeImageVersion: image,
        kubernetesVersion: '1.32.6', provisioningState: 'Succeeded', powerState: 'Running', enableFips: false,
        enableAutoScaling: false, minCount: null, maxCount: null, maxSurge: '10%', maxUnavailable: null,
        drainTimeoutInMinutes: null, nodeSoakDurationInMinutes: null, availabilityZones: [], tags: {}, nodeLabels: {},
      };
    });
    const clusterObservations = [...clusters.values()].map((p) => ({
      id: p.clusterId, name: p.clusterName, subscriptionId: p.subscriptionId, resourceGroup: 'rg-bench',
      location: LOCATIONS[p.locationIndex], kubernetesVersion: '1.32.6', upgradeChannel: null, nodeOSUpgradeChannel: 'NodeImage',
      provisioningState: 'Succeeded', powerState: 'Running', tags: p.tags, poolCount: 4,
    }));
    const latestImages = SUBSCRIPTIONS.flatMap((subscriptionId) =>
      LOCATIONS.flatMap((location, li) =>
        FAMILIES.map((imageFamily) => ({ subscriptionId, location, imageFamily, version: latestAt(imageFamily, li, t), sourcePoolKey: 'bench' })),
      ),
    );
    const { snapshot } = services.snapshots.start({ trigger: 'schedule', scope: 'fleet', requestedBy: 'bench', owner: 'bench', startedAt: new Date(t).toISOString() });
    clock.now = t + 60_000;
    services.snapshots.commit(
      snapshot.id,
      {
        status: 'succeeded', finishedAt: new Date(t + 60_000).toISOString(), subscriptions: SUBSCRIPTIONS.map((id) => ({ id, status: 'succeeded' })),
        warnings: [], error: null, armCalls: 0, clusterCount: clusterObservations.length, poolCount: observed.length,
      },
      { subscriptions: new Set(SUBSCRIPTIONS), clusters: clusterObservations, pools: observed, latestImages },
    );
    observations += observed.length;
  }
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;
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
  const summaryMs = time(() => services.inventory.summary({}));
  const nonCompliantMs = time(() => services.inventory.pools({ status: 'non_compliant', limit: 101 }));
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
