import { describe, expect, it } from 'vitest';
import { exitOf, runCli, serveEnv, startServe } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202611.10.0`;

describe('an upgrade run across a crash of the service', () => {
  it('resumes after SIGKILL mid-run, completes, records the interruption, and upgrades no pool twice', async () => {
    const emulator = await startTestEmulator(
      { tenantId: TENANT, images: { '*': { [UBUNTU]: NEW } }, subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('web', { nodeImageVersion: OLD }), pool('batch', { nodeImageVersion: OLD })])] }] },
      { upgradeDurationMs: 3000 },
    );
    const env = serveEnv(emulator);
    const key = (await runCli(['keys', 'create', '--role', 'operator', '--name', 'ops'], env)).stdout.trim().split('\n').at(-1)!;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const [clusterId] = emulator.fleet.listClusterIds();

    const first = await startServe(env);
    const started = await fetch(`${first.url}/api/v1/upgrades`, { method: 'POST', headers: { ...headers, 'idempotency-key': 'crash-1' }, body: JSON.stringify({ clusterId, reason: 'crash test' }) });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const runAt = async (url: string) => (await (await fetch(`${url}/api/v1/upgrades/${id}`, { headers })).json()) as { status: string; pools: { poolName: string; status: string; imageAfter: string | null }[]; timeline: { event: string }[] };
    // Killed while the first pool's operation runs in Azure: after its poller state was stored, before it ended.
    for (let i = 0; i < 200 && !(await runAt(first.url)).timeline.some((e) => e.event === 'submitted'); i++) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    await exitOf(first.child);
    const before = emulator.callCounts()['agentPools.upgradeNodeImageVersion'] ?? 0;
    expect(before).toBe(1);

    const second = await startServe(env);
    let run = await runAt(second.url);
    for (let i = 0; i < 400 && !['succeeded', 'failed', 'aborted', 'blocked'].includes(run.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await runAt(second.url);
    }
    expect(run.status).toBe('succeeded');
    expect(run.pools.map((p) => [p.poolName, p.status, p.imageAfter])).toEqual([['batch', 'succeeded', NEW], ['web', 'succeeded', NEW]]);
    const events = run.timeline.map((e) => e.event);
    expect(events).toContain('resumed');
    expect(events.indexOf('resumed')).toBeLessThan(events.lastIndexOf('pool_succeeded'));
    expect(events.filter((e) => e === 'submitted')).toHaveLength(2);
    // One POST per pool, across both processes.
    expect(emulator.callCounts()['agentPools.upgradeNodeImageVersion']).toBe(2);
    second.child.kill('SIGTERM');
    await exitOf(second.child);
    expect((await runCli(['verify'], env)).code).toBe(0);
  }, 90_000);
});
