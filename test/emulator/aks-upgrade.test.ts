import { describe, expect, it } from 'vitest';
import { RestError } from '@azure/core-rest-pipeline';
import { SUB_A, SUB_B, UBUNTU, clientsFor, clusterPath, rawFetch, smallFleet, startTestEmulator } from './emulator-test-kit.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const OLD = `${UBUNTU}-202610.26.0`; // D-30 in smallFleet
const LATEST = `${UBUNTU}-202611.22.0`; // D-3
const POLL = { updateIntervalInMs: 20 };
const A1 = clusterPath(SUB_A, 'rg-test', 'aks-a1');

async function start(options: Parameters<typeof startTestEmulator>[0] = {}) {
  const emulator = await startTestEmulator({ fleet: smallFleet(), now: () => NOW, ...options });
  return { emulator, aks: clientsFor(emulator).aks(SUB_A), graph: clientsFor(emulator).graph };
}

async function rejection(promise: PromiseLike<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('agentPools.upgradeNodeImageVersion', () => {
  it('runs the LRO to the latest image through the real poller, showing UpgradingNodeImageVersion everywhere meanwhile', async () => {
    const { emulator, aks, graph } = await start({ upgradeDurationMs: 500 }); // long enough for the checks below
    const initial: { status?: number; headers?: Record<string, string>; body?: any } = {};
    const poller = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', {
      ...POLL,
      onResponse: (response) => {
        initial.status = response.status;
        initial.headers = response.headers.toJSON();
        initial.body = response.parsedBody;
      },
    });
    await poller.submitted();
    expect(initial.status).toBe(202);
    expect(initial.headers?.['azure-asyncoperation']).toMatch(new RegExp(`^${emulator.url}/subscriptions/${SUB_A}/providers/Microsoft.ContainerService/locations/westeurope/operations/[0-9a-f-]{36}\\?api-version=2017-08-31$`));
    expect(initial.headers?.location).toContain('/operationresults/');
    expect(initial.headers?.['retry-after']).toBe('1');
    expect(initial.body.properties).toMatchObject({ provisioningState: 'UpgradingNodeImageVersion', nodeImageVersion: OLD });

    expect((await aks.agentPools.get('rg-test', 'aks-a1', 'system')).provisioningState).toBe('UpgradingNodeImageVersion');
    const cluster = await aks.managedClusters.get('rg-test', 'aks-a1');
    expect(cluster.agentPoolProfiles?.find((p) => p.name === 'system')?.provisioningState).toBe('UpgradingNodeImageVersion');
    const rows = await graph.resources({ query: "resources | where name == 'aks-a1' | project pools = properties.agentPoolProfiles" });
    expect((rows.data as any[])[0].pools[0].provisioningState).toBe('UpgradingNodeImageVersion');
    const status = (await (await rawFetch(emulator, new URL(initial.headers!['azure-asyncoperation']!).pathname + '?api-version=2017-08-31')).json()) as any;
    expect(status).toMatchObject({ status: 'InProgress', startTime: NOW.toISOString() });
    expect(status.percentComplete).toBeGreaterThanOrEqual(0);

    await expect(poller).resolves.toBeUndefined();
    expect(poller.isDone).toBe(true);
    expect(poller.operationState?.status).toBe('succeeded');
    const after = await aks.agentPools.get('rg-test', 'aks-a1', 'system');
    expect(after).toMatchObject({ provisioningState: 'Succeeded', nodeImageVersion: LATEST });
    expect(emulator.fleet.getCluster(A1)).toMatchObject({ properties: { agentPoolProfiles: [{ nodeImageVersion: LATEST }, {}] } });
    const done = (await (await rawFetch(emulator, new URL(initial.headers!['azure-asyncoperation']!).pathname + '?api-version=2017-08-31')).json()) as any;
    expect(done).toMatchObject({ status: 'Succeeded', percentComplete: 100, endTime: new Date(NOW.getTime() + 500).toISOString() });
    expect(emulator.callCounts()['operationResults.get']).toBe(1); // the SDK's final GET on Location
  });

  it('answers 409 OperationNotAllowed for a second upgrade of the same pool while one runs', async () => {
    const { aks } = await start({ upgradeDurationMs: 400 });
    const first = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL);
    await first.submitted();
    const second = await rejection(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL));
    expect(second).toBeInstanceOf(RestError);
    expect(second).toMatchObject({
      statusCode: 409,
      code: 'OperationNotAllowed',
      message: 'Operation is not allowed: Another agentpool operation (UpgradingNodeImageVersion) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details',
    });
    await first;
  });

  it('ends Failed with the planned error (fault fail-upgrade), leaving the image unchanged', async () => {
    const { emulator, aks } = await start({
      faults: { rules: [{ action: 'fail-upgrade', poolName: 'system', code: 'UpgradeFailed', message: 'Drain failed: PDB blocks eviction.' }] },
    });
    const error = await rejection(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL));
    expect(error).not.toBeInstanceOf(RestError);
    expect(error.message).toBe('The long-running operation has failed. UpgradeFailed. Drain failed: PDB blocks eviction.');
    expect(await aks.agentPools.get('rg-test', 'aks-a1', 'system')).toMatchObject({ provisioningState: 'Failed', nodeImageVersion: OLD });
    // The rule fired once (times defaults to 1): a retry succeeds.
    await aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL);
    expect((await aks.agentPools.get('rg-test', 'aks-a1', 'system')).nodeImageVersion).toBe(LATEST);
    expect(emulator.callCounts()['agentPools.upgradeNodeImageVersion']).toBe(2);
  });

  it('keeps a fail-upgrade rule for the next upgrade that really starts (a 304 or 409 does not use it up)', async () => {
    const { emulator, aks } = await start({ upToDateMode: '304', faults: { rules: [{ action: 'fail-upgrade', poolName: 'system' }] } });
    emulator.fleet.setPoolImage(A1, 'system', LATEST);
    expect(await rejection(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL))).toMatchObject({ statusCode: 304 });
    emulator.fleet.setPoolImage(A1, 'system', OLD);
    const error = await rejection(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL));
    expect(error.message).toMatch(/^The long-running operation has failed\. UpgradeFailed\. Drain node .+disruption budget\.$/);
  });

  it('aborts a running upgrade: the upgrade poller reports cancellation and the pool is Canceled', async () => {
    const { aks } = await start({ upgradeDurationMs: 2000 });
    const upgrade = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL);
    await upgrade.submitted();
    await aks.agentPools.abortLatestOperation('rg-test', 'aks-a1', 'system', POLL);
    expect((await rejection(upgrade)).message).toBe('Operation was canceled');
    expect(await aks.agentPools.get('rg-test', 'aks-a1', 'system')).toMatchObject({ provisioningState: 'Canceled', nodeImageVersion: OLD });
    expect(await rejection(aks.agentPools.abortLatestOperation('rg-test', 'aks-a1', 'system', POLL))).toMatchObject({ statusCode: 409, code: 'OperationNotAllowed' });
  });

  it('aborts every running pool operation through managedClusters.abortLatestOperation', async () => {
    const { aks } = await start({ upgradeDurationMs: 2000 });
    const upgrade = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'win1', POLL);
    await upgrade.submitted();
    await aks.managedClusters.abortLatestOperation('rg-test', 'aks-a1', POLL);
    expect((await rejection(upgrade)).message).toBe('Operation was canceled');
    const cluster = await aks.managedClusters.get('rg-test', 'aks-a1');
    expect(cluster.provisioningState).toBe('Canceled');
    expect(cluster.agentPoolProfiles?.find((p) => p.name === 'win1')?.provisioningState).toBe('Canceled');
    expect(await rejection(aks.managedClusters.abortLatestOperation('rg-test', 'aks-a1', POLL))).toMatchObject({ statusCode: 409 });
  });

  it("locationMode '204': the upgrade succeeds but the 25.5.0 SDK throws RestError 204 on the final Location GET", async () => {
    const { aks } = await start({ locationMode: '204' });
    const error = await rejection(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL));
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(204);
    expect(await aks.agentPools.get('rg-test', 'aks-a1', 'system')).toMatchObject({ provisioningState: 'Succeeded', nodeImageVersion: LATEST });
  });

  it("locationMode 'omit' sends no Location header and the poller resolves from the async operation alone", async () => {
    const { emulator, aks } = await start({ locationMode: 'omit' });
    let headers: Record<string, string> = {};
    await aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', { ...POLL, onResponse: (r) => (headers = r.headers.toJSON()) });
    expect(headers.location).toBeUndefined();
    expect(emulator.callCounts()['operationResults.get']).toBeUndefined();
  });

  it('handles an up-to-date pool per upToDateMode and refuses a stopped cluster', async () => {
    const { emulator, aks } = await start({ upToDateMode: '304' });
    emulator.fleet.setPoolImage(A1, 'system', `${UBUNTU}-{{YYYYMM.DD-3}}.0`);
    expect(await rejection(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL))).toMatchObject({ statusCode: 304 });
    emulator.configure({ upToDateMode: '200' });
    await expect(aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL)).resolves.toBeUndefined();
    emulator.configure({ upToDateMode: '202' });
    await aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL);
    expect(emulator.callCounts()['operations.get']).toBeGreaterThan(0);
    const stopped = clientsFor(emulator).aks(SUB_B);
    expect(await rejection(stopped.agentPools.upgradeNodeImageVersion('rg-test', 'aks-b1', 'system', POLL))).toMatchObject({
      statusCode: 409,
      code: 'OperationNotAllowed',
      message: expect.stringContaining('Power State(Stopped)'),
    });
  });
});
