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
