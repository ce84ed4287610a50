import { afterEach, describe, expect, it } from 'vitest';
import type { PoolObservation } from '../../src/domain/inventory.js';
import { planLatestImageLookups } from '../../src/domain/latest-image-lookup.js';
import type { FleetFile } from '../../src/emulator/types.js';
import { runCli, serveEnv } from '../helpers/cli.js';
import { apiClient, createArmWatch, isAlive, killLaunched, launchServe, seededRandom, sleep, type ApiClient, type ServeProcess } from '../helpers/crash-serve.js';
import { inspectStore, openLockProbe, verifyDataDir, type StoreView } from '../helpers/crash-store.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, SUB_2, SUB_3, TENANT, UBUNTU } from '../helpers/fleets.js';

// 20 SIGKILLs of `serve` (dist/cli.js) at seeded-random moments during fleet snapshots, upgrade runs, report generation
// and start-up, over one emulator and one data dir. After each kill the store is read directly (read-only): it opens
// whole, everything the API had reported is still there unchanged, nothing half-written is visible, and the ledger
// verifies; each restart recovers what the kill interrupted. At the end every run has succeeded with one upgrade POST
// per pool. The seed fixes the order of scenarios and the delays (process timing still varies with the machine's
// load): reproduce a failure with IMAGEWARDEN_CRASH_SEED=<the printed seed>; each cycle prints where its kill landed.
const SEED = Number(process.env.IMAGEWARDEN_CRASH_SEED ?? 20261125);
const LATEST = `${UBUNTU}-202611.10.0`;
const OLD = `${UBUNTU}-202609.02.0`;
/** The churned pools flip between these two (both behind LATEST), so every fleet snapshot closes and reopens ~200 rows. */
const CHURN = [`${UBUNTU}-202607.01.0`, `${UBUNTU}-202608.05.0`] as const;
const UPGRADE_TARGETS = 12;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pad = (i: number) => String(i).padStart(2, '0');

const FLEET: FleetFile = {
  tenantId: TENANT,
  images: { '*': { [UBUNTU]: LATEST } },
  subscriptions: [
    { id: SUB_1, clusters: range(20).map((c) => cluster(`churn-${pad(c)}`, range(10).map((p) => pool(`p${p}`, { nodeImageVersion: CHURN[0], count: 1 })))) },
    { id: SUB_2, clusters: range(UPGRADE_TARGETS).map((c) => cluster(`upg-${pad(c)}`, [pool('web', { nodeImageVersion: OLD, count: 1 }), pool('batch', { nodeImageVersion: OLD, count: 1 })])) },
    { id: SUB_3, clusters: range(8).map((c) => cluster(`cur-${pad(c)}`, range(6).map((p) => pool(`c${p}`, { nodeImageVersion: LATEST, count: 1 })))) },
  ],
};

type Scenario = 'snapshot' | 'snapshot-commit' | 'upgrade' | 'upgrade-submit' | 'both' | 'idle' | 'boot';
/** 20 kills: spread over snapshot reads and commits, upgrade requests, submissions and polling, start-up and quiet moments. */
const SCENARIOS: Scenario[] = [
  ...Array<Scenario>(4).fill('snapshot'),
  ...Array<Scenario>(4).fill('snapshot-commit'),
  ...Array<Scenario>(3).fill('upgrade'),
  ...Array<Scenario>(3).fill('upgrade-submit'),
  ...Array<Scenario>(3).fill('both'),
  ...Array<Scenario>(2).fill('idle'),
  'boot',
];

interface RunRecord {
  status: string;
  timeline: { sequence: number; event: string }[];
}
/** Everything the API reported before a kill (all of it was committed, so all of it must survive). */
interface Reported {
  snapshots: Map<number, { status: string; poolCount: number | null; clusterCount: number | null; finishedAt: string | null }>;
  runs: Map<string, RunRecord>;
  checkpoint: { id: number; size: number; rootHash: string } | null;
}
interface UpgradeRequest {
  key: string;
  body: { clusterId: string; reason: string };
  response: { id: string; status: string } | null;
}

const RUN_ORDER: Record<string, number> = { pending_approval: 0, queued: 1, running: 2 };
const TERMINAL_RUN = new Set(['succeeded', 'failed', 'aborted', 'blocked', 'expired']);

afterEach(killLaunched);

describe('serve killed with SIGKILL 20 times during snapshots and upgrades', () => {
  it('keeps everything committed, shows nothing half-written, recovers each time, and its ledger verifies', async () => {
    const began = performance.now();
    const random = seededRandom(SEED);
    const log = (message: string) => process.stdout.write(`[crash-kills] ${message}\n`);
    log(`seed ${SEED} (set IMAGEWARDEN_CRASH_SEED to reproduce)`);

    const watch = createArmWatch();
    const emulator = await startTestEmulator(FLEET, { upgradeDurationMs: 1000, log: watch.log });
    const env: Record<string, string> = { ...serveEnv(emulator), IMAGEWARDEN_RATE_LIMIT_PER_MINUTE: '0', IMAGEWARDEN_NODE_CHECK_CRON: 'off' };
    const dataDir = env.IMAGEWARDEN_DATA_DIR!;
    const created = await runCli(['keys', 'create', '--role', 'operator', '--name', 'crash-ops'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;

    const clusterIds = emulator.fleet.listClusterIds();
    const idOf = (name: string) => clusterIds.find((id) => id.toLowerCase().endsWith(`/managedclusters/${name}`))!;
    const targets = range(UPGRADE_TARGETS).map((c) => idOf(`upg-${pad(c)}`));
    const churnPools = FLEET.subscriptions[0]!.clusters.flatMap((c) => c.agentPools.map((p) => [idOf(c.name), p.name] as const));
    /** The pools each fleet snapshot asks for their latest image (rotating with its id): its last ARM reads. */
    const observedPools = FLEET.subscriptions.flatMap((s) =>
      s.clusters.flatMap((c) => c.agentPools.map((p) => ({ clusterId: idOf(c.name), clusterName: c.name, subscriptionId: s.id, location: c.location, poolName: p.name, nodeImageVersion: p.nodeImageVersion }) as PoolObservation)),
    );
    const lookupPaths = (snapshotId: number) =>
      new Set(planLatestImageLookups(observedPools, snapshotId).flatMap((g) => [g.primary, ...(g.verifier ? [g.verifier] : [])]).map((p) => `${p.clusterId}/agentpools/${p.poolName}/upgradeprofiles/default`.toLowerCase()));
    let churned = 0;
    const churn = () => {
      churned++;
      for (const [clusterId, poolName] of churnPools) emulator.fleet.setPoolImage(clusterId, poolName, CHURN[churned % 2]!);
    };

    const reported: Reported = { snapshots: new Map(), runs: new Map(), checkpoint: null };
    let checkpointCursor: string | undefined;
    /** Reads what the API reports as committed into `reported`, until the connection fails (serve was killed). */
    async function recordOnce(api: ApiClient): Promise<void> {
      const snapshots = await api.get<{ items: { id: number; status: string; poolCount: number | null; clusterCount: number | null; finishedAt: string | null }[] }>('/api/v1/snapshots?limit=1000');
      for (const s of snapshots.body.items) if (s.status !== 'running') reported.snapshots.set(s.id, { status: s.status, poolCount: s.poolCount, clusterCount: s.clusterCount, finishedAt: s.finishedAt });
      const runs = await api.get<{ items: { id: string; status: string }[] }>('/api/v1/upgrades?limit=1000');
      for (const run of runs.body.items) {
        const known = reported.runs.get(run.id);
        if (known && TERMINAL_RUN.has(known.status)) continue;
        const full = await api.get<{ status: string; timeline: { sequence: number; event: string }[] }>(`/api/v1/upgrades/${run.id}`);
        reported.runs.set(run.id, { status: full.body.status, timeline: full.body.timeline.map(({ sequence, event }) => ({ sequence, event })) });
      }
      for (;;) {
        const page = await api.get<{ items: { id: number; size: number; rootHash: string }[]; nextCursor: string | null }>(`/api/v1/evidence/checkpoints?limit=1000${checkpointCursor ? `&cursor=${checkpointCursor}` : ''}`);
        const last = page.body.items.at(-1);
        if (last) reported.checkpoint = { id: last.id, size: last.size, rootHash: last.rootHash };
        if (page.body.nextCursor === null) break;
        checkpointCursor = page.body.nextCursor;
      }
    }
    async function recordUntilKilled(api: ApiClient, serve: ServeProcess): Promise<void> {
      while (serve.child.exitCode === null && serve.child.signalCode === null) {
        try {
          await recordOnce(api);
        } catch {
          return; // the connection failed: serve is gone
        }
        await sleep(300);
      }
    }

    const requests: UpgradeRequest[] = [];
    let nextTarget = 0;
    /** Sends (or re-sends, after a kill lost the answer) an upgrade request; a kill while it is in flight is no error. */
    async function sendUpgrade(api: ApiClient, request: UpgradeRequest): Promise<void> {
      let answer: { status: number; body: { id: string; status: string } };
      try {
        answer = await api.post<{ id: string; status: string }>('/api/v1/upgrades', request.body, { 'idempotency-key': request.key });
      } catch {
        return; // the connection failed: the kill came first
      }
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      if (request.response !== null) expect(answer.body.id).toBe(request.response.id);
      request.response = answer.body;
    }

    // Calibration (not a kill): the first full snapshot, then a churned one timed from its last ARM read to the start
    // of its write transaction and to its commit, as a second connection sees them.
    let commitWindowInMs = 0;
    let transactionInMs = 0;
    let snapshotInMs = 0;
    {
      const serve = launchServe(env);
      const api = apiClient(await serve.listening, key);
      const probe = openLockProbe(dataDir);
      const waitFor = async (id: number) => {
        let firstBusy = 0;
        for (;;) {
          if (firstBusy === 0 && probe.writerActive()) firstBusy = performance.now();
          const status = probe.snapshotStatus(id);
          if (status !== 'running') return { status, firstBusy, committed: performance.now() };
          await sleep(1);
        }
      };
      const first = await api.post<{ id: number }>('/api/v1/snapshots', {});
      expect((await waitFor(first.body.id)).status).toBe('succeeded');
      churn();
      const since = performance.now();
      const second = await api.post<{ id: number }>('/api/v1/snapshots', {});
      const paths = lookupPaths(second.body.id);
      const timed = await waitFor(second.body.id);
      expect(timed.status).toBe('succeeded');
      const lastRead = Math.max(...watch.exchanges.filter((e) => e.at >= since && paths.has(e.path)).map((e) => e.at));
      commitWindowInMs = Math.max(5, timed.committed - lastRead);
      transactionInMs = timed.firstBusy > lastRead ? Math.max(2, timed.committed - timed.firstBusy) : commitWindowInMs / 2;
      snapshotInMs = timed.committed - since;
      probe.close();
      await recordOnce(api);
      serve.child.kill('SIGTERM');
      await new Promise((resolve) => serve.child.once('exit', resolve));
      log(`calibration (${((performance.now() - began) / 1000).toFixed(1)} s): a churned fleet snapshot commits ${snapshotInMs.toFixed(0)} ms after it starts, ${commitWindowInMs.toFixed(0)} ms after its last ARM read; its write transaction holds the lock for ~${transactionInMs.toFixed(0)} ms`);
    }

    let previous: StoreView = inspectStore(dataDir);
    expect(previous.problems).toEqual([]);
    const scenarios = SCENARIOS.map((s) => ({ s, r: random() })).sort((a, b) => a.r - b.r).map((x) => x.s);
    const moments: { cycle: number; scenario: Scenario; delayInMs: number; labels: string[] }[] = [];
    /** Runs a kill found running, with the ledger length then: each must record `resumed` after it. */
    const interruptedRuns: { runId: string; ledgerLength: number }[] = [];
    let submitKills = 0;

    for (let cycle = 0; cycle < scenarios.length; cycle++) {
      const scenario = scenarios[cycle]!;
      const cycleBegan = performance.now();
      const wasRunning = previous.snapshots.filter((s) => s.status === 'running').map((s) => s.id);
      const lastSnapshotId = previous.snapshots.at(-1)?.id ?? 0;
      if (scenario === 'snapshot' || scenario === 'snapshot-commit' || scenario === 'both') churn();

      const serve = launchServe(env);
      let delayInMs = 0;
      let listenedInMs = 0;
      let killedAt = 0;
      let listening = false;
      let snapshotId: number | null = null;
      let snapshotPostedAt = 0;
      let workers: { pid: number; args: string }[] = [];
      const probe = scenario === 'snapshot-commit' ? openLockProbe(dataDir) : null;
      let inTransaction = false;
      const kill = () => {
        if (killedAt !== 0) return;
        workers = serve.children();
        inTransaction = probe?.writerActive() ?? false;
        killedAt = performance.now();
        serve.child.kill('SIGKILL');
      };
      let verifying: Promise<{ code: number | null; stdout: string; stderr: string } | null> = Promise.resolve(null);
      let recording: Promise<void> = Promise.resolve();
      const inFlight: Promise<void>[] = [];
      const newRequests: UpgradeRequest[] = [];

      if (scenario === 'boot') {
        // Killed while it starts: migrating, recovering what the last kill interrupted, recording findings, or just listening.
        delayInMs = Math.round(random() * 900);
        const listenedAt = serve.listening.then(() => performance.now(), () => Number.POSITIVE_INFINITY);
        await sleep(delayInMs);
        kill();
        listening = (await listenedAt) <= killedAt;
      } else {
        const api = apiClient(await serve.listening, key);
        listening = true;
        listenedInMs = performance.now() - cycleBegan;
        // Recovered: what the last kill interrupted is failed, not running; nothing older still runs.
        for (const id of wasRunning) {
          const s = await api.get<{ status: string; error: string | null }>(`/api/v1/snapshots/${id}`);
          expect(s.body, `snapshot ${id} after restart`).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
        }
        const listed = await api.get<{ items: { id: number; status: string }[] }>('/api/v1/snapshots?limit=1000');
        expect(listed.body.items.filter((s) => s.status === 'running' && s.id <= lastSnapshotId)).toEqual([]);
        // A request whose answer the kill lost is sent again, with the same key: one run either way.
        for (const request of requests.filter((r) => r.response === null)) await sendUpgrade(api, request);

        recording = recordUntilKilled(api, serve);
        if (scenario === 'snapshot' || scenario === 'snapshot-commit' || scenario === 'both') {
          // While a run's own cluster snapshot runs, the API answers with that one: wait it out, then start a fleet one.
          for (const t0 = performance.now(); snapshotId === null && performance.now() - t0 < 15_000; ) {
            snapshotPostedAt = performance.now();
            const started = await api.post<{ id: number; status: string }>('/api/v1/snapshots', {});
            expect(started.status).toBe(202);
            const running = await api.get<{ scope: string; status: string }>(`/api/v1/snapshots/${started.body.id}`);
            if (running.body.scope === 'fleet' && started.body.id > lastSnapshotId) snapshotId = started.body.id;
            else await sleep(50);
          }
          expect(snapshotId, `cycle ${cycle}: a fleet snapshot started`).not.toBeNull();
        }
        if ((scenario === 'upgrade' || scenario === 'upgrade-submit' || scenario === 'both') && nextTarget < targets.length) {
          const request: UpgradeRequest = { key: `crash-${SEED}-${cycle}`, body: { clusterId: targets[nextTarget++]!, reason: `crash test cycle ${cycle}` }, response: null };
          requests.push(request);
          newRequests.push(request);
          inFlight.push(sendUpgrade(api, request));
        }
        if (scenario === 'idle') {
          inFlight.push(api.post('/api/v1/reports', { period: new Date().toISOString().slice(0, 7) }).then(() => undefined, () => undefined));
        }

        if (scenario === 'snapshot-commit' && snapshotId !== null) {
          // Killed in the window between the snapshot's last ARM read and its commit (compute, then one write transaction).
          const pending = lookupPaths(snapshotId);
          let lastRead = 0;
          const take = (e: { at: number; path: string; operation: string }) => {
            if (e.operation === 'agentPools.getUpgradeProfile' && e.at >= snapshotPostedAt && pending.delete(e.path)) lastRead = e.at;
            return pending.size === 0;
          };
          for (const e of watch.exchanges) take(e);
          if (pending.size > 0) await watch.next(take, 20_000);
          if (random() < 0.5) {
            // Anywhere from its last read to just past its commit.
            delayInMs = Math.round(random() * commitWindowInMs * 1.2);
            await sleep(Math.max(0, lastRead + delayInMs - performance.now()));
          } else {
            // Inside the commit: once a writer holds the lock, somewhere within the transaction's calibrated length.
            for (const t0 = performance.now(); performance.now() - t0 < 2000 && !probe!.writerActive(); ) await sleep(1);
            delayInMs = Math.round(performance.now() - lastRead + random() * transactionInMs * 0.9);
            await sleep(Math.max(0, lastRead + delayInMs - performance.now()));
          }
        } else if (scenario === 'upgrade-submit') {
          // Killed the moment Azure accepted an upgrade (two of three such kills), before serve can record the
          // submission, or a few milliseconds later, around that record.
          delayInMs = submitKills++ % 3 === 1 ? Math.round(1 + random() * 15) : 0;
          const accepted = await watch.next((e) => {
            if (e.operation !== 'agentPools.upgradeNodeImageVersion' || e.status >= 300) return false;
            if (delayInMs === 0) kill();
            return true;
          }, 15_000);
          if (accepted === null) log(`cycle ${cycle}: no upgrade submission within 15 s; killing anyway`);
          else await sleep(Math.max(0, accepted.at + delayInMs - performance.now()));
        } else {
          const span = scenario === 'snapshot' ? snapshotInMs * 1.3 : scenario === 'idle' ? 2000 : 3000;
          delayInMs = Math.round((scenario === 'idle' ? 300 : 0) + random() * span);
          await sleep(delayInMs);
        }
        kill();
      }
      if (killedAt === 0) kill();
      await serve.kill();
      await recording;
      await Promise.all(inFlight);

      // A report worker loses its parent with the kill: it must not outlive it.
      for (const { pid, args } of workers) {
        const t0 = performance.now();
        while (isAlive(pid) && performance.now() - t0 < 15_000) await sleep(50);
        log(`cycle ${cycle}: child ${pid} (${args}) exited ${(performance.now() - t0).toFixed(0)} ms after serve`);
        if (isAlive(pid)) {
          process.kill(pid, 'SIGKILL');
          expect.fail(`cycle ${cycle}: child ${pid} (${args}) outlived its killed serve by 15 s`);
        }
      }

      probe?.close();
      // `imagewarden verify` itself on every fifth crash (each starts a Node process); the same check runs in-process on all.
      if (cycle % 5 === 4) verifying = runCli(['verify'], env);
      const view = inspectStore(dataDir);
      const verified = verifyDataDir(env);
      const labels = classify(view, { lastSnapshotId, snapshotId, snapshotPostedAt, killedAt, listening, newRequests, lookupPaths, exchanges: watch.exchanges });
      if (inTransaction) labels.push('inside a write transaction');
      moments.push({ cycle, scenario, delayInMs, labels });
      log(`cycle ${cycle}: ${scenario}, delay ${delayInMs} ms → ${labels.join(', ')} (ledger ${view.entries.length} entries; listening after ${listenedInMs.toFixed(0)} ms, killed at ${(killedAt - cycleBegan).toFixed(0)} ms, inspected at ${(performance.now() - cycleBegan).toFixed(0)} ms)`);

      expect(view.integrity, `cycle ${cycle}`).toBe('ok');
      expect(view.foreignKeyViolations, `cycle ${cycle}`).toEqual([]);
      expect(view.problems, `cycle ${cycle}: half-written state`).toEqual([]);
      expectNothingLost(cycle, previous, view, reported);
      expect(verified.problems, `cycle ${cycle}: the ledger as the kill left it`).toEqual([]);
      expect(verified.intact).toBe(true);
      const cli = await verifying;
      if (cli !== null) expect(cli.code, `cycle ${cycle}: imagewarden verify\n${cli.stdout}\n${cli.stderr}`).toBe(0);
      for (const run of view.runs) if (run.status === 'running') interruptedRuns.push({ runId: run.id, ledgerLength: view.entries.length });
      previous = view;
    }

    // The last restart: every run resumes and finishes, snapshots work again, and a clean stop leaves a verifiable ledger.
    log(`${scenarios.length} kills done at ${((performance.now() - began) / 1000).toFixed(1)} s`);
    const wasRunning = previous.snapshots.filter((s) => s.status === 'running').map((s) => s.id);
    const serve = launchServe(env);
    const api = apiClient(await serve.listening, key);
    for (const id of wasRunning) expect((await api.get<{ status: string }>(`/api/v1/snapshots/${id}`)).body.status).toBe('failed');
    for (const request of requests.filter((r) => r.response === null)) await sendUpgrade(api, request);
    expect(requests.every((r) => r.response !== null)).toBe(true);
    let runs: { id: string; status: string }[] = [];
    for (let i = 0; i < 300; i++) {
      runs = (await api.get<{ items: { id: string; status: string }[] }>('/api/v1/upgrades?limit=1000')).body.items;
      const snapshots = (await api.get<{ items: { status: string }[] }>('/api/v1/snapshots?limit=5')).body.items;
      if (runs.every((r) => TERMINAL_RUN.has(r.status)) && snapshots.every((s) => s.status !== 'running')) break;
      await sleep(200);
    }
    log(`every run ended at ${((performance.now() - began) / 1000).toFixed(1)} s`);
    churn();
    const final = await api.post<{ id: number }>('/api/v1/snapshots', {});
    let finalStatus = 'running';
    for (let i = 0; i < 300 && finalStatus === 'running'; i++) {
      await sleep(100);
      finalStatus = (await api.get<{ status: string }>(`/api/v1/snapshots/${final.body.id}`)).body.status;
    }
    expect(finalStatus).toBe('succeeded');
    await recordOnce(api);
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => (serve.child.exitCode !== null ? resolve(null) : serve.child.once('exit', resolve)));

    const end = inspectStore(dataDir);
    expect(end.integrity).toBe('ok');
    expect(end.foreignKeyViolations).toEqual([]);
    expect(end.problems).toEqual([]);
    // Nothing left running; every snapshot that failed was one a kill interrupted, and says so.
    expect(end.snapshots.filter((s) => s.status === 'running')).toEqual([]);
    expect(end.snapshots.filter((s) => s.status === 'failed' && !/^interrupted/.test(s.error ?? ''))).toEqual([]);
    expect(end.reports.filter((r) => r.status === 'running')).toEqual([]);
    expectNothingLost(scenarios.length, previous, end, reported);
    expect(runs.length).toBe(requests.length);
    expect(end.runs.map((r) => [r.clusterId, r.status])).toEqual(expect.arrayContaining(requests.map((r) => [r.body.clusterId, 'succeeded'])));
    expect(end.runs.every((r) => r.status === 'succeeded')).toBe(true);
    // Each run that a kill interrupted recorded its resumption after that kill.
    for (const { runId, ledgerLength } of interruptedRuns) {
      expect(end.entries.some((e) => e.subject === runId && e.kind === 'upgrade_resumed' && e.seq > ledgerLength), `run ${runId} resumed after entry ${ledgerLength}`).toBe(true);
    }
    // One upgrade POST per pool, across every process: a restart adopts or confirms, never submits again.
    const posts = new Map<string, number>();
    for (const e of watch.exchanges) if (e.operation === 'agentPools.upgradeNodeImageVersion' && e.method === 'POST') posts.set(e.path, (posts.get(e.path) ?? 0) + 1);
    expect([...posts.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(emulator.callCounts()['agentPools.upgradeNodeImageVersion']).toBe(posts.size);
    for (const run of end.runs) {
      for (const p of run.pools) {
        const armPool = (emulator.fleet.getCluster(run.clusterId) as { properties: { agentPoolProfiles: { name: string; nodeImageVersion: string }[] } }).properties.agentPoolProfiles.find((a) => a.name === p.poolName);
        expect(armPool?.nodeImageVersion, `${run.clusterId}/${p.poolName}`).toBe(LATEST);
      }
    }
    const verified = await runCli(['verify'], env);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    // A pool this run upgraded is recorded as upgraded, even when a kill lost the answer to its POST; only a pool no
    // POST was sent for may read `skipped`.
    for (const run of end.runs) {
      for (const p of run.pools) {
        const sent = posts.get(`${run.clusterId}/agentpools/${p.poolName}/upgradenodeimageversion`.toLowerCase()) ?? 0;
        expect([p.status, sent], `${run.id} ${p.poolName}`).toEqual(sent === 1 ? ['succeeded', 1] : ['skipped', 0]);
      }
    }

    const tally = new Map<string, number>();
    for (const m of moments) for (const label of m.labels) tally.set(label, (tally.get(label) ?? 0) + 1);
    log(`kill moments: ${[...tally.entries()].map(([label, n]) => `${label} ×${n}`).join(', ')}`);
    log(`${moments.length} kills, ${requests.length} upgrade runs, ${posts.size} upgrade POSTs, ledger ${end.entries.length} entries, ${((performance.now() - began) / 1000).toFixed(1)} s`);
  }, 180_000);
});

/** Everything recorded before — by the API before the kill, or in the store after the last one — is still there, unchanged. */
function expectNothingLost(cycle: number, before: StoreView, after: StoreView, reported: Reported): void {
  const at = `cycle ${cycle}`;
  expect(after.entries.length, `${at}: ledger length`).toBeGreaterThanOrEqual(before.entries.length);
  const changed = before.entries.filter((entry, i) => after.entries[i]!.row !== entry.row).map((e) => e.seq);
  expect(changed, `${at}: earlier ledger entries changed`).toEqual([]);
  const snapshots = new Map(after.snapshots.map((s) => [s.id, s]));
  for (const s of before.snapshots) {
    const now = snapshots.get(s.id);
    expect(now, `${at}: snapshot ${s.id}`).toBeDefined();
    if (s.status !== 'running') expect(now, `${at}: snapshot ${s.id}`).toEqual(s);
  }
  for (const [id, s] of reported.snapshots) {
    expect(snapshots.get(id), `${at}: reported snapshot ${id}`).toMatchObject({ status: s.status, poolCount: s.poolCount, clusterCount: s.clusterCount, finishedAt: s.finishedAt });
  }
  const runs = new Map(after.runs.map((r) => [r.id, r]));
  for (const run of before.runs) {
    const now = runs.get(run.id);
    expect(now, `${at}: run ${run.id}`).toBeDefined();
    if (TERMINAL_RUN.has(run.status)) expect(now, `${at}: run ${run.id}`).toEqual(run);
    run.pools.forEach((p, i) => {
      if (p.status !== 'pending' && p.status !== 'running') expect(now!.pools[i], `${at}: run ${run.id} pool ${p.poolName}`).toEqual(p);
    });
  }
  for (const [id, run] of reported.runs) {
    const now = runs.get(id);
    expect(now, `${at}: reported run ${id}`).toBeDefined();
    if (TERMINAL_RUN.has(run.status)) expect(now!.status, `${at}: run ${id}`).toBe(run.status);
    else expect(TERMINAL_RUN.has(now!.status) || RUN_ORDER[now!.status]! >= RUN_ORDER[run.status]!, `${at}: run ${id} went back from ${run.status} to ${now!.status}`).toBe(true);
    for (const event of run.timeline) {
      const entry = after.entries[event.sequence - 1];
      expect(entry && [entry.kind, entry.subject], `${at}: run ${id} event ${event.sequence}`).toEqual([`upgrade_${event.event}`, id]);
    }
  }
  if (reported.checkpoint) {
    const { id, size, rootHash } = reported.checkpoint;
    expect(after.checkpoints.find((c) => c.id === id), `${at}: checkpoint ${id}`).toEqual({ id, size, rootHash });
    expect(after.entries.length).toBeGreaterThanOrEqual(size);
  }
}

/** Where a kill landed, read from the store it left and the ARM traffic before it. */
function classify(
  view: StoreView,
  context: {
    lastSnapshotId: number;
    snapshotId: number | null;
    snapshotPostedAt: number;
    killedAt: number;
    listening: boolean;
    newRequests: UpgradeRequest[];
    lookupPaths: (id: number) => Set<string>;
    exchanges: { at: number; method: string; path: string; operation: string; status: number }[];
  },
): string[] {
  const labels: string[] = [];
  const before = context.exchanges.filter((e) => e.at <= context.killedAt);
  if (!context.listening) labels.push('start-up (before listening)');
  for (const s of view.snapshots.filter((s) => s.status === 'running')) {
    if (s.id <= context.lastSnapshotId) labels.push('an earlier interrupted snapshot, not yet recovered');
    else if (s.scope === 'cluster') labels.push('cluster snapshot after a run');
    else {
      const paths = context.lookupPaths(s.id);
      const read = before.filter((e) => e.at >= context.snapshotPostedAt && paths.has(e.path)).length;
      labels.push(read >= paths.size ? 'snapshot between last ARM read and commit' : 'snapshot reading ARM');
    }
  }
  if (context.snapshotId !== null && view.snapshots.find((s) => s.id === context.snapshotId)?.status !== 'running') labels.push('after its snapshot committed');
  for (const request of context.newRequests) if (request.response === null) labels.push(view.runs.some((r) => r.clusterId === request.body.clusterId) ? 'upgrade request committed, answer lost' : 'upgrade request in flight');
  for (const run of view.runs.filter((r) => !TERMINAL_RUN.has(r.status))) {
    if (run.status === 'queued') labels.push('upgrade queued');
    else if (run.pools.every((p) => p.status !== 'pending' && p.status !== 'running')) labels.push('upgrade post-checks');
    else {
      const pool = run.pools.find((p) => p.status === 'pending' || p.status === 'running')!;
      const posted = before.some((e) => e.operation === 'agentPools.upgradeNodeImageVersion' && e.path.startsWith(`${run.clusterId}/agentpools/${pool.poolName}/`.toLowerCase()));
      const step = run.submission[pool.poolName];
      if (pool.status === 'pending') labels.push(posted ? 'upgrade accepted by Azure, not yet recorded' : 'upgrade before submitting a pool');
      else if (step === 'submitting') labels.push(posted ? 'upgrade accepted by Azure, not yet recorded' : 'upgrade submitting, not yet answered');
      else labels.push('upgrade polling');
    }
  }
  if (view.reports.some((r) => r.status === 'running')) labels.push('report generating');
  return labels.length > 0 ? labels : ['idle'];
}
