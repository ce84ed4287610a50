import { k8sTime } from './identifiers.js';
import type { PdbSpec, Workload } from './workloads.js';

/**
 * `policy/v1` PodDisruptionBudgets with the status the disruption controller computes from the live pods they
 * select (kubernetes pkg/controller/disruption): an integer `minAvailable` expects the pods that exist, a
 * percentage or `maxUnavailable` expects the controller's replicas; percentages round up.
 */

type Json = Record<string, unknown>;

export interface PdbView {
  workload: Workload;
  pdb: PdbSpec;
  uid: string;
  createdAt: Date;
  resourceVersion: number;
  /** Readiness of every pod the PDB selects. */
  podsReady: boolean[];
}

export interface DisruptionStatus {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
}

export function disruptionStatus(pdb: PdbSpec, replicas: number, podsReady: boolean[]): DisruptionStatus {
  const currentHealthy = podsReady.filter(Boolean).length;
  let expectedPods: number;
  let desiredHealthy: number;
  if (pdb.minAvailable !== undefined) {
    expectedPods = typeof pdb.minAvailable === 'number' ? podsReady.length : replicas;
    desiredHealthy = scaled(pdb.minAvailable, expectedPods);
  } else {
    expectedPods = replicas;
    desiredHealthy = Math.max(0, expectedPods - scaled(pdb.maxUnavailable ?? 0, expectedPods));
  }
  return { expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy) };
}

function scaled(value: number | string, total: number): number {
  return typeof value === 'number' ? value : Math.ceil((Number.parseInt(value, 10) * total) / 100);
}

export function pdbJson(view: PdbView): Json {
  const { workload, pdb } = view;
  const status = disruptionStatus(pdb, workload.replicas, view.podsReady);
  const allowed = status.disruptionsAllowed > 0;
  return {
    metadata: {
      name: pdb.name,
      namespace: workload.namespace,
      uid: view.uid,
      resourceVersion: String(view.resourceVersion),
      generation: 1,
      creationTimestamp: k8sTime(view.createdAt),
      labels: workload.labels,
    },
    spec: {
      ...(pdb.minAvailable !== undefined ? { minAvailable: pdb.minAvailable } : { maxUnavailable: pdb.maxUnavailable }),
      selector: { matchLabels: workload.labels },
    },
    status: {
      observedGeneration: 1,
      ...status,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: allowed ? 'True' : 'False',
          observedGeneration: 1,
          lastTransitionTime: k8sTime(view.createdAt),
          reason: allowed ? 'SufficientPods' : 'InsufficientPods',
          message: '',
        },
      ],
    },
  };
}
