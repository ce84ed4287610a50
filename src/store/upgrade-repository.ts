import type { Precheck, RunStatus, UpgradePoolStatus } from '../domain/upgrade.js';
import type { Db } from './database.js';

export interface UpgradePoolRecord {
  readonly position: number;
  readonly poolName: string;
  readonly status: UpgradePoolStatus;
  readonly imageBefore: string | null;
  readonly targetImage: string | null;
  readonly imageAfter: string | null;
  readonly kubernetesVersionBefore: string | null;
  readonly kubernetesVersionAfter: string | null;
  readonly operationId: string | null;
  readonly pollerState: string | null;
  readonly submittedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: { code: string; message: string } | null;
}

export interface UpgradeRunRecord {
  readonly id: string;
  readonly clusterKey: string;
  readonly clusterId: string;
  readonly subscriptionId: string;
  readonly status: RunStatus;
  readonly requestedBy: string;
  readonly approvedBy: string | null;
  readonly reason: string;
  readonly changeTicket: string | null;
  readonly overrideWindow: string | null;
  readonly overrideBlocks: string | null;
  readonly approvalExpiresAt: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly prechecks: Precheck[];
  readonly error: { code: string; message: string } | null;
  readonly owner: string | null;
  readonly abortRequestedBy: string | null;
  readonly pools: UpgradePoolRecord[];
}

const RUN_COLUMNS = `id, cluster_key AS clusterKey, cluster_id AS clusterId, subscription_id AS subscriptionId, status, requested_by AS requestedBy,
  approved_by AS approvedBy, reason, change_ticket AS changeTicket, override_window AS overrideWindow, override_blocks AS overrideBlocks,
  approval_expires_at AS approvalExpiresAt, created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt, prechecks, error, owner,
  abort_requested_by AS abortRequestedBy`;
const POOL_COLUMNS = `position, pool_name AS poolName, status, image_before AS imageBefore, target_image AS targetImage, image_after AS imageAfter,
  kubernetes_version_before AS kubernetesVersionBefore, kubernetes_version_after AS kubernetesVersionAfter, operation_id AS operationId,
  poller_state AS pollerState, submitted_at AS submittedAt, finished_at AS finishedAt, error`;

type RunRow = Omit<UpgradeRunRecord, 'prechecks' | 'error' | 'pools'> & { prechecks: string; error: string | null };
type PoolRow = Omit<UpgradePoolRecord, 'error'> & { error: string | null };

const POOL_FIELDS: Record<string, string> = {
  status: 'status',
  imageAfter: 'image_after',
  kubernetesVersionAfter: 'kubernetes_version_after',
  operationId: 'operation_id',
  pollerState: 'poller_state',
  submittedAt: 'submitted_at',
  finishedAt: 'finished_at',
  error: 'error',
};
const RUN_FIELDS: Record<string, string> = {
  status: 'status',
  approvedBy: 'approved_by',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  error: 'error',
  owner: 'owner',
  abortRequestedBy: 'abort_requested_by',
};

export type UpgradeRepository = ReturnType<typeof createUpgradeRepository>;

/** The runner's working state: runs and their pools. Every change to it is made with its ledger entry, by the caller. */
export function createUpgradeRepository(db: Db) {
  const runById = db.prepare(`SELECT ${RUN_COLUMNS} FROM upgrade_runs WHERE id = ?`);
  const poolsOf = db.prepare(`SELECT ${POOL_COLUMNS} FROM upgrade_pools WHERE run_id = ? ORDER BY position`);
  const toRun = (row: RunRow): UpgradeRunRecord => ({
    ...row,
    prechecks: JSON.parse(row.prechecks) as Precheck[],
    error: row.error === null ? null : (JSON.parse(row.error) as { code: string; message: string }),
    pools: (poolsOf.all(row.id) as PoolRow[]).map((pool) => ({ ...pool, error: pool.error === null ? null : (JSON.parse(pool.error) as { code: string; message: string }) })),
  });
  const encode = (value: unknown) => (value !== null && typeof value === 'object' ? JSON.stringify(value) : value);

  return {
    get(id: string): UpgradeRunRecord | null {
      const row = runById.get(id) as RunRow | undefined;
      return row ? toRun(row) : null;
    },
    activeFor(clusterKey: string): UpgradeRunRecord | null {
      const row = db.prepare(`SELECT ${RUN_COLUMNS} FROM upgrade_runs WHERE cluster_key = ? AND status IN ('pending_approval', 'queued', 'running')`).get(clusterKey) as RunRow | undefined;
      return row ? toRun(row) : null;
    },
    /** Runs a runner must drive: queued or running. */
    unfinished(): UpgradeRunRecord[] {
      return (db.prepare(`SELECT ${RUN_COLUMNS} FROM upgrade_runs WHERE status IN ('queued', 'running') ORDER BY created_at`).all() as RunRow[]).map(toRun);
    },
    pendingApproval(): UpgradeRunRecord[] {
      return (db.prepare(`SELECT ${RUN_COLUMNS} FROM upgrade_runs WHERE status = 'pending_approval'`).all() as RunRow[]).map(toRun);
    },
    list(after: { createdAt: string; id: string } | null, limit: number, filter: { clusterKey?: string; status?: RunStatus; from?: string; to?: string } = {}): UpgradeRunRecord[] {
      return (
        db
          .prepare(
            `SELECT ${RUN_COLUMNS} FROM upgrade_runs
             WHERE (@at IS NULL OR (created_at, id) < (@at, @id)) AND (@cluster IS NULL OR cluster_key = @cluster) AND (@status IS NULL OR status = @status)
               AND (@from IS NULL OR coalesce(finished_at, created_at) >= @from) AND (@to IS NULL OR created_at < @to)
             ORDER BY created_at DESC, id DESC LIMIT @limit`,
          )
          .all({ at: after?.createdAt ?? null, id: after?.id ?? null, cluster: filter.clusterKey ?? null, status: filter.status ?? null, from: filter.from ?? null, to: filter.to ?? null, limit }) as RunRow[]
      ).map(toRun);
    },
    insert(run: Omit<UpgradeRunRecord, 'pools' | 'approvedBy' | 'startedAt' | 'finishedAt' | 'owner' | 'abortRequestedBy'>, pools: readonly Pick<UpgradePoolRecord, 'poolName' | 'status' | 'imageBefore' | 'targetImage' | 'kubernetesVersionBefore'>[]): void {
      db.prepare(
        `INSERT INTO upgrade_runs (id, cluster_key, cluster_id, subscription_id, status, requested_by, reason, change_ticket, override_window, override_blocks,
           approval_expires_at, created_at, prechecks, error)
         VALUES (@id, @clusterKey, @clusterId, @subscriptionId, @status, @requestedBy, @reason, @changeTicket, @overrideWindow, @overrideBlocks,
           @approvalExpiresAt, @createdAt, @prechecks, @error)`,
      ).run({ ...run, prechecks: JSON.stringify(run.prechecks), error: run.error === null ? null : JSON.stringify(run.error) });
      const insertPool = db.prepare(
        `INSERT INTO upgrade_pools (run_id, position, pool_name, status, image_before, target_image, kubernetes_version_before) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      pools.forEach((pool, position) => insertPool.run(run.id, position, pool.poolName, pool.status, pool.imageBefore, pool.targetImage, pool.kubernetesVersionBefore));
    },
    updateRun(id: string, changes: Partial<Pick<UpgradeRunRecord, 'status' | 'approvedBy' | 'startedAt' | 'finishedAt' | 'error' | 'owner' | 'abortRequestedBy'>>): void {
      const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return;
      db.prepare(`UPDATE upgrade_runs SET ${entries.map(([key]) => `${RUN_FIELDS[key]} = @${key}`).join(', ')} WHERE id = @id`).run({ id, ...Object.fromEntries(entries.map(([k, v]) => [k, encode(v)])) });
    },
    updatePool(id: string, position: number, changes: Partial<Omit<UpgradePoolRecord, 'position' | 'poolName' | 'imageBefore' | 'targetImage' | 'kubernetesVersionBefore'>>): void {
      const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return;
      db.prepare(`UPDATE upgrade_pools SET ${entries.map(([key]) => `${POOL_FIELDS[key]} = @${key}`).join(', ')} WHERE run_id = @id AND position = @position`).run({
        id,
        position,
        ...Object.fromEntries(entries.map(([k, v]) => [k, encode(v)])),
      });
    },
    idempotencyRecord(principal: string, key: string): { requestSha256: string; statusCode: number; response: unknown } | null {
      const row = db.prepare('SELECT request_sha256 AS requestSha256, status_code AS statusCode, response FROM idempotency_keys WHERE principal = ? AND key = ?').get(principal, key) as
        | { requestSha256: string; statusCode: number; response: string }
        | undefined;
      return row ? { ...row, response: JSON.parse(row.response) as unknown } : null;
    },
    recordIdempotency(principal: string, key: string, requestSha256: string, statusCode: number, response: unknown, at: string): void {
      db.prepare('INSERT INTO idempotency_keys (principal, key, request_sha256, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(principal, key, requestSha256, statusCode, JSON.stringify(response), at);
    },
  };
}
