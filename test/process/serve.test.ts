import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cluster, fleetOfClusters, pool, SUB_1, SUB_2, TENANT, UBUNTU, UBUNTU_LATEST } from '../helpers/fleets.js';
import { exitOf, runCli, serveEnv, startServe } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/temp-dir.js';

async function environment(fleet = fleetOfClusters(3)) {
  const emulator = await startTestEmulator(fleet);
  const env = serveEnv(emulator);
  return { emulator, env };
}

describe('imagewarden serve and the CLI beside it', () => {
  it('refuses a second serve on the same data dir, while CLI writers work beside the first', async () => {
    const { env } = await environment();
    const first = await startServe(env);
    const started = Date.now();
    const second = await runCli(['serve'], env, 10_000);
    expect(second.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(second.stderr).toMatch(/another imagewarden serve is already running/);

    const created = await runCli(['keys', 'create', '--role', 'operator', '--name', 'ops'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^iw_[A-Za-z0-9_-]{43}$/);

    const snapshot = await runCli(['snapshot'], env);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    expect(JSON.parse(snapshot.stdout)).toMatchObject({ status: 'succeeded', trigger: 'cli', clusterCount: 3, poolCount: 3 });
    expect(snapshot.stderr).toMatch(/resolving subscriptions/);

    // The running service sees the key and the snapshot the CLI wrote.
    const response = await fetch(`${first.url}/api/v1/snapshots`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { items: { trigger: string }[] }).items[0]).toMatchObject({ trigger: 'cli' });
    const started202 = await fetch(`${first.url}/api/v1/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(started202.status).toBe(202);
    expect(await (await fetch(`${first.url}/readyz`)).json()).toEqual({ status: 'ready' });

    const listed = await runCli(['keys', 'list', '--json'], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'ops', role: 'operator' })]);
    expect(listed.stdout).not.toContain(key);

    first.child.kill('SIGTERM');
    expect(await exitOf(first.child)).toBe(0);
    // Once the first is gone, the data dir can be served again: the lock died with the process.
    const again = await startServe(env);
    again.child.kill('SIGKILL');
    await exitOf(again.child);
    const afterKill = await startServe(env);
    afterKill.child.kill('SIGTERM');
    expect(await exitOf(afterKill.child)).toBe(0);
  });

  it('snapshot exits 3 on a partial snapshot and prints it', async () => {
    const { env } = await environment({
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: UBUNTU_LATEST } },
      subscriptions: [
        { id: SUB_1, clusters: [cluster('aks-a', [pool('nodes')])] },
        { id: SUB_2, access: 'silent', clusters: [cluster('aks-b', [pool('nodes')])] },
      ],
    });
    const result = await runCli(['snapshot'], { ...env, IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}` });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'partial', subscriptions: [{ id: SUB_1 }, { id: SUB_2, status: 'failed' }] });
  });

  it('stops at start-up on a bad setting, naming the variable', async () => {
    const { env } = await environment();
    const result = await runCli(['serve'], { ...env, IMAGEWARDEN_SNAPSHOT_CRON: 'hourly' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/IMAGEWARDEN_SNAPSHOT_CRON/);
  });

  it('migrate and backup work on the data dir', async () => {
    const { env } = await environment();
    expect((await runCli(['migrate'], env)).code).toBe(0);
    expect((await runCli(['snapshot'], env)).code).toBe(0);
    const out = join(tempDir(), 'backup.db');
    const backup = await runCli(['backup', '--out', out], env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toMatch(/backup written/);
  });
});

describe('serve shutting down while a snapshot waits on a vanished ARM', () => {
  it('cuts the snapshot short after its grace period, records it, and exits', async () => {
    const { emulator, env } = await environment();
    const key = (await runCli(['keys', 'create', '--role', 'operator', '--name', 'ops'], env)).stdout.trim().split('\n').at(-1)!;
    const serve = await startServe(env);
    // Every ARM call is slow, then ARM disappears: the snapshot can only retry until its 15-minute deadline.
    emulator.setFaults({ rules: [{ operation: '*', action: 'slow', delayMs: 2000, times: -1 }] });
    const started = await fetch(`${serve.url}/api/v1/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    const { id } = (await started.json()) as { id: number };
    await emulator.close();
    const stopping = Date.now();
    serve.child.kill('SIGTERM');
    expect(await exitOf(serve.child)).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(40_000);
    const db = (await import('../../src/store/database.js')).openDatabase(join(env.IMAGEWARDEN_DATA_DIR!, 'imagewarden.db'), { readonly: true });
    const row = db.prepare('SELECT status, error FROM snapshots WHERE id = ?').get(id) as { status: string; error: string };
    expect(row.status).toBe('failed');
  }, 90_000);
});
