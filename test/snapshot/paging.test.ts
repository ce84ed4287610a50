import { describe, expect, it } from 'vitest';
import { fleetOfClusters, SUB_1 } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

/** Resource Graph calls per snapshot: one subscriptions query, then one per inventory page. */
const resourceCalls = (counts: Record<string, number>) => counts['resources'] ?? 0;

describe('inventory paging through Resource Graph', () => {
  it.each([
    [0, 1],
    [1000, 1],
    [1001, 2],
    [3500, 4],
  ])('%i clusters are read completely in %i page(s)', async (clusters, pages) => {
    const emulator = await startTestEmulator(fleetOfClusters(clusters));
    const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: SUB_1 }));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot).toMatchObject({ status: 'succeeded', clusterCount: clusters, poolCount: clusters });
    expect(snapshot.subscriptions).toEqual([{ id: SUB_1, status: 'succeeded' }]);
    expect(resourceCalls(emulator.callCounts())).toBe(1 + pages);
    expect(db.prepare('SELECT count(*) AS n FROM pool_states WHERE valid_to IS NULL').get()).toEqual({ n: clusters });
    // ARM calls grow with (subscription, location, family) groups, not pools: one group here.
    expect(emulator.callCounts()['agentPools.getUpgradeProfile'] ?? 0).toBeLessThanOrEqual(clusters === 0 ? 0 : 2);
    db.close();
  });
});
