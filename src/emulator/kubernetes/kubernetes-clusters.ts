import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createClusterWorld } from './cluster-world.js';
import { advanceRollout, drainFailureMessage, planRollout } from './rollout.js';
import type { ClusterRef, FleetState } from '../fleet-state.js';
import type { NodeRollout, OperationRecord } from '../upgrade-operations.js';
import type { ClusterWorld } from './cluster-world.js';

/**
 * The Kubernetes side of every cluster: one world per cluster, built on first use (a request to its API server, a
 * fault, or an upgrade of one of its pools), the opaque path ids of the API server URLs and the local-account tokens.
 * It moves nodes for the operation store (`advance`), which calls it lazily from `settle()`.
 */

export type KubernetesClusters = ReturnType<typeof createKubernetesClusters>;

export function createKubernetesClusters(state: FleetState, now: () => Date) {
  const worlds = new Map<string, ClusterWorld>();
  const secret = randomBytes(32);
  let byPathId: Map<string, ClusterRef> | undefined;

  /** The cluster's world, caught up with ARM as of `at`. */
  function world(ref: ClusterRef, at: Date = now()): ClusterWorld {
    const key = ref.id.toLowerCase();
    let found = worlds.get(key);
    if (!found) {
      found = createClusterWorld(state, ref, at);
      worlds.set(key, found);
    }
    found.sync(at);
    return found;
  }

  /** The path segment of the cluster's API server URL: derived from the ARM id, opaque to clients. */
  function pathId(ref: ClusterRef): string {
    return createHash('sha256').update(ref.id.toLowerCase()).digest('hex').slice(0, 20);
  }

  const rollout: NodeRollout = {
    advance(op: OperationRecord, untilMs: number) {
      const ref = state.clusterById(op.clusterId);
      const pool = ref && op.poolName ? state.pool(ref, op.poolName) : undefined;
      if (!ref || !pool) return undefined;
      // A world first built here shows the nodes as they were when the upgrade started.
      const cluster = world(ref, worlds.has(ref.id.toLowerCase()) ? now() : op.startTime);
      let plan = cluster.rollouts.get(op.id);
      if (!plan) {
        plan = planRollout(cluster, pool, op.targetVersion ?? null, op.durationMs);
        cluster.rollouts.set(op.id, plan);
      }
      const blocked = advanceRollout(cluster, plan, untilMs - op.startedAtMs, (atMs) => new Date(op.startTime.getTime() + atMs));
      return blocked && { error: { code: 'UpgradeFailed', message: drainFailureMessage(blocked) }, atMs: op.startedAtMs + blocked.atMs };
    },
  };

  return {
    world,
    rollout,
    pathId,
    clusterByPathId(id: string): ClusterRef | undefined {
      byPathId ??= new Map(state.clusters().map((ref) => [pathId(ref), ref])); // clusters never come or go at run time
      return byPathId.get(id);
    },
    /** The static token of a `local` cluster's clusterUser (AKS hands out one such token per cluster). */
    localToken(ref: ClusterRef): string {
      return createHmac('sha256', secret).update(ref.id.toLowerCase()).digest('hex').slice(0, 32);
    },
  };
}
