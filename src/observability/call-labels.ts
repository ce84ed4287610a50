import type { ArmFailure } from '../azure/retry.js';

/** Which API an operation (as withRetry names it) went to, and its label: the SDK operation, never a resource name. */
export interface CallLabels {
  readonly api: 'arm' | 'kubernetes';
  readonly operation: string;
}

/**
 * `managedClusters.get aks-1` → arm `managedClusters.get`; `resources page 3` → arm `resources` (Resource Graph);
 * `operations.get aks-1/web` → arm `operations.get` (one poll of an upgrade: its status and, once done, its result);
 * `kubernetes nodes.list aks-1` → kubernetes `nodes.list`. Resource names stay out of labels: one series per
 * operation, not per cluster (a 10,000-cluster fleet would otherwise make 10,000 series).
 */
export function callLabels(operation: string): CallLabels {
  const [first = 'unknown', second] = operation.trim().split(/\s+/);
  if (first === 'kubernetes') return { api: 'kubernetes', operation: second ?? 'unknown' };
  return { api: 'arm', operation: first };
}

/**
 * The HTTP status of an attempt: `2xx` for a success (the SDKs hand back the result, not the code: a read answered
 * 200, an upgrade POST accepted with 202, a poll of its operation), the status code of a failure, or `network` when
 * no HTTP answer came (reset, refused, timed out, or no token could be had).
 */
export function statusLabel(failure: ArmFailure | null): string {
  if (failure === null) return '2xx';
  return failure.statusCode === null ? 'network' : String(failure.statusCode);
}
