import { describe, expect, it } from 'vitest';
import type { RestError } from '@azure/core-rest-pipeline';
import {
  SUB_A, SUB_B, SUB_FORBIDDEN, SUB_SILENT, TENANT, UBUNTU, clientsFor, cluster, clusterPath, pool, rawFetch, smallFleet, startTestEmulator, staticCredential,
} from './emulator-test-kit.js';

async function caught(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (error) {
    return error as RestError;
  }
  throw new Error('expected the call to fail');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('authentication and api-version', () => {
  it('answers 401 AuthenticationFailed without a bearer token and InvalidAuthenticationToken for an unknown one', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const missing = await rawFetch(emulator, `${clusterPath(SUB_A, 'rg-test', 'aks-a1')}?api-version=2026-06-01`, { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await missing.json()).toEqual({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    const wrong = await caught(clientsFor(emulator, staticCredential('not-the-token')).aks(SUB_A).managedClusters.get('rg-test', 'aks-a1'));
    expect(wrong).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' });
    const graph = await caught(clientsFor(emulator, staticCredential('nope')).graph.resources({ query: 'resources' }));
    expect(graph.statusCode).toBe(401);
  });

  it('answers 400 for a missing or unknown api-version and accepts every stable version the SDK knows', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const missing = await rawFetch(emulator, clusterPath(SUB_A, 'rg-test', 'aks-a1'));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.code).toBe('MissingApiVersionParameter');
    const unknown = await rawFetch(emulator, `${clusterPath(SUB_A, 'rg-test', 'aks-a1')}?api-version=2019-01-01`);
    expect(((await unknown.json()) as any).error).toMatchObject({ code: 'InvalidApiVersionParameter', message: expect.stringContaining('2026-06-01') });
    const graph = await rawFetch(emulator, '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', { method: 'POST', body: '{"query":"resources"}' });
    expect(graph.status).toBe(400);
    const older = await clientsFor(emulator).aks(SUB_A, { apiVersion: '2025-10-01' }).managedClusters.get('rg-test', 'aks-a1');
    expect(older.name).toBe('aks-a1');
  });
});

describe('AKS reads', () => {
  it('serves managedClusters.get with ARM JSON the SDK flattens, matching paths case-insensitively', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const found = await clientsFor(emulator).aks(SUB_A).managedClusters.get('RG-TEST', 'AKS-A1');
    expect(found).toMatchObject({
      id: `/subscriptions/${SUB_A}/resourcegroups/rg-test/providers/Microsoft.ContainerService/managedClusters/aks-a1`,
      name: 'aks-a1',
      location: 'westeurope',
      provisioningState: 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: '1.32',
      currentKubernetesVersion: '1.32.6',
      identity: { tenantId: TENANT },
    });
    expect(found.agentPoolProfiles?.map((p) => [p.name, p.mode, p.osType, p.enableFips])).toEqual([
      ['system', 'System', 'Linux', false],
      ['win1', 'User', 'Windows', false],
    ]);
    const raw = await rawFetch(emulator, `${clusterPath(SUB_A, 'rg-test', 'aks-a1').toLowerCase()}?api-version=2026-06-01`, { headers: { 'x-ms-client-request-id': 'abc-123' } });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('x-ms-client-request-id')).toBe('abc-123');
    expect(raw.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(raw.headers.get('x-ms-correlation-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(raw.headers.get('x-ms-ratelimit-remaining-subscription-reads'))).toBeGreaterThan(200);
  });

  it('pages managedClusters.list with absolute nextLinks and filters listByResourceGroup', async () => {
    const fleet = smallFleet();
    fleet.subscriptions[0]!.clusters.push(...['c3', 'c4', 'c5'].map((name) => cluster(name, [pool('system')])));
    const emulator = await startTestEmulator({ fleet, listPageSize: 2 });
    emulator.clearTraffic();
    const aks = clientsFor(emulator).aks(SUB_A);
    expect((await collect(aks.managedClusters.list())).map((c) => c.name)).toEqual(['aks-a1', 'aks-a2', 'c3', 'c4', 'c5']);
    expect(emulator.callCounts()['managedClusters.list']).toBe(3);
    expect((await collect(aks.managedClusters.listByResourceGroup('rg-west'))).map((c) => c.name)).toEqual(['aks-a2']);
    const raw = (await (await rawFetch(emulator, `/subscriptions/${SUB_A}/providers/Microsoft.ContainerService/managedClusters?api-version=2026-06-01`)).json()) as any;
    expect(raw.nextLink).toMatch(new RegExp(`^${emulator.url}/subscriptions/${SUB_A}/providers/Microsoft.ContainerService/managedClusters\\?api-version=2026-06-01&`));
  });

  it('lists and gets agent pools, maintenance configurations and the cluster upgrade profile', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const aks = clientsFor(emulator).aks(SUB_A);
    const pools = await collect(aks.agentPools.list('rg-test', 'aks-a1'));
    expect(pools.map((p) => [p.name, p.type, p.provisioningState])).toEqual([
      ['system', 'Microsoft.ContainerService/managedClusters/agentPools', 'Succeeded'],
      ['win1', 'Microsoft.ContainerService/managedClusters/agentPools', 'Succeeded'],
    ]);
    const win = await aks.agentPools.get('rg-test', 'aks-a1', 'win1');
    expect(win.nodeImageVersion).toMatch(/^AKSWindows-2022-containerd-20348\.5256\.\d{6}$/);
    const configs = await collect(aks.maintenanceConfigurations.listByManagedCluster('rg-test', 'aks-a1'));
    expect(configs.map((c) => c.name)).toEqual(['aksManagedNodeOSUpgradeSchedule']);
    const config = await aks.maintenanceConfigurations.get('rg-test', 'aks-a1', 'aksManagedNodeOSUpgradeSchedule');
    expect(config.maintenanceWindow?.schedule.weekly).toEqual({ intervalWeeks: 1, dayOfWeek: 'Sunday' });
    expect(config.maintenanceWindow?.startDate).toBeInstanceOf(Date);
    expect(await caught(aks.maintenanceConfigurations.get('rg-test', 'aks-a1', 'default'))).toMatchObject({ statusCode: 404 });
    expect(await collect(aks.maintenanceConfigurations.listByManagedCluster('rg-west', 'aks-a2'))).toEqual([]);
    const profile = await aks.managedClusters.getUpgradeProfile('rg-test', 'aks-a1');
    expect(profile.agentPoolProfiles.map((p) => p.name)).toEqual(['system', 'win1']);
  });

  it('answers ARM errors for missing resources and unreadable subscriptions', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const { aks } = clientsFor(emulator);
    expect(await caught(aks(SUB_A).managedClusters.get('rg-test', 'nope'))).toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
      message: expect.stringContaining("The Resource 'Microsoft.ContainerService/managedClusters/nope' under resource group 'rg-test' was not found"),
    });
    expect(await caught(aks(SUB_A).managedClusters.get('rg-none', 'aks-a1'))).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
    expect(await caught(aks(SUB_A).agentPools.get('rg-test', 'aks-a1', 'nopool'))).toMatchObject({ statusCode: 404, code: 'NotFound' });
    expect(await caught(aks(SUB_SILENT).managedClusters.get('rg-test', 'aks-s1'))).toMatchObject({ statusCode: 404, code: 'SubscriptionNotFound' });
    expect(await caught(aks(SUB_FORBIDDEN).agentPools.getUpgradeProfile('rg-test', 'aks-f1', 'system'))).toMatchObject({
      statusCode: 403,
      code: 'AuthorizationFailed',
      message: expect.stringContaining("does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/agentPools/read'"),
    });
    expect(await caught(collect(aks(SUB_FORBIDDEN).managedClusters.list()))).toMatchObject({ statusCode: 403 });
    const unknownPath = await rawFetch(emulator, `/subscriptions/${SUB_B}/providers/Microsoft.Compute/virtualMachines?api-version=2024-01-01`);
    expect(unknownPath.status).toBe(404);
  });
});

describe('upgrade profiles', () => {
  it('resolves latestNodeImageVersion: pool override, then location, then "*", then the pool itself; none for a null version', async () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const fleet = smallFleet();
    fleet.subscriptions[0]!.clusters[0]!.agentPools.push(pool('pinned', { latestNodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-1}}.5` }), pool('odd', { nodeImageVersion: 'AKSCBLMariner-V2gen2-202505.27.0' }));
    const emulator = await startTestEmulator({ fleet, now: () => now });
    const aks = clientsFor(emulator).aks(SUB_A);
    const latest = async (rg: string, name: string, poolName: string) => (await aks.agentPools.getUpgradeProfile(rg, name, poolName)).latestNodeImageVersion;
    expect(await latest('rg-test', 'aks-a1', 'system')).toBe(`${UBUNTU}-202611.22.0`); // '*' (D-3)
    expect(await latest('rg-west', 'aks-a2', 'system')).toBe(`${UBUNTU}-202611.15.0`); // westus3 override (D-10)
    expect(await latest('rg-test', 'aks-a1', 'win1')).toBe('AKSWindows-2022-containerd-20348.5386.261113');
    expect(await latest('rg-test', 'aks-a1', 'pinned')).toBe(`${UBUNTU}-202611.24.5`);
    expect(await latest('rg-test', 'aks-a1', 'odd')).toBe('AKSCBLMariner-V2gen2-202505.27.0'); // unknown family: its own version
    const empty = await aks.agentPools.getUpgradeProfile('rg-west', 'aks-a2', 'empty');
    expect(empty).toMatchObject({ kubernetesVersion: '1.32.6', osType: 'Linux', upgrades: [] });
    expect(empty.latestNodeImageVersion).toBeUndefined();
  });
});
