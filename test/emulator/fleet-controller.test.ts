import { describe, expect, it } from 'vitest';
import { SUB_A, SUB_B, UBUNTU, clientsFor, clusterPath, pool, smallFleet, startTestEmulator } from './emulator-test-kit.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const A1 = clusterPath(SUB_A, 'rg-test', 'aks-a1');
const POOLS_QUERY = "resources | where name == 'aks-a1' | project pools = properties.agentPoolProfiles";

describe('fleet controller', () => {
  it('changes latest images per location or everywhere, expanding templates', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), now: () => NOW });
    const aks = clientsFor(emulator).aks(SUB_A);
    const latest = async (rg: string, name: string) => (await aks.agentPools.getUpgradeProfile(rg, name, 'system')).latestNodeImageVersion;
    emulator.fleet.setLatestImage('WestEurope', UBUNTU, `${UBUNTU}-{{YYYYMM.DD-1}}.0`);
    expect(await latest('rg-test', 'aks-a1')).toBe(`${UBUNTU}-202611.24.0`);
    expect(await latest('rg-west', 'aks-a2')).toBe(`${UBUNTU}-202611.15.0`); // westus3 keeps its own
    emulator.fleet.setLatestImage('*', UBUNTU, `${UBUNTU}-202612.01.0`);
    expect(await latest('rg-test', 'aks-a1')).toBe(`${UBUNTU}-202611.24.0`); // location beats '*'
  });

  it('sets, adds and removes pools, visible at once through ARG and AKS (ids case-insensitive)', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), now: () => NOW });
    const { graph, aks } = clientsFor(emulator);
    emulator.fleet.setPoolImage(A1.toUpperCase(), 'SYSTEM', `${UBUNTU}-{{YYYYMM.DD-2}}.0`);
    emulator.fleet.addPool(A1, pool('extra', { nodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-9}}.0`, tags: { team: 'x' } }));
    emulator.fleet.removePool(A1, 'win1');
    const rows = await graph.resources({ query: POOLS_QUERY });
    const pools = (rows.data as { pools: { name: string; nodeImageVersion: string; tags?: object }[] }[])[0]!.pools;
    expect(pools.map((p) => [p.name, p.nodeImageVersion])).toEqual([
      ['system', `${UBUNTU}-202611.23.0`],
      ['extra', `${UBUNTU}-202611.16.0`],
    ]);
    expect((await aks(SUB_A).agentPools.get('rg-test', 'aks-a1', 'extra')).tags).toEqual({ team: 'x' });
    await expect(aks(SUB_A).agentPools.get('rg-test', 'aks-a1', 'win1')).rejects.toMatchObject({ statusCode: 404 });
    expect(() => emulator.fleet.addPool(A1, pool('extra'))).toThrow(/already has agent pool extra/);
    expect(() => emulator.fleet.removePool(A1, 'nope')).toThrow(/has no agent pool nope/);
    expect(() => emulator.fleet.setPoolImage(clusterPath(SUB_A, 'rg-test', 'ghost'), 'system', 'x')).toThrow(/no managed cluster/);
  });

  it('stops and starts clusters and changes subscription access', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const { graph, aks } = clientsFor(emulator);
    emulator.fleet.setClusterPowerState(A1, 'Stopped');
    expect(emulator.fleet.getCluster(A1)).toMatchObject({ properties: { powerState: { code: 'Stopped' }, agentPoolProfiles: [{ powerState: { code: 'Stopped' } }, {}] } });
    expect(emulator.fleet.getCluster(clusterPath(SUB_A, 'rg-test', 'ghost'))).toBeUndefined();
    emulator.fleet.setSubscriptionAccess(SUB_B, 'silent');
    expect((await graph.resources({ query: 'resources' })).totalRecords).toBe(2);
    await expect(aks(SUB_B).managedClusters.get('rg-test', 'aks-b1')).rejects.toMatchObject({ statusCode: 404, code: 'SubscriptionNotFound' });
    emulator.fleet.setSubscriptionAccess(SUB_B, 'forbidden');
    await expect(graph.resources({ query: 'resources', subscriptions: [SUB_B] })).rejects.toMatchObject({ statusCode: 403 });
    emulator.fleet.setSubscriptionAccess(SUB_B, 'read');
    expect((await graph.resources({ query: 'resources' })).totalRecords).toBe(3);
    expect(emulator.fleet.listClusterIds()).toHaveLength(5);
  });
});
