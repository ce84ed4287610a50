import { ContainerServiceClient } from '@azure/arm-containerservice';
import { writeFileSync } from 'node:fs';
import { staticTokenCredential } from '../../src/azure/credential.js';
import { parseClusterId } from '../../src/domain/inventory.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202611.10.0`;

async function threePoolCluster() {
  const emulator = await startTestEmulator(
    {
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: NEW } },
      subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: OLD, mode: 'System' }), pool('web', { nodeImageVersion: OLD }), pool('batch', { nodeImageVersion: OLD })])] }],
    },
    { upgradeDurationMs: 300 },
  );
  const config = loadConfig({ IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_SNAPSHOT_CRON: 'off' });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const services = createServices({ config, db, logger: silentLogger, snapshotOptions: { retryPolicy: FAST_RETRY }, upgradeOptions: { updateIntervalInMs: 50 } });
  await services.snapshotService.run('cli', 'test');
  const [clusterId] = emulator.fleet.listClusterIds();
  return { emulator, services, db, clusterId: clusterId! };
}

describe('recorded node-image upgrades', () => {
  it('runs a three-pool upgrade: pre-checks, one LRO per pool (User pools first), post-checks, evidence', async () => {
    const h = await threePoolCluster();
    h.services.upgradeRunner.start();
    const response = await h.services.upgradeService.request({ clusterId: h.clusterId, reason: 'monthly patching', changeTicket: 'CHG-1' }, { actor: 'key:ops', role: 'operator' }, 'key-1');
    expect(response.statusCode).toBe(202);
    const { id } = response.body as { id: string; status: string };
    await h.services.upgradeRunner.idle();
    const run = h.services.upgradeService.get(id);
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    expect(run.pools.map((p) => [p.poolName, p.status, p.imageBefore, p.imageAfter])).toEqual([
      ['batch', 'succeeded', OLD, NEW],
      ['web', 'succeeded', OLD, NEW],
      ['system', 'succeeded', OLD, NEW],
    ]);
    const kinds = [...h.services.evidenceRepo.entries()].filter((e) => e.subject === id).map((e) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['upgrade_requested', 'upgrade_prechecks']);
    expect(kinds.filter((k) => k === 'upgrade_submitted')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'upgrade_pool_succeeded')).toHaveLength(3);
    expect(kinds.slice(-2)).toEqual(['upgrade_postchecks', 'upgrade_completed']);
    // The same request again is the same answer; another body under the key is refused.
    expect(await h.services.upgradeService.request({ clusterId: h.clusterId, reason: 'monthly patching', changeTicket: 'CHG-1' }, { actor: 'key:ops', role: 'operator' }, 'key-1')).toEqual(response);
    await expect(h.services.upgradeService.request({ clusterId: h.clusterId, reason: 'other' }, { actor: 'key:ops', role: 'operator' }, 'key-1')).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    // Drift follows: the snapshot taken after the run sees every pool current.
    const pools = h.services.inventory.pools({ limit: 10 }).items;
    expect(pools.map((p) => p.status)).toEqual(['current', 'current', 'current']);
    // …taken of the upgraded cluster alone, fresh from the AKS API; it does not count as a fleet snapshot.
    const [latest] = h.services.snapshots.list({ afterId: null, limit: 1 });
    expect(latest).toMatchObject({ trigger: 'upgrade', scope: 'cluster', status: 'succeeded', clusterCount: 1, poolCount: 3 });
    expect(h.services.evidence.verify().intact).toBe(true);
  });
});

describe('approval that never comes', () => {
  it('expires the run after 72 hours, recorded; a late approval is refused', async () => {
    const emulator = await startTestEmulator({
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: NEW } },
      subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('web', { nodeImageVersion: OLD })], { tags: { env: 'prod' } })] }],
    });
    const policyFile = `${tempDir()}/policy.yaml`;
    writeFileSync(policyFile, 'version: 1\nupgrades:\n  - name: prod\n    match: { tags: { env: prod } }\n    requireApproval: true\n');
    const config = loadConfig({ IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_POLICY_FILE: policyFile });
    const db = openDatabase(config.databaseFile);
    migrate(db);
    const clock = { now: Date.now() };
    const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
    const [clusterId] = emulator.fleet.listClusterIds();
    const { id } = (await services.upgradeService.request({ clusterId: clusterId!, reason: 'r' }, { actor: 'key:a', role: 'admin' }, 'k')).body as { id: string };
    expect(services.upgradeService.get(id)).toMatchObject({ status: 'pending_approval' });
    clock.now += 71 * 3_600_000;
    expect(services.upgradeService.expirePending()).toBe(0);
    clock.now += 2 * 3_600_000;
    expect(() => services.upgradeService.approve(id, 'key:b')).toThrow(/expired/);
    expect(services.upgradeService.get(id).status).toBe('expired');
    expect([...services.evidenceRepo.entries()].filter((e) => e.subject === id).map((e) => e.kind)).toEqual(['upgrade_requested', 'upgrade_prechecks', 'upgrade_expired']);
    // The cluster is free again.
    expect(services.upgradeRepo.activeFor(clusterId!.toLowerCase())).toBeNull();
  });
});

describe('a lost poll state', () => {
  it('adopts an operation already in flight from the pool state, never posting twice (crash after the POST)', async () => {
    const h = await threePoolCluster();
    // The run is stored (no runner yet), and "its" POST reached Azure but the poller state never got stored.
    const { id } = (await h.services.upgradeService.request({ clusterId: h.clusterId, pools: ['web'], reason: 'r' }, { actor: 'key:ops', role: 'operator' }, 'lost')).body as { id: string };
    const { subscriptionId, resourceGroup, name } = parseClusterId(h.clusterId)!;
    const aks = new ContainerServiceClient(staticTokenCredential(h.emulator.token), subscriptionId, { endpoint: h.emulator.url, retryOptions: { maxRetries: 0 } });
    await aks.agentPools.upgradeNodeImageVersion(resourceGroup, name, 'web', { updateIntervalInMs: 50 }).submitted();
    expect(h.emulator.callCounts()['agentPools.upgradeNodeImageVersion']).toBe(1);
    h.services.upgradeRunner.start();
    await h.services.upgradeRunner.idle();
    const run = h.services.upgradeService.get(id);
    expect(run.status).toBe('succeeded');
    expect(run.pools[0]).toMatchObject({ status: 'succeeded', imageAfter: NEW });
    expect(h.emulator.callCounts()['agentPools.upgradeNodeImageVersion']).toBe(1);
    const events = [...h.services.evidenceRepo.entries()].filter((e) => e.subject === id).map((e) => JSON.parse(e.body) as Record<string, unknown>);
    expect(events.some((e) => e.adopted === true && e.derivedFrom === 'resource_state')).toBe(true);
    expect(events.find((e) => e.imageAfter === NEW && e.poolName === 'web')).toMatchObject({ derivedFrom: 'resource_state' });
  });
});
