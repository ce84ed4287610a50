import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterObservation, PoolObservation } from '../../src/domain/inventory.js';
import type { Db } from '../../src/store/database.js';
import type { LatestImageObservation } from '../../src/store/observation-writer.js';
import { createSnapshotRepository } from '../../src/store/snapshot-repository.js';
import { createStateRepository } from '../../src/store/state-repository.js';
import { openTestDatabase } from '../helpers/database.js';
import { aCluster, aPool, SUB_A, SUB_B } from '../helpers/observations.js';

interface Observed {
  clusters: ClusterObservation[];
  pools: PoolObservation[];
  latest?: LatestImageObservation[];
  failed?: string[];
}

function takeSnapshot(db: Db, at: string, observed: Observed) {
  const repo = createSnapshotRepository(db);
  const { snapshot } = repo.start({ trigger: 'cli', scope: 'fleet', requestedBy: 'test', owner: 'test:1', startedAt: at });
  const subscriptions = [SUB_A, SUB_B].map((id) =>
    observed.failed?.includes(id) ? { id, status: 'failed' as const, error: 'boom' } : { id, status: 'succeeded' as const },
  );
  return repo.commit(
    snapshot.id,
    {
      status: observed.failed?.length ? 'partial' : 'succeeded',
      finishedAt: at,
      subscriptions,
      warnings: [],
      error: null,
      armCalls: 1,
      clusterCount: observed.clusters.length,
      poolCount: observed.pools.length,
    },
    {
      subscriptions: new Set(subscriptions.filter((s) => s.status === 'succeeded').map((s) => s.id)),
      clusters: observed.clusters,
      pools: observed.pools,
      latestImages: observed.latest ?? [],
    },
  );
}

const rowCount = (db: Db) =>
  (db.prepare(`SELECT (SELECT count(*) FROM pool_states) + (SELECT count(*) FROM cluster_states) + (SELECT count(*) FROM latest_image_states) AS n`).get() as { n: number }).n;

const poolsAt = (db: Db, snapshotId: number) =>
  createStateRepository(db)
    .pools(snapshotId, { limit: 1000 })
    .map((p) => ({ key: p.key, image: p.pool.nodeImageVersion, latest: p.latestNodeImageVersion }));

describe('interval observations', () => {
  const cluster = aCluster({ name: 'aks-a', poolCount: 2 });
  const sys = aPool({ clusterName: 'aks-a', poolName: 'system', mode: 'System' });
  const user = aPool({ clusterName: 'aks-a', poolName: 'user' });
  const latest: LatestImageObservation = {
    subscriptionId: SUB_A,
    location: 'westeurope',
    imageFamily: 'AKSUbuntu-2204gen2containerd',
    version: 'AKSUbuntu-2204gen2containerd-202411.12.0',
    sourcePoolKey: 'x',
  };

  it('adds no observation rows when nothing changed, and reconstructs every past snapshot exactly', () => {
    const { db } = openTestDatabase();
    const s1 = takeSnapshot(db, '2026-10-01T00:00:00.000Z', { clusters: [cluster], pools: [sys, user], latest: [latest] });
    const after1 = rowCount(db);
    expect(after1).toBe(4);
    const s2 = takeSnapshot(db, '2026-10-01T01:00:00.000Z', { clusters: [cluster], pools: [sys, user], latest: [latest] });
    expect(rowCount(db)).toBe(after1);
    expect(db.prepare('SELECT opened_rows, closed_rows FROM snapshots WHERE id = ?').get(s2.id)).toEqual({ opened_rows: 0, closed_rows: 0 });

    const upgraded = { ...user, nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202411.12.0' };
    const s3 = takeSnapshot(db, '2026-10-02T00:00:00.000Z', { clusters: [cluster], pools: [sys, upgraded], latest: [latest] });
    expect(rowCount(db)).toBe(after1 + 1);
    const s4 = takeSnapshot(db, '2026-10-03T00:00:00.000Z', { clusters: [cluster], pools: [upgraded], latest: [latest] });

    const key = (pool: string) => `${cluster.id.toLowerCase()}/agentpools/${pool}`;
    expect(poolsAt(db, s1.id)).toEqual([
      { key: key('system'), image: sys.nodeImageVersion, latest: latest.version },
      { key: key('user'), image: user.nodeImageVersion, latest: latest.version },
    ]);
    expect(poolsAt(db, s2.id)).toEqual(poolsAt(db, s1.id));
    expect(poolsAt(db, s3.id).map((p) => p.image)).toEqual([sys.nodeImageVersion, upgraded.nodeImageVersion]);
    expect(poolsAt(db, s4.id).map((p) => p.key)).toEqual([key('user')]);
    expect(createSnapshotRepository(db).latestCommittedAt('2026-10-01T12:00:00.000Z')?.id).toBe(s2.id);
    expect(createSnapshotRepository(db).latestCommittedAt('2026-09-30T00:00:00.000Z')).toBeNull();
  });

  it('keeps the pools of a failed subscription instead of deleting them', () => {
    const { db } = openTestDatabase();
    const other = aPool({ clusterName: 'aks-b', poolName: 'pool', subscriptionId: SUB_B });
    const otherCluster = aCluster({ name: 'aks-b', subscriptionId: SUB_B });
    takeSnapshot(db, '2026-10-01T00:00:00.000Z', { clusters: [cluster, otherCluster], pools: [sys, other] });
    const partial = takeSnapshot(db, '2026-10-01T01:00:00.000Z', { clusters: [cluster], pools: [sys], failed: [SUB_B] });
    expect(partial.status).toBe('partial');
    expect(poolsAt(db, partial.id)).toHaveLength(2);
    const observations = createStateRepository(db).subscriptionObservations(partial.id);
    expect(observations.get(SUB_B)).toEqual({ observedAt: '2026-10-01T00:00:00.000Z', status: 'failed' });
    expect(observations.get(SUB_A)).toEqual({ observedAt: '2026-10-01T01:00:00.000Z', status: 'succeeded' });
  });

  it('allows one running snapshot at a time and never commits over an interrupted one', () => {
    const { db } = openTestDatabase();
    const repo = createSnapshotRepository(db);
    const first = repo.start({ trigger: 'api', scope: 'fleet', requestedBy: 'a', owner: 'h:1', startedAt: '2026-10-01T00:00:00Z' });
    const second = repo.start({ trigger: 'cli', scope: 'fleet', requestedBy: 'b', owner: 'h:2', startedAt: '2026-10-01T00:00:01Z' });
    expect(first.started).toBe(true);
    expect(second).toMatchObject({ started: false, snapshot: { id: first.snapshot.id } });
    const outcome = { status: 'failed' as const, finishedAt: '2026-10-01T00:01:00Z', subscriptions: [], warnings: [], error: 'interrupted', armCalls: 0, clusterCount: 0, poolCount: 0 };
    repo.fail(first.snapshot.id, outcome);
    expect(() =>
      repo.commit(first.snapshot.id, { ...outcome, status: 'succeeded' }, { subscriptions: new Set([SUB_A]), clusters: [cluster], pools: [sys], latestImages: [] }),
    ).toThrow(/no longer running/);
    expect(rowCount(db)).toBe(0);
  });
});

describe('the walk across snapshots (poolsAcross)', () => {
  const IMAGES = ['AKSUbuntu-2204gen2containerd-202410.27.0', 'AKSUbuntu-2204gen2containerd-202411.12.0', 'AzureLinux-V2gen2-202411.12.0', 'not-a-version'];
  const clusterNames = ['aks-a', 'aks-b', 'aks-c'];
  /** One snapshot's world: which pools exist with which image, each cluster's Kubernetes version, the latest images, failures. */
  const world = fc.record({
    pools: fc.array(fc.record({ cluster: fc.constantFrom(...clusterNames), name: fc.constantFrom('system', 'user', 'gpu'), image: fc.constantFrom(...IMAGES), subscription: fc.constantFrom(SUB_A, SUB_B) }), { maxLength: 8 }),
    kubernetes: fc.constantFrom('1.31.2', '1.32.6'),
    // At most one latest image per family, as AKS answers.
    latest: fc.tuple(fc.option(fc.constantFrom(IMAGES[0]!, IMAGES[1]!)), fc.option(fc.constant(IMAGES[2]!))),
    failed: fc.subarray([SUB_A, SUB_B], { maxLength: 1 }),
  });

  it('yields, at every snapshot of any ascending list, exactly what reading that snapshot whole yields', () => {
    fc.assert(
      fc.property(fc.array(world, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (worlds, picks) => {
        const { db } = openTestDatabase();
        const ids = worlds.map((w, index) => {
          const pools = [...new Map(w.pools.map((p) => [`${p.subscription}/${p.cluster}/${p.name}`, p])).values()];
          const clusters = [...new Map(pools.map((p) => [`${p.subscription}/${p.cluster}`, aCluster({ name: p.cluster, subscriptionId: p.subscription, kubernetesVersion: w.kubernetes })])).values()];
          return takeSnapshot(db, `2026-10-0${index + 1}T00:00:00.000Z`, {
            clusters,
            pools: pools.map((p) => aPool({ clusterName: p.cluster, poolName: p.name, subscriptionId: p.subscription, nodeImageVersion: p.image })),
            latest: [SUB_A, SUB_B].flatMap((subscriptionId) =>
              w.latest.filter((version) => version !== null).map((version) => ({ subscriptionId, location: 'westeurope', imageFamily: version.slice(0, version.lastIndexOf('-')), version, sourcePoolKey: 'x' })),
            ),
            failed: w.failed,
          }).id;
        });
        // Any ascending selection of the snapshots, repeats included (days without a snapshot of their own).
        const chosen = picks.length === 0 ? ids : picks.map((n) => ids[n % ids.length]!).sort((a, b) => a - b);
        const state = createStateRepository(db);
        const walked = [...state.poolsAcross(chosen)].map(({ snapshotId, pools }) => ({ snapshotId, pools: [...pools] }));
        expect(walked).toEqual(chosen.map((snapshotId) => ({ snapshotId, pools: state.pools(snapshotId, { limit: 1000 }) })));
        db.close();
      }),
      { numRuns: 60 },
    );
  });

  it('refuses snapshot ids out of order', () => {
    const { db } = openTestDatabase();
    expect(() => [...createStateRepository(db).poolsAcross([3, 2])]).toThrow(/ascend/);
  });
});
