import { ContainerServiceClient } from '@azure/arm-containerservice';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticTokenCredential } from '../../src/azure/credential.js';
import { parseClusterId } from '../../src/domain/inventory.js';
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
  it('a snapshot of the demo fleet and a node-image upgrade validate with zero oav errors', async () => {
    const emulator = await startTestEmulator(demoFleet, { recordTraffic: true, upgradeDurationMs: 100 });
    const { services, db } = createTestServices(testConfig(emulator));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot.status).toBe('succeeded');
    db.close();

    // The upgrade as issue 5's runner will drive it: the SDK's own poller, to completion.
    const [clusterId] = emulator.fleet.listClusterIds();
    const { subscriptionId, resourceGroup, name: clusterName } = parseClusterId(clusterId!)!;
    const cluster = emulator.fleet.getCluster(clusterId!) as { properties: { agentPoolProfiles: { name: string }[] } };
    const aks = new ContainerServiceClient(staticTokenCredential(emulator.token), subscriptionId, { endpoint: emulator.url, retryOptions: { maxRetries: 0 } });
    await aks.agentPools.upgradeNodeImageVersion(resourceGroup, clusterName, cluster.properties.agentPoolProfiles[0]!.name, { updateIntervalInMs: 20 });

    const traffic = emulator.traffic();
    const operations = new Set(traffic.map((entry) => entry.operation));
    expect([...operations].sort()).toEqual(
      expect.arrayContaining(['resources', 'agentPools.getUpgradeProfile', 'agentPools.upgradeNodeImageVersion', 'operations.get']),
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
