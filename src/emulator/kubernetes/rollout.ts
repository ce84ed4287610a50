import type { PoolState } from '../fleet-state.js';
import type { BlockedDrain, ClusterWorld } from './cluster-world.js';

/**
 * The node choreography of a node-image upgrade, batch by batch as AKS runs it with surge nodes: add `maxSurge`
 * nodes on the target image (NotReady, then Ready), cordon as many old nodes, drain them (their pods move to Ready
 * nodes), delete them. The operation's duration is split evenly over the batches, and each batch into those steps,
 * so a reader sees the state that matches the wall-clock progress of the operation. A PDB that allows no disruption
 * stops the drain: the upgrade fails there.
 */

type Step = 'surge' | 'ready' | 'cordon' | 'drain' | 'delete';

/** Where each step falls within its batch (fraction of the batch's time). */
const STEPS: readonly [Step, number][] = [['surge', 0], ['ready', 0.25], ['cordon', 0.5], ['drain', 0.75], ['delete', 1]];

interface Batch {
  /** Old nodes this batch replaces. */
  old: string[];
  /** New nodes to add (the last batch adds what the pool still lacks). */
  create: number;
  created: string[];
}

export interface Rollout {
  poolName: string;
  target: string | null;
  batches: Batch[];
  /** Steps in time order; `atMs` is relative to the operation's start. */
  events: { atMs: number; step: Step; batch: number }[];
  next: number;
}

/** `upgradeSettings.maxSurge`: a percentage of the pool (rounded up) or a node count; at least one node. */
function surgeCount(maxSurge: unknown, poolCount: number): number {
  const text = String(maxSurge ?? '10%').trim();
  const count = text.endsWith('%') ? Math.ceil((poolCount * Number.parseFloat(text)) / 100) : Number.parseInt(text, 10);
  return Number.isFinite(count) ? Math.max(1, count) : 1;
}

/**
 * Plans the upgrade of `pool` to `target`: nodes not on the target (or left cordoned by an earlier failed attempt)
 * are old; the pool ends with `count` nodes, all on the target.
 */
export function planRollout(world: ClusterWorld, pool: PoolState, target: string | null, durationMs: number): Rollout {
  const count = pool.count ?? 3;
  const current = world.nodesOf(pool.name);
  const old = current.filter((node) => node.image !== target || node.cordoned);
  let missing = Math.max(0, count - (current.length - old.length));
  const surge = surgeCount(pool.upgradeSettings?.maxSurge, count);
  const batches: Batch[] = [];
  for (let i = 0; i < old.length; i += surge) {
    const last = i + surge >= old.length;
    const create = last ? missing : Math.min(surge, missing);
    missing -= create;
    batches.push({ old: old.slice(i, i + surge).map((node) => node.name), create, created: [] });
  }
  const batchMs = durationMs / Math.max(1, batches.length);
  const events = batches.flatMap((_, batch) => STEPS.map(([step, at]) => ({ atMs: (batch + at) * batchMs, step, batch })));
  return { poolName: pool.name, target, batches, events, next: 0 };
}

/**
 * Runs the steps due by `untilMs` (relative to the operation's start). Returns the blocked drain, with the time it
 * happened, when a PDB stops the upgrade; the remaining steps never run then.
 */
export function advanceRollout(
  world: ClusterWorld,
  rollout: Rollout,
  untilMs: number,
  timeOf: (atMs: number) => Date,
): (BlockedDrain & { atMs: number }) | undefined {
  while (rollout.next < rollout.events.length && rollout.events[rollout.next]!.atMs <= untilMs) {
    const event = rollout.events[rollout.next++]!;
    const batch = rollout.batches[event.batch]!;
    const at = timeOf(event.atMs);
    const pool = world.ref.cluster.agentPools.find((p) => p.name === rollout.poolName);
    if (!pool) return undefined; // deleted mid-upgrade: the operation fails on its own
    const old = batch.old.flatMap((name) => world.node(name) ?? []);
    switch (event.step) {
      case 'surge':
        for (let i = 0; i < batch.create; i++) batch.created.push(world.createNode(pool, rollout.target, at, false).name);
        break;
      case 'ready':
        for (const name of batch.created) {
          const node = world.node(name);
          if (node) world.markReady(node, at);
        }
        break;
      case 'cordon':
        for (const node of old) world.cordon(node, at);
        break;
      case 'drain':
        for (const node of old) {
          const blocked = world.drain(node, at);
          if (blocked) return { ...blocked, atMs: event.atMs };
        }
        break;
      case 'delete':
        for (const node of old) world.deleteNode(node);
        break;
    }
    world.reconcilePods(at);
  }
  return undefined;
}

/** AKS's `UpgradeFailed` message for a drain that a PodDisruptionBudget blocked. */
export function drainFailureMessage(blocked: BlockedDrain): string {
  const [first] = blocked.pods;
  return (
    `Drain node ${blocked.node} failed when evicting pods [${blocked.pods.map((pod) => pod.name).join(' ')}] failed with Too Many Requests error. ` +
    'This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See https://aka.ms/aks/debugdrainfailures. ' +
    "Original error: Cannot evict pod as it would violate the pod's disruption budget.. " +
    `PDB debug info: ${first?.namespace}/${first?.name} blocked by pdb ${blocked.pdbName} with ${blocked.unreadyPods} unready pods.`
  );
}
