import { describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/emulator/types.js';
import { fleetOfClusters, SUB_1, SUB_2, SUB_3, TENANT, UBUNTU, UBUNTU_LATEST, cluster, pool } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

async function snapshotWithFaults(rules: FaultRule[], clusters = 2500) {
  const emulator = await startTestEmulator(fleetOfClusters(clusters), { faults: { rules } });
  const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: SUB_1 }));
  const snapshot = await services.snapshotService.run('cli', 'test');
  const rows = db.prepare('SELECT count(*) AS n FROM pool_states').get() as { n: number };
  db.close();
  return { snapshot, rows: rows.n, emulator };
}

describe('upstream faults end in a clean success or a clean recorded failure', () => {
  it('429 with Retry-After on page 3: waits and succeeds', async () => {
    // resources call 1 is the subscriptions query; inventory page 3 is the 4th resources call.
    const { snapshot, rows, emulator } = await snapshotWithFaults([{ operation: 'resources', nth: 4, action: 'throttle', retryAfterSeconds: 1 }]);
    expect(snapshot).toMatchObject({ status: 'succeeded', clusterCount: 2500 });
    expect(rows).toBe(2500);
    expect(emulator.callCounts()['resources']).toBe(1 + 3 + 1);
  });

  it('429 with only the quota headers (the SDK does not retry it): imagewarden does', async () => {
    const { snapshot, emulator } = await snapshotWithFaults([{ operation: 'resources', nth: 2, action: 'quota-throttle' }]);
    expect(snapshot).toMatchObject({ status: 'succeeded', clusterCount: 2500 });
    expect(emulator.callCounts()['resources']).toBe(1 + 3 + 1);
  });

  it('5xx then success', async () => {
    const { snapshot } = await snapshotWithFaults([{ operation: 'resources', nth: 3, times: 2, action: 'error', status: 503 }]);
    expect(snapshot).toMatchObject({ status: 'succeeded', clusterCount: 2500 });
  });

  it('a dropped connection', async () => {
    const { snapshot } = await snapshotWithFaults([{ operation: 'resources', nth: 2, action: 'drop' }]);
    expect(snapshot).toMatchObject({ status: 'succeeded', clusterCount: 2500 });
  });

  it('a fault on the latest-image lookup is retried', async () => {
    const { snapshot } = await snapshotWithFaults([{ operation: 'agentPools.getUpgradeProfile', action: 'throttle', retryAfterSeconds: 1 }], 10);
    expect(snapshot.status).toBe('succeeded');
    expect(snapshot.warnings).toEqual([]);
  });

  it('a persistent 5xx ends failed, with the reason, and stores nothing', async () => {
    const { snapshot, rows } = await snapshotWithFaults([{ operation: 'resources', nth: 2, times: -1, action: 'error', status: 500 }]);
    expect(snapshot.status).toBe('failed');
    expect(snapshot.error).toMatch(/500/);
    expect(snapshot.subscriptions).toEqual([{ id: SUB_1, status: 'failed', error: expect.stringMatching(/500/) }]);
    expect(rows).toBe(0);
  });

  it('a latest-image lookup that keeps failing leaves the latest unknown, with a warning', async () => {
    const { snapshot, rows } = await snapshotWithFaults([{ operation: 'agentPools.getUpgradeProfile', times: -1, action: 'error', status: 500 }], 3);
    expect(snapshot.status).toBe('succeeded');
    expect(rows).toBe(3);
    expect(snapshot.warnings).toEqual([expect.objectContaining({ code: 'latest_image_unavailable', imageFamily: UBUNTU })]);
  });
});

describe('coverage of required subscriptions', () => {
  const fleet = (access: 'silent' | 'forbidden') => ({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: UBUNTU_LATEST } },
    subscriptions: [
      { id: SUB_1, clusters: [cluster('aks-a', [pool('nodes')])] },
      { id: SUB_2, access, clusters: [cluster('aks-b', [pool('nodes')])] },
    ],
  });

  it.each(['silent', 'forbidden'] as const)('an unreadable required subscription (%s) ends partial, naming it', async (access) => {
    const emulator = await startTestEmulator(fleet(access));
    const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}` }));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot.status).toBe('partial');
    expect(snapshot.subscriptions).toEqual([
      { id: SUB_1, status: 'succeeded' },
      { id: SUB_2, status: 'failed', error: expect.any(String) },
    ]);
    expect(snapshot.clusterCount).toBe(1);
    db.close();
  });

  it('a required subscription that does not exist at all is a coverage failure too', async () => {
    const emulator = await startTestEmulator(fleet('silent'));
    const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_3}` }));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot.status).toBe('partial');
    expect(snapshot.subscriptions.find((s) => s.id === SUB_3)).toMatchObject({ status: 'failed' });
    db.close();
  });

  it('without a required list, every readable subscription is read and recorded', async () => {
    const emulator = await startTestEmulator(fleet('silent'));
    const { services, db } = createTestServices(testConfig(emulator));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot).toMatchObject({ status: 'succeeded', subscriptions: [{ id: SUB_1, status: 'succeeded' }], clusterCount: 1 });
    // A subscription we hold state for but can no longer read fails instead of looking deleted.
    emulator.fleet.setSubscriptionAccess(SUB_1, 'silent');
    const next = await services.snapshotService.run('cli', 'test');
    expect(next).toMatchObject({ status: 'failed', subscriptions: [{ id: SUB_1, status: 'failed' }] });
    expect(db.prepare('SELECT count(*) AS n FROM pool_states WHERE valid_to IS NULL').get()).toEqual({ n: 1 });
    db.close();
  });
});
