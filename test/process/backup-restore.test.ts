import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { exitOf, runCli, serveEnv, startServe } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { tempDir } from '../helpers/temp-dir.js';

const snapshotCount = (dataDir: string) => {
  const db = openDatabase(join(dataDir, 'imagewarden.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('backup and restore', () => {
  it('backs up while serve runs, restores the data dir to that moment with serve stopped, and proves it with verify', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(3));
    const env = serveEnv(emulator);
    const dataDir = env.IMAGEWARDEN_DATA_DIR!;
    const key = (await runCli(['keys', 'create', '--role', 'operator', '--name', 'ops'], env)).stdout.trim().split('\n').at(-1)!;
    expect((await runCli(['snapshot'], env)).code).toBe(0);
    const report = await runCli(['report', '--period', new Date().toISOString().slice(0, 7), '--format', 'json', '--out', join(tempDir(), 'r.json')], env);
    expect(report.code, report.stderr).toBe(0);

    // A backup taken while serve runs and writes (a snapshot through its API at the same moment).
    const serve = await startServe(env);
    const backupFile = join(tempDir(), 'imagewarden-backup.db');
    const [posted, backup] = await Promise.all([
      fetch(`${serve.url}/api/v1/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${key}` } }),
      runCli(['backup', '--out', backupFile], env),
    ]);
    expect(posted.status, `${await posted.clone().text()}\n${serve.stderr()}`).toBe(202);
    expect(backup.code, backup.stderr).toBe(0);
    const inBackup = (() => {
      const db = openDatabase(backupFile, { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM snapshots WHERE status != 'running'`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    })();

    // Not while serve runs: nothing changes.
    const refused = await runCli(['restore', '--from', backupFile], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stop it first/);
    serve.child.kill('SIGTERM');
    expect(await exitOf(serve.child)).toBe(0);

    // Later history the restore rolls back.
    expect((await runCli(['snapshot'], env)).code).toBe(0);
    expect(snapshotCount(dataDir)).toBeGreaterThan(inBackup);

    const restored = await runCli(['restore', '--from', backupFile], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/the evidence ledger verifies, the signing key matches and every stored report is present/);
    expect(snapshotCount(dataDir)).toBeLessThanOrEqual(inBackup + 1); // a snapshot running at backup time is in it, as running
    expect(readdirSync(dataDir).some((name) => name.startsWith('imagewarden.db.before-restore-'))).toBe(true);
    expect((await runCli(['verify'], env)).code).toBe(0);
    // The restored service starts, and marks the snapshot that was running at backup time as interrupted.
    const again = await startServe(env);
    const list = (await (await fetch(`${again.url}/api/v1/snapshots`, { headers: { authorization: `Bearer ${key}` } })).json()) as { items: { status: string }[] };
    expect(list.items.every((s) => s.status !== 'running')).toBe(true);
    again.child.kill('SIGTERM');
    await exitOf(again.child);
  }, 120_000);

  it('restores into a new data dir only with the signing key and the stored reports beside it, and refuses what is not a backup', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(2));
    const env = serveEnv(emulator);
    expect((await runCli(['snapshot'], env)).code).toBe(0);
    expect((await runCli(['report', '--period', new Date().toISOString().slice(0, 7), '--format', 'pdf', '--out', join(tempDir(), 'r.pdf')], env)).code).toBe(0);
    const backupFile = join(tempDir(), 'backup.db');
    expect((await runCli(['backup', '--out', backupFile], env)).code).toBe(0);

    const fresh = { ...env, IMAGEWARDEN_DATA_DIR: join(tempDir(), 'new-data') };
    const bare = await runCli(['restore', '--from', backupFile], fresh);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/no signing key/);
    expect(bare.stderr).toMatch(/stored report file\(s\) missing/);

    cpSync(join(env.IMAGEWARDEN_DATA_DIR!, 'evidence-signing-key.pem'), join(fresh.IMAGEWARDEN_DATA_DIR, 'evidence-signing-key.pem'));
    cpSync(join(env.IMAGEWARDEN_DATA_DIR!, 'reports'), join(fresh.IMAGEWARDEN_DATA_DIR, 'reports'), { recursive: true });
    const complete = await runCli(['restore', '--from', backupFile], fresh);
    expect(complete.code, complete.stderr).toBe(0);
    expect((await runCli(['verify'], fresh)).code).toBe(0);

    const garbage = join(tempDir(), 'not-a-backup.db');
    writeFileSync(garbage, 'this is not a database');
    const before = readdirSync(fresh.IMAGEWARDEN_DATA_DIR).sort();
    const refused = await runCli(['restore', '--from', garbage], fresh);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refused, nothing changed/);
    expect(readdirSync(fresh.IMAGEWARDEN_DATA_DIR).sort()).toEqual(before);
    expect(existsSync(join(fresh.IMAGEWARDEN_DATA_DIR, 'imagewarden.db'))).toBe(true);
  }, 120_000);
});
