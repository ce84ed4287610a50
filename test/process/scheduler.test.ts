import { describe, expect, it } from 'vitest';
import { startService } from '../../src/main.js';
import { openDatabase } from '../../src/store/database.js';
import { createSnapshotRepository } from '../../src/store/snapshot-repository.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { FAST_RETRY, silentLogger, testConfig } from '../helpers/service.js';

describe('the snapshot schedule', () => {
  it('takes fleet snapshots on IMAGEWARDEN_SNAPSHOT_CRON, one at a time', async () => {
    // Every resources call takes 700 ms, so a snapshot outlives the one-second tick: ticks must not overlap it.
    const emulator = await startTestEmulator(fleetOfClusters(2), { faults: { rules: [{ operation: 'resources', action: 'slow', delayMs: 700, times: -1 }] } });
    const service = await startService({
      config: testConfig(emulator, { IMAGEWARDEN_SNAPSHOT_CRON: '* * * * * *' }),
      logger: silentLogger,
      snapshotOptions: { retryPolicy: FAST_RETRY },
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 4_500));
    } finally {
      await service.close(); // waits for the snapshot in flight
    }
    const db = openDatabase(service.db.name);
    const rows = createSnapshotRepository(db).list({ afterId: null, limit: 100 });
    db.close();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(3);
    for (const snapshot of rows) expect(snapshot).toMatchObject({ trigger: 'schedule', requestedBy: 'system', status: 'succeeded' });
    // Never two at once: each started after the previous one finished.
    const ordered = [...rows].reverse();
    for (let i = 1; i < ordered.length; i++) expect(ordered[i]!.startedAt >= ordered[i - 1]!.finishedAt!).toBe(true);
  });
});
