// bench/snapshot: a generated fleet of 10,000 clusters / 40,000 pools across 20 subscriptions and 8 locations,
// served by the ARM emulator in a separate process. Prints, from one run:
//   baseline  the bare SDK paging through the same Resource Graph query and making the same latest-version calls,
//             discarding the results;
//   full      a complete imagewarden snapshot (separate process, fresh database);
//   ratio     full / baseline (target <= 1.5), peak RSS of the snapshot process (target <= 300 MB),
//   ARM calls, and the database bytes added by a second snapshot that observes no change (target <= 64 KB).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateFleet } from '../dist/emulator/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bench', 'out');
const shape = {
  subscriptions: Number(process.env.BENCH_SUBSCRIPTIONS ?? 20),
  clusters: Number(process.env.BENCH_CLUSTERS ?? 10_000),
  poolsPerCluster: 4,
  locations: 8,
  seed: 7,
};
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const fleetFile = join(out, 'fleet.json');
writeFileSync(fleetFile, JSON.stringify(generateFleet(shape)));

const emulator = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'emulator', '--fleet', fleetFile], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
const first = await new Promise((resolve) => createInterface({ input: emulator.stdout }).once('line', resolve));
const { url, caFile, token } = JSON.parse(first);
const env = {
  ...process.env,
  NODE_EXTRA_CA_CERTS: caFile,
  IMAGEWARDEN_ARM_ENDPOINT: url,
  IMAGEWARDEN_ARM_TOKEN: token,
  IMAGEWARDEN_DATA_DIR: join(out, 'data'),
  IMAGEWARDEN_LOG_LEVEL: 'warn',
};

/** Runs a worker script; it prints one JSON line of figures last. */
function run(script, extraEnv = {}) {
  const result = spawnSync(process.execPath, [join(root, 'bench', script)], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

try {
  // Warm both paths once (emulator JIT, TLS session) so neither side pays start-up alone.
  run('snapshot-baseline.mjs');
  const baseline = run('snapshot-baseline.mjs');
  const full = run('snapshot-full.mjs');
  const second = run('snapshot-full.mjs');
  const ratio = full.seconds / baseline.seconds;
  const report = {
    fleet: `${shape.clusters} clusters / ${full.pools} pools, ${shape.subscriptions} subscriptions, ${shape.locations} locations`,
    baselineSeconds: round(baseline.seconds),
    snapshotSeconds: round(full.seconds),
    ratio: round(ratio),
    peakRssMB: round(full.peakRssMB),
    armCalls: full.armCalls,
    baselineArmCalls: baseline.armCalls,
    secondSnapshotBytesAdded: second.bytesAdded,
    secondSnapshotStatus: second.status,
  };
  console.log(JSON.stringify(report, null, 2));
  const checks = [
    ['ratio <= 1.5', ratio <= 1.5],
    ['peak RSS <= 300 MB', full.peakRssMB <= 300],
    ['second unchanged snapshot adds <= 64 KB', second.bytesAdded <= 64 * 1024],
    ['ARM calls grow with groups, not pools', full.armCalls < full.pools / 10],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  emulator.kill('SIGTERM');
}

function round(value) {
  return Math.round(value * 100) / 100;
}
