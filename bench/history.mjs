// A fleet's observation history for the benches (drift, report, api): a generated fleet that follows weekly image
// releases, snapshotted on a fixed cadence and ingested through the store's own path (SnapshotRepository.start/commit,
// as a snapshot commits), into a fresh data dir with the service's own migrations and policy.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../dist/config.js';
import { recordSnapshot } from '../dist/evidence/snapshot-evidence.js';
import { createServices } from '../dist/services/create-services.js';
import { openDatabase } from '../dist/store/database.js';
import { migrate } from '../dist/store/migrate.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
export const LOCATIONS = ['westeurope', 'northeurope', 'eastus2', 'westus3'];
export const FAMILIES = ['AKSUbuntu-2204gen2containerd', 'AKSAzureLinux-V3gen2', 'AKSUbuntu-2404gen2containerd'];

export const subscriptionIds = (count) => Array.from({ length: count }, (_, i) => `${String(i).padStart(8, '0')}-1111-2222-3333-444444444444`);

/** The benches' deterministic generator (an LCG: the same fleet on every machine and every run). */
export function createRandom(seed = 42) {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/**
 * Weekly image releases of every family from `firstRelease` on; a release reaches location i of LOCATIONS i days
 * later. `latestAt(family, locationIndex, t)` is the location's latest image at t.
 */
export function weeklyReleases(firstRelease) {
  const versionOf = (family, release) => {
    const d = new Date(release);
    return `${family}-${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}.0`;
  };
  return {
    latestAt: (family, locationIndex, t) => versionOf(family, firstRelease + Math.floor((t - locationIndex * DAY - firstRelease) / WEEK) * WEEK),
  };
}

/**
 * The production-sized fleet bench/report, bench/api and bench/dashboard share: 40,000 pools (`BENCH_POOLS`) in
 * 10,000 clusters over 20 subscriptions, a third of the clusters tagged `env=prod`, one pool in four out of policy,
 * following weekly releases from 13 weeks before `start`.
 */
export function consoleFleet({ start, pools = Number(process.env.BENCH_POOLS ?? 40_000) }) {
  const subscriptions = subscriptionIds(20);
  return {
    subscriptions,
    releases: weeklyReleases(start - 13 * 7 * DAY),
    pools: generatePools({
      pools,
      subscriptions,
      clusterDigits: 5,
      lagOf: quarterOutOfPolicy,
      clusterTags: (clusterIndex) => ({ env: clusterIndex % 3 === 0 ? 'prod' : 'dev' }),
    }),
  };
}

/**
 * `pools` pools, four per cluster, clusters spread over `subscriptions` and then LOCATIONS, families in turn. Each
 * pool follows its location's latest image `lagOf(random)` ms behind; `clusterTags(clusterIndex, poolIndex)` tags
 * its cluster (the last pool of a cluster decides, as each bench always had it).
 */
export function generatePools({ pools, subscriptions, clusterDigits, lagOf, clusterTags, seed = 42 }) {
  const random = createRandom(seed);
  return Array.from({ length: pools }, (_, i) => {
    const clusterIndex = Math.floor(i / 4);
    const subscriptionId = subscriptions[clusterIndex % subscriptions.length];
    const locationIndex = Math.floor(clusterIndex / subscriptions.length) % LOCATIONS.length;
    const clusterName = `aks-${String(clusterIndex).padStart(clusterDigits, '0')}`;
    return {
      subscriptionId,
      locationIndex,
      family: FAMILIES[i % FAMILIES.length],
      lag: lagOf(random),
      clusterId: `/subscriptions/${subscriptionId}/resourcegroups/rg-bench/providers/Microsoft.ContainerService/managedClusters/${clusterName}`,
      clusterName,
      poolName: `pool${i % 4}`,
      tags: clusterTags(clusterIndex, i),
    };
  });
}

/**
 * bench/report's and bench/api's fleet: three pools in four 0-20 days behind (inside the 30-day SLA), one in four
 * 40-55 days behind (past it, whichever release their image came from); whole hours.
 */
export const quarterOutOfPolicy = (random) => {
  const laggard = random() < 0.25;
  return Math.floor((laggard ? 40 + random() * 15 : random() * 20) * 24) * HOUR;
};

/** A fresh store in `env.IMAGEWARDEN_DATA_DIR`, migrated, with services on a clock the ingest moves (from `start`). */
export function openHistoryStore(env, start) {
  const config = loadConfig(env);
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: start };
  const services = createServices({ config, db, logger: pino({ level: 'silent' }), now: () => new Date(clock.now) });
  services.recordPolicy('bench');
  return { config, db, clock, services };
}

/**
 * One fleet snapshot every `everyHours` from `start` to before `end`, each committed a minute after it starts, as a
 * snapshot commits. `ledger`: record each snapshot's evidence (change set, state digest) and sign a checkpoint after
 * it, as `imagewarden snapshot` does. Returns counts and the ingest's seconds.
 */
export function ingestHistory({ store, pools, subscriptions, releases, start, end, everyHours, ledger = false }) {
  const { db, clock, services } = store;
  const started = performance.now();
  let observations = 0;
  let snapshots = 0;
  for (let t = start; t < end; t += everyHours * HOUR) {
    clock.now = t;
    const clusters = new Map();
    const observed = pools.map((p) => {
      clusters.set(p.clusterId, p);
      return {
        clusterId: p.clusterId, clusterName: p.clusterName, subscriptionId: p.subscriptionId, resourceGroup: 'rg-bench',
        location: LOCATIONS[p.locationIndex], poolName: p.poolName, mode: p.poolName === 'pool0' ? 'System' : 'User',
        osType: 'Linux', osSku: 'Ubuntu', vmSize: 'Standard_D4ds_v5', nodeCount: 3, nodeImageVersion: releases.latestAt(p.family, p.locationIndex, t - p.lag),
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
    const latestImages = subscriptions.flatMap((subscriptionId) =>
      LOCATIONS.flatMap((location, li) => FAMILIES.map((imageFamily) => ({ subscriptionId, location, imageFamily, version: releases.latestAt(imageFamily, li, t), sourcePoolKey: 'bench' }))),
    );
    const { snapshot } = services.snapshots.start({ trigger: 'schedule', scope: 'fleet', requestedBy: 'bench', owner: 'bench', startedAt: new Date(t).toISOString() });
    clock.now = t + 60_000;
    services.snapshots.commit(
      snapshot.id,
      {
        status: 'succeeded', finishedAt: new Date(t + 60_000).toISOString(), subscriptions: subscriptions.map((id) => ({ id, status: 'succeeded' })),
        warnings: [], error: null, armCalls: 0, clusterCount: clusterObservations.length, poolCount: observed.length,
      },
      { subscriptions: new Set(subscriptions), clusters: clusterObservations, pools: observed, latestImages },
      ...(ledger ? [(committed, changes) => recordSnapshot(db, services.ledger, committed, changes)] : []),
    );
    if (ledger) services.ledger.checkpoint();
    observations += observed.length;
    snapshots++;
  }
  return { snapshots, observations, seconds: (performance.now() - started) / 1000 };
}

/**
 * The console fleet's last `days` of fleet snapshots every `everyHours`, ending at the last whole hour (so "now", the
 * default asOf, is right after the newest snapshot), with their ledger entries, and an auditor key; or, with `reuse`,
 * the history and key a BENCH_KEEP run left in `dataDir`. Untimed set-up for the benches that drive `serve`.
 */
export function consoleHistory({ dataDir, reuse, days, everyHours }) {
  const keyFile = join(dataDir, 'bench-key.txt');
  if (reuse && existsSync(keyFile)) return { key: readFileSync(keyFile, 'utf8').trim(), description: `the history in ${dataDir}` };
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const start = end - days * DAY;
  const { subscriptions, releases, pools } = consoleFleet({ start });
  const store = openHistoryStore({ IMAGEWARDEN_DATA_DIR: dataDir, IMAGEWARDEN_ARM_TOKEN: 'unused', IMAGEWARDEN_SNAPSHOT_CRON: 'off', IMAGEWARDEN_LOG_LEVEL: 'warn' }, start);
  const ingest = ingestHistory({ store, pools, subscriptions, releases, start, end, everyHours, ledger: true });
  store.clock.now = Date.now();
  const { key } = store.services.keyService.create({ name: 'bench', role: 'auditor', expiresAt: null, actor: 'bench' });
  writeFileSync(keyFile, key);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const dbMB = statSync(store.config.databaseFile).size / 2 ** 20;
  store.db.close();
  return {
    key,
    description: `${pools.length} pools, ${days} days of fleet snapshots every ${everyHours} h (${ingest.snapshots} snapshots, ${ingest.observations} pool observations); ingest ${ingest.seconds.toFixed(1)} s, DB ${dbMB.toFixed(1)} MB`,
  };
}
