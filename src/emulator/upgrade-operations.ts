import { randomUUID } from 'node:crypto';
import type { ClusterRef, FleetState } from './fleet-state.js';
import { sameId } from './arm-ids.js';

/**
 * The long-running operations behind `upgradeNodeImageVersion` and `abort` (azure-wire.md §3.4/§3.5/§4).
 * State advances lazily: `settle()` runs before every request and every controller read, moves the nodes of running
 * upgrades along and finishes any operation whose wall-clock duration has elapsed (or whose drain a PDB blocked).
 * No timers, so nothing keeps the process alive.
 */

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationRecord {
  id: string;
  kind: 'upgradeNodeImageVersion' | 'abort';
  subscriptionId: string;
  location: string;
  clusterId: string;
  poolName?: string;
  status: OperationStatus;
  /** Emulator clock (the `now` option) for the timestamps clients see. */
  startTime: Date;
  endTime?: Date;
  /** Wall clock (ms) for progress: durations are real time, never request counts. */
  startedAtMs: number;
  durationMs: number;
  /** Image the pool gets on success, fixed when the upgrade starts (AKS picks the target then). */
  targetVersion?: string | null;
  plannedFailure?: { code: string; message: string };
  error?: { code: string; message: string };
}

export type OperationStore = ReturnType<typeof createOperationStore>;

/**
 * Moves a pool's Kubernetes nodes along a running upgrade, up to `untilMs` (wall clock). A drain that a PDB blocks
 * ends the upgrade: the answer is the error and the wall-clock time it happened.
 */
export interface NodeRollout {
  advance(op: OperationRecord, untilMs: number): { error: { code: string; message: string }; atMs: number } | undefined;
}

export const UPGRADING = 'UpgradingNodeImageVersion';

export function createOperationStore(state: FleetState, now: () => Date, nodes: NodeRollout) {
  const operations = new Map<string, OperationRecord>();

  function settle(): void {
    const wall = Date.now();
    for (const op of operations.values()) {
      if (op.status !== 'InProgress') continue;
      const ref = state.clusterById(op.clusterId);
      const pool = ref && op.poolName ? state.pool(ref, op.poolName) : undefined;
      const endMs = op.startedAtMs + op.durationMs;
      // A planned failure strikes just before the end, so the last batch's old nodes are still there.
      const blocked = pool ? nodes.advance(op, Math.min(wall, op.plannedFailure ? endMs - 1 : endMs)) : undefined;
      if (!blocked && wall < endMs) continue;
      op.endTime = new Date(op.startTime.getTime() + (blocked ? blocked.atMs - op.startedAtMs : op.durationMs));
      if (!pool) {
        op.status = 'Failed';
        op.error = { code: 'NotFound', message: `Agent pool ${op.poolName} was deleted while the operation ran.` };
      } else if (blocked || op.plannedFailure) {
        op.status = 'Failed';
        op.error = blocked?.error ?? op.plannedFailure;
        pool.provisioningState = 'Failed';
        state.touch(pool);
      } else {
        op.status = 'Succeeded';
        if (op.targetVersion) pool.nodeImageVersion = op.targetVersion;
        pool.provisioningState = 'Succeeded';
        state.touch(pool);
      }
    }
  }

  /** The running operation on a pool (or on any pool of the cluster when poolName is omitted). */
  function running(ref: ClusterRef, poolName?: string): OperationRecord[] {
    settle();
    return [...operations.values()].filter(
      (op) => op.status === 'InProgress' && sameId(op.clusterId, ref.id) && (!poolName || sameId(op.poolName ?? '', poolName)),
    );
  }

  function startUpgrade(ref: ClusterRef, poolName: string, durationMs: number, plannedFailure?: OperationRecord['plannedFailure']): OperationRecord {
    const pool = state.pool(ref, poolName);
    if (!pool) throw new Error(`no pool ${poolName}`);
    const op: OperationRecord = {
      id: randomUUID(),
      kind: 'upgradeNodeImageVersion',
      subscriptionId: ref.subscription.id,
      location: ref.cluster.location,
      clusterId: ref.id,
      poolName: pool.name,
      status: 'InProgress',
      startTime: now(),
      startedAtMs: Date.now(),
      durationMs,
      targetVersion: state.latestImage(ref, pool) ?? pool.nodeImageVersion,
      plannedFailure,
    };
    operations.set(op.id, op);
    pool.provisioningState = UPGRADING;
    state.touch(pool);
    return op;
  }

  /** Cancels running operations (abort); returns the already-finished abort operation itself. */
  function abort(ref: ClusterRef, targets: OperationRecord[], poolName?: string): OperationRecord {
    const time = now();
    for (const op of targets) {
      op.status = 'Canceled';
      op.endTime = time;
      op.error = { code: 'OperationCanceled', message: 'The operation was canceled by an abort request.' };
      const pool = op.poolName ? state.pool(ref, op.poolName) : undefined;
      if (pool) {
        pool.provisioningState = 'Canceled';
        state.touch(pool);
      }
    }
    if (!poolName) ref.cluster.provisioningState = 'Canceled';
    const record: OperationRecord = {
      id: randomUUID(),
      kind: 'abort',
      subscriptionId: ref.subscription.id,
      location: ref.cluster.location,
      clusterId: ref.id,
      poolName,
      status: 'Succeeded',
      startTime: time,
      endTime: time,
      startedAtMs: Date.now(),
      durationMs: 0,
    };
    operations.set(record.id, record);
    return record;
  }

  return {
    settle,
    running,
    startUpgrade,
    abort,
    get(id: string): OperationRecord | undefined {
      settle();
      return [...operations.values()].find((op) => sameId(op.id, id));
    },
    /** Progress for the status body: 0..99 while running, 100 when done. */
    percentComplete(op: OperationRecord): number {
      if (op.status !== 'InProgress') return 100;
      return Math.min(99, Math.floor(((Date.now() - op.startedAtMs) / Math.max(1, op.durationMs)) * 100));
    },
  };
}
