/** The API's shapes the pages read (CONTRACT.md); only the fields the pages use. */

export type PoolStatus = 'current' | 'within_policy' | 'non_compliant' | 'excepted' | 'unknown';

export const STATUSES: readonly PoolStatus[] = ['current', 'within_policy', 'non_compliant', 'excepted', 'unknown'];

export type StatusCounts = Record<PoolStatus, number>;

export interface Summary {
  readonly asOf: string;
  readonly scope: string | null;
  readonly total: number;
  readonly counts: StatusCounts;
  readonly compliancePercent: number | null;
  readonly compliancePercentWithExceptions: number | null;
  readonly bySubscription: readonly {
    readonly subscriptionId: string;
    readonly total: number;
    readonly counts: StatusCounts;
    readonly compliancePercent: number | null;
    readonly compliancePercentWithExceptions: number | null;
  }[];
}

export interface Pool {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly subscriptionId: string;
  readonly poolName: string;
  readonly nodeImageVersion: string | null;
  readonly latestNodeImageVersion: string | null;
  readonly imageAgeDays: number | null;
  readonly daysBehindLatest: number | null;
  readonly exposureDays: number | null;
  readonly slaDays: number;
  readonly status: PoolStatus;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface Snapshot {
  readonly id: number;
  readonly status: 'running' | 'succeeded' | 'partial' | 'failed';
  readonly trigger: string;
  readonly scope: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly clusterCount: number | null;
  readonly poolCount: number | null;
}

export interface Me {
  readonly actor: string;
  readonly role: string;
  readonly via: string;
  /** Set when the service runs `imagewarden demo`: everything it shows is demo data. */
  readonly demo?: boolean;
  /** The longest an exception may run from its approval, in days (IMAGEWARDEN_MAX_EXCEPTION_DAYS). */
  readonly maxExceptionDays?: number;
}

/** GET /api/v1/pools/{id}/history items: the pool where one of its image fields changed, newest first. */
export interface PoolHistoryEntry {
  readonly observedAt: string;
  readonly snapshotId: number;
  readonly change: 'appeared' | 'changed' | 'deleted';
  readonly changedFields: readonly ('nodeImageVersion' | 'latestNodeImageVersion' | 'kubernetesVersion' | 'nodeCount')[];
  readonly nodeImageVersion: string | null;
  readonly latestNodeImageVersion: string | null;
  readonly kubernetesVersion: string | null;
  readonly nodeCount: number | null;
  readonly imageFamily: string | null;
  /** Its status at `observedAt` (null when deleted). */
  readonly status: PoolStatus | null;
}

export type FindingKind = 'sla_breach' | 'coverage_gap' | 'node_mismatch';
export type FindingState = 'open' | 'risk_accepted' | 'remediated' | 'retired';

/** A finding as GET /api/v1/findings answers. */
export interface Finding {
  readonly id: string;
  readonly kind: FindingKind;
  readonly state: FindingState;
  readonly clusterId: string | null;
  readonly poolName: string | null;
  readonly subscriptionId: string | null;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly timeToRemediateHours: number | null;
  readonly exceptionId: string | null;
  readonly detail: Record<string, unknown>;
}
