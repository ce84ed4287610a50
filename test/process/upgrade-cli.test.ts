import { describe, expect, it } from 'vitest';
import { exitOf, runCli, serveEnv, startServe } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';

describe('imagewarden upgrade (a client of the API)', () => {
  it('shows the plan on --dry-run, then starts a run and follows its events to the end', async () => {
    const emulator = await startTestEmulator(
      { tenantId: TENANT, images: { '*': { [UBUNTU]: `${UBUNTU}-202611.10.0` } }, subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('web', { nodeImageVersion: `${UBUNTU}-202607.01.0` })])] }] },
      { upgradeDurationMs: 300 },
    );
    const env = serveEnv(emulator);
    const key = (await runCli(['keys', 'create', '--role', 'operator', '--name', 'ops'], env)).stdout.trim().split('\n').at(-1)!;
    const serve = await startServe(env);
    const [clusterId] = emulator.fleet.listClusterIds();
    const client = { IMAGEWARDEN_API_KEY: key };
    const args = ['upgrade', '--url', serve.url, '--cluster', clusterId!, '--reason', 'patch web', '--ticket', 'CHG-9'];

    const dry = await runCli([...args, '--dry-run'], client);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, status: 'queued', pools: [{ poolName: 'web', status: 'pending' }] });

    const run = await runCli(args, client);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/requested/);
    expect(run.stderr).toMatch(/submitted\s+poolName=web/);
    expect(run.stderr).toMatch(/completed/);
    // Node evidence as it happens: the pool's nodes at the first look, then each transition.
    expect(run.stderr).toMatch(/nodes=\d+ \(\d+ Ready\)/);
    expect(run.stderr).toMatch(/nodes=[^\n]*added:aks-web-/);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'succeeded', lastEvent: 'completed' });

    expect((await runCli(args, {})).code).toBe(2);
    serve.child.kill('SIGTERM');
    await exitOf(serve.child);
  }, 60_000);
});

describe('shutting down with an event stream open', () => {
  it('ends the stream and exits promptly on SIGTERM, the run left resumable', async () => {
    const emulator = await startTestEmulator(
      { tenantId: TENANT, images: { '*': { [UBUNTU]: `${UBUNTU}-202611.10.0` } }, subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('web', { nodeImageVersion: `${UBUNTU}-202607.01.0` })])] }] },
      { upgradeDurationMs: 30_000 },
    );
    const env = serveEnv(emulator);
    const key = (await runCli(['keys', 'create', '--role', 'operator', '--name', 'ops'], env)).stdout.trim().split('\n').at(-1)!;
    const serve = await startServe(env);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const [clusterId] = emulator.fleet.listClusterIds();
    const { id } = (await (await fetch(`${serve.url}/api/v1/upgrades`, { method: 'POST', headers: { ...headers, 'idempotency-key': 'sse' }, body: JSON.stringify({ clusterId, reason: 'r' }) })).json()) as { id: string };
    const stream = await fetch(`${serve.url}/api/v1/upgrades/${id}/events`, { headers });
    const reading = stream.text();
    await new Promise((r) => setTimeout(r, 500));
    const stopping = Date.now();
    serve.child.kill('SIGTERM');
    expect(await exitOf(serve.child)).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(await reading).toMatch(/event: requested/);
  }, 60_000);
});
