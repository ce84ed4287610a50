import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { openDatabase } from '../../src/store/database.js';
import { fleetOfClusters, SUB_1 } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const CHILD = fileURLToPath(new URL('../fixtures/snapshot-child.mjs', import.meta.url));
const POOLS = 300;

/** Runs a snapshot in a child process and SIGKILLs it once it has written `killAtRow` rows inside its transaction. */
function killMidWrite(emulator: RunningEmulator, config: Config, killAtRow: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      env: {
        ...process.env,
        IMAGEWARDEN_DATA_DIR: config.dataDir,
        IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
        IMAGEWARDEN_ARM_TOKEN: emulator.token,
        IMAGEWARDEN_SUBSCRIPTIONS: SUB_1,
        KILL_AT_ROW: String(killAtRow),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message) => {
      if (String(message).startsWith('row:')) child.kill('SIGKILL');
      else reject(new Error(`child finished without being killed: ${String(message)}`));
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited without SIGKILL (${signal})`))));
  });
}

function inspect(config: Config) {
  const db = openDatabase(config.databaseFile);
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      snapshots: db.prepare('SELECT id, status FROM snapshots ORDER BY id').all() as { id: number; status: string }[],
      openPools: (db.prepare('SELECT count(*) AS n FROM pool_states WHERE valid_to IS NULL').get() as { n: number }).n,
      /** Observation rows each snapshot opened or closed. */
      rowsBySnapshot: Object.fromEntries(
        (db.prepare(`SELECT s.id, (SELECT count(*) FROM pool_states WHERE valid_from = s.id OR valid_to = s.id) AS n FROM snapshots s`).all() as { id: number; n: number }[]).map((r) => [r.id, r.n]),
      ) as Record<number, number>,
      images: (db.prepare(`SELECT DISTINCT json_extract(data, '$.nodeImageVersion') AS v FROM pool_states WHERE valid_to IS NULL`).all() as { v: string }[]).map((r) => r.v),
    };
  } finally {
    db.close();
  }
}

describe('a snapshot killed mid-write', () => {
  it.each([1, POOLS / 2, POOLS])('leaves no partial first snapshot (killed at row %i), and the next run succeeds', async (killAtRow) => {
    const emulator = await startTestEmulator(fleetOfClusters(POOLS));
    const config = testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: SUB_1 });
    await killMidWrite(emulator, config, killAtRow);

    const after = inspect(config);
    expect(after.integrity).toBe('ok');
    expect(after.snapshots).toEqual([{ id: 1, status: 'running' }]);
    expect(after.rowsBySnapshot[1]).toBe(0);

    const { services, db } = createTestServices(config);
    const next = await services.snapshotService.run('cli', 'test');
    expect(next).toMatchObject({ id: 2, status: 'succeeded', poolCount: POOLS });
    expect(services.snapshots.get(1)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
    db.close();
    expect(inspect(config).openPools).toBe(POOLS);
  });

  it('leaves the previous state whole when killed while closing and reopening changed pools', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(POOLS));
    const config = testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: SUB_1 });
    const first = createTestServices(config);
    await first.services.snapshotService.run('cli', 'test');
    first.db.close();
    const before = inspect(config);
    for (const id of emulator.fleet.listClusterIds()) emulator.fleet.setPoolImage(id, 'nodes', 'AKSUbuntu-2204gen2containerd-202611.10.0');

    // Each changed pool writes two rows (close the old interval, open the new one): stop in the middle.
    await killMidWrite(emulator, config, POOLS);
    const after = inspect(config);
    expect(after.integrity).toBe('ok');
    expect(after.openPools).toBe(POOLS);
    expect(after.images).toEqual(before.images);
    expect(after.rowsBySnapshot[2]).toBe(0);

    const { services, db } = createTestServices(config);
    expect(await services.snapshotService.run('cli', 'test')).toMatchObject({ id: 3, status: 'succeeded' });
    db.close();
    expect(inspect(config).images).toEqual(['AKSUbuntu-2204gen2containerd-202611.10.0']);
  });
});
