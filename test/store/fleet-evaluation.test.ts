import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ClusterObservation, PoolObservation } from '../../src/domain/inventory.js';
import { createServices } from '../../src/services/create-services.js';
import { createReadModel } from '../../src/services/read-model.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { aCluster, aPool, SUB_A, SUB_B } from '../helpers/observations.js';
import { silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const F = 'AKSUbuntu-2204gen2containerd';
const V1 = `${F}-202609.02.0`;
const V2 = `${F}-202609.16.0`;
const V3 = `${F}-202610.01.0`;

/**
 * A store the test writes through the service's own commit path, and two readers of it: the service's inventory
 * (which keeps its evaluation of the fleet) and, at every moment asked, a read model built afresh (which has nothing
 * kept). Both must answer the same at every moment.
 */
function harness(policyYaml?: string) {
  const dir = tempDir();
  const env: Record<string, string> = { IMAGEWARDEN_DATA_DIR: dir, IMAGEWARDEN_ARM_TOKEN: 'unused', IMAGEWARDEN_SNAPSHOT_CRON: 'off' };
  if (policyYaml !== undefined) {
    writeFileSync(join(dir, 'policy.yaml'), policyYaml);
    env.IMAGEWARDEN_POLICY_FILE = join(dir, 'policy.yaml');
  }
  const config = loadConfig(env);
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: Date.parse('2026-09-03T10:00:00Z') };
  const now = () => new Date(clock.now);
  const services = createServices({ config, db, logger: silentLogger, now });
  services.recordPolicy('test');
  const clusters = [aCluster({ name: 'aks-a', poolCount: 3 }), aCluster({ name: 'aks-b', subscriptionId: SUB_B, tags: { env: 'prod' } })];
  const pools = new Map<string, PoolObservation>(
    [aPool({ clusterName: 'aks-a', poolName: 'system', mode: 'System' }), aPool({ clusterName: 'aks-a', poolName: 'web' }), aPool({ clusterName: 'aks-a', poolName: 'batch' }), aPool({ clusterName: 'aks-b', poolName: 'nodes', subscriptionId: SUB_B })].map(
      (pool) => [pool.poolName, { ...pool, nodeImageVersion: V1 }],
    ),
  );
  const snapshot = (iso: string, latest: string) => {
    clock.now = Date.parse(iso);
    const { snapshot: started } = services.snapshots.start({ trigger: 'schedule', scope: 'fleet', requestedBy: 'test', owner: 'test', startedAt: iso });
    const subscriptions = [SUB_A, SUB_B].map((id) => ({ id, status: 'succeeded' as const }));
    services.snapshots.commit(
      started.id,
      { status: 'succeeded', finishedAt: iso, subscriptions, warnings: [], error: null, armCalls: 0, clusterCount: clusters.length, poolCount: pools.size },
      {
        subscriptions: new Set([SUB_A, SUB_B]),
        clusters: clusters as ClusterObservation[],
        pools: [...pools.values()],
        latestImages: [SUB_A, SUB_B].map((subscriptionId) => ({ subscriptionId, location: 'westeurope', imageFamily: F, version: latest, sourcePoolKey: 'test' })),
      },
    );
  };
  const queries = [
    (inventory: typeof services.inventory) => inventory.summary({}),
    (inventory: typeof services.inventory) => inventory.summary({ scope: SUB_B }),
    (inventory: typeof services.inventory) => inventory.pools({ limit: 1000 }),
    (inventory: typeof services.inventory) => inventory.pools({ limit: 2 }),
    (inventory: typeof services.inventory) => inventory.pools({ limit: 1000, status: 'non_compliant' }),
    (inventory: typeof services.inventory) => inventory.pools({ limit: 1000, subscriptionId: SUB_A, afterKey: [...inventory.evaluateAt({ asOf: now() })][0]!.key }),
    (inventory: typeof services.inventory) => [...inventory.evaluateAt({ asOf: now() })].map(({ key, drift }) => ({ key, drift })),
  ];
  /** Every answer of the service's inventory at `iso` equals a fresh read model's. */
  const expectFreshAt = (iso: string) => {
    clock.now = Date.parse(iso);
    const fresh = () => createReadModel({ config, db, now }).inventory;
    for (const [index, query] of queries.entries()) expect(JSON.parse(JSON.stringify(query(services.inventory))), `query ${index} at ${iso}`).toEqual(JSON.parse(JSON.stringify(query(fresh()))));
  };
  const pageAt = (iso: string) => {
    clock.now = Date.parse(iso);
    return services.inventory.pools({ limit: 1000 }).items;
  };
  const statusAt = (iso: string, poolName: string) => pageAt(iso).find((pool) => pool.poolName === poolName)!;
  return { services, db, clock, pools, snapshot, expectFreshAt, pageAt, statusAt };
}

describe('the kept evaluation of the fleet', () => {
  it('answers as a fresh computation across breach instants, day boundaries, exception decisions and expiries, and new snapshots', () => {
    const h = harness();
    h.snapshot('2026-09-03T10:00:00.000Z', V1);
    h.snapshot('2026-09-20T10:00:00.000Z', V2); // V1 superseded (observed) at V2's release: breach 2026-10-16T00:00Z
    h.expectFreshAt('2026-10-15T12:00:00.000Z');

    // Kept while nothing changes: the very same page, not a recomputation.
    const kept = h.pageAt('2026-10-15T12:00:00.000Z');
    expect(h.pageAt('2026-10-15T18:30:00.000Z')).toBe(kept);
    // A day boundary moves every image age.
    h.expectFreshAt('2026-10-15T23:59:59.999Z');
    h.expectFreshAt('2026-10-16T00:00:00.000Z');
    expect(h.pageAt('2026-10-16T00:00:00.000Z')).not.toBe(kept);
    // The breach instant passes: within policy up to and including it, non-compliant one millisecond later.
    expect(h.statusAt('2026-10-16T00:00:00.000Z', 'web').status).toBe('within_policy');
    h.expectFreshAt('2026-10-16T00:00:00.001Z');
    expect(h.statusAt('2026-10-16T00:00:00.001Z', 'web')).toMatchObject({ status: 'non_compliant', findingId: expect.stringMatching(/^fnd_/) });

    // An exception approved: the pools it covers are excepted at once (same moment, nothing but the decision changed).
    h.clock.now = Date.parse('2026-10-17T09:00:00.000Z');
    const request = (scope: object, expiresAt: string) =>
      h.services.exceptionService.request({ scope: scope as never, reason: 'vendor fix pending', compensatingControl: 'WAF', ticket: 'CHG-1', expiresAt }, 'key:operator');
    const onWeb = request({ kind: 'pool', clusterId: h.pools.get('web')!.clusterId, poolName: 'web' }, '2026-10-18T15:30:00.000Z');
    h.expectFreshAt('2026-10-17T09:00:00.000Z');
    h.services.exceptionService.approve(onWeb.id, 'key:admin', null);
    h.expectFreshAt('2026-10-17T09:00:00.000Z');
    expect(h.statusAt('2026-10-17T09:00:00.000Z', 'web')).toMatchObject({ status: 'excepted', exceptionId: onWeb.id });
    // It lapses by itself at its expiry (not a day boundary): no write, only time.
    h.expectFreshAt('2026-10-18T15:29:59.999Z');
    expect(h.statusAt('2026-10-18T15:29:59.999Z', 'web').status).toBe('excepted');
    h.expectFreshAt('2026-10-18T15:30:00.000Z');
    expect(h.statusAt('2026-10-18T15:30:00.000Z', 'web')).toMatchObject({ status: 'non_compliant', exceptionId: null });

    // Another approved, then revoked.
    h.clock.now = Date.parse('2026-10-19T08:00:00.000Z');
    const onCluster = request({ kind: 'subscription', subscriptionId: SUB_B }, '2026-11-30T00:00:00.000Z');
    h.services.exceptionService.approve(onCluster.id, 'key:admin', null);
    h.expectFreshAt('2026-10-19T08:00:00.000Z');
    expect(h.statusAt('2026-10-19T08:00:00.000Z', 'nodes').status).toBe('excepted');
    h.clock.now = Date.parse('2026-10-19T12:00:00.000Z');
    h.services.exceptionService.revoke(onCluster.id, 'key:admin', null);
    h.expectFreshAt('2026-10-19T12:00:00.000Z');
    expect(h.statusAt('2026-10-19T12:00:00.000Z', 'nodes').status).toBe('non_compliant');

    // A new snapshot: one pool upgraded, V3 appears.
    h.pools.set('system', { ...h.pools.get('system')!, nodeImageVersion: V3 });
    h.pools.set('batch', { ...h.pools.get('batch')!, nodeImageVersion: V2 });
    const before = h.pageAt('2026-10-20T09:59:59.999Z');
    h.snapshot('2026-10-20T10:00:00.000Z', V3);
    h.expectFreshAt('2026-10-20T10:00:00.000Z');
    expect(h.pageAt('2026-10-20T10:00:00.000Z')).not.toBe(before);
    expect(h.statusAt('2026-10-20T10:00:00.000Z', 'system').status).toBe('current');
    // batch now runs V2, superseded by V3 (released 10-01, observed): breach 2026-10-31T00:00Z.
    expect(h.statusAt('2026-10-20T10:00:00.000Z', 'batch').status).toBe('within_policy');
    h.expectFreshAt('2026-10-31T00:00:00.000Z');
    h.expectFreshAt('2026-10-31T00:00:00.001Z');
    expect(h.statusAt('2026-10-31T00:00:00.001Z', 'batch').status).toBe('non_compliant');

    // The past is still answered from what was observed then (another snapshot: not the kept evaluation).
    h.expectFreshAt('2026-10-20T10:00:00.000Z');
    expect(h.services.inventory.summary({ asOf: new Date('2026-09-10T00:00:00Z') })).toMatchObject({ counts: { current: 4 } });
    h.db.close();
  });

  it('under the regional-availability clock: image ages turn at midnight, exposures and breaches at the sighting\'s hour', () => {
    const h = harness('version: 1\ndefaults:\n  slaDays: 30\n  clock: regional_availability\n');
    h.snapshot('2026-09-03T10:00:00.000Z', V1);
    h.pools.set('system', { ...h.pools.get('system')!, nodeImageVersion: V2 });
    h.snapshot('2026-09-20T10:00:00.000Z', V2); // the others superseded when V2 was first seen: 09-20T10:00Z
    h.expectFreshAt('2026-10-01T12:00:00.000Z');
    const kept = h.pageAt('2026-10-01T12:00:00.000Z');
    expect(h.pageAt('2026-10-01T23:59:59.999Z')).toBe(kept);
    // Midnight: every image age, the current pool's too, gains a day; the exposures do not.
    h.expectFreshAt('2026-10-02T00:00:00.000Z');
    expect(h.statusAt('2026-10-02T00:00:00.000Z', 'web')).toMatchObject({ supersededAtSource: 'regional_availability', exposureDays: 11 });
    h.expectFreshAt('2026-10-02T09:59:59.999Z');
    h.expectFreshAt('2026-10-02T10:00:00.000Z');
    expect(h.statusAt('2026-10-02T10:00:00.000Z', 'web').exposureDays).toBe(12);
    // The breach instant: 30 days after the sighting.
    h.expectFreshAt('2026-10-20T10:00:00.000Z');
    expect(h.statusAt('2026-10-20T10:00:00.000Z', 'web').status).toBe('within_policy');
    h.expectFreshAt('2026-10-20T10:00:00.001Z');
    expect(h.statusAt('2026-10-20T10:00:00.001Z', 'web').status).toBe('non_compliant');
    h.db.close();
  });
});
