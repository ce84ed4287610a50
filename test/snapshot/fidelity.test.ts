import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFleet, writeTrafficFiles } from '../../src/emulator/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { AKS_SPEC, ARG_SPEC, NOT_IN_AKS_SPEC, validateTraffic } from '../helpers/oav.js';
import { createTestServices, testConfig } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Wire fidelity: every request imagewarden makes during a snapshot, and every exchange of a node-image upgrade,
 * checked by Microsoft's `oav validate-traffic` against the official REST specs. Zero errors is the bar.
 * Excluded by name (NOT_IN_AKS_SPEC): the operation-status URLs, which no spec describes, and Entra ID.
 */
describe('wire fidelity against the official specs', () => {
  it('a snapshot of the demo fleet, a recorded upgrade run and an aborted one validate with zero oav errors', async () => {
    const emulator = await startTestEmulator(demoFleet, { recordTraffic: true, upgradeDurationMs: 100 });
    const { services } = createTestServices(testConfig(emulator));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot.status).toBe('succeeded');

    // Upgrades as the runner drives them: live pre-checks, the SDK's poller, re-reads, post-checks; then an abort.
    services.upgradeRunner.start();
    const [clusterId] = emulator.fleet.listClusterIds();
    const cluster = emulator.fleet.getCluster(clusterId!) as { properties: { agentPoolProfiles: { name: string }[] } };
    const [first, second] = cluster.properties.agentPoolProfiles.map((p) => p.name);
    const operator = { actor: 'key:ops', role: 'operator' as const };
    const done = await services.upgradeService.request({ clusterId: clusterId!, pools: [first!], reason: 'fidelity' }, operator, 'fidelity-1');
    await services.upgradeRunner.idle();
    expect(services.upgradeService.get((done.body as { id: string }).id).status).toBe('succeeded');
    emulator.configure({ upgradeDurationMs: 5000 });
    const aborted = (await services.upgradeService.request({ clusterId: clusterId!, pools: [second!], reason: 'fidelity abort' }, operator, 'fidelity-2')).body as { id: string };
    while (!services.upgradeService.get(aborted.id).pools[0]!.operationId) await new Promise((r) => setTimeout(r, 20));
    services.upgradeService.abort(aborted.id, 'key:ops');
    await services.upgradeRunner.idle();
    expect(services.upgradeService.get(aborted.id).status).toBe('aborted');

    const traffic = emulator.traffic();
    const operations = new Set(traffic.map((entry) => entry.operation));
    expect([...operations].sort()).toEqual(
      expect.arrayContaining(['resources', 'managedClusters.get', 'agentPools.list', 'agentPools.get', 'agentPools.getUpgradeProfile', 'maintenanceConfigurations.list', 'agentPools.upgradeNodeImageVersion', 'agentPools.abortLatestOperation', 'operations.get']),
    );
    const dir = tempDir();
    const aksFiles = await writeTrafficFiles(join(dir, 'aks'), traffic, (entry) => !NOT_IN_AKS_SPEC.test(entry.operation));
    const argFiles = await writeTrafficFiles(join(dir, 'arg'), traffic, (entry) => entry.operation === 'resources');
    expect(aksFiles.length).toBeGreaterThan(5);
    expect(argFiles.length).toBeGreaterThanOrEqual(2);
    expect(await validateTraffic(AKS_SPEC, join(dir, 'aks'))).toEqual([]);
    expect(await validateTraffic(ARG_SPEC, join(dir, 'arg'))).toEqual([]);
  });
});
