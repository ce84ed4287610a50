import type { Db } from './database.js';

export type NodeCheckTrigger = 'schedule' | 'api' | 'cli';
export type NodeCheckStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type NodeCheckVerdict = 'match' | 'mismatch' | 'no_nodes' | 'skipped' | 'unreachable';

export interface NodeCheck {
  readonly id: number;
  readonly trigger: NodeCheckTrigger;
  readonly requestedBy: string;
  readonly status: NodeCheckStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly clusters: number;
  readonly unreachable: number;
  readonly mismatches: number;
  readonly error: string | null;
}

export interface NodeCheckResult {
  readonly clusterId: string;
  readonly subscriptionId: string;
  /** Null for a cluster-level outcome (its API server could not be read). */
  readonly poolName: string | null;
  readonly verdict: NodeCheckVerdict;
  readonly poolVersion: string | null;
  readonly nodeVersions: Readonly<Record<string, number>>;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

/** A result with the check it belongs to, for deriving findings over time. */
export interface TimedNodeCheckResult extends NodeCheckResult {
  readonly checkId: number;
  readonly clusterKey: string;
  readonly finishedAt: string;
}

interface CheckRow {
  id: number;
  trigger: NodeCheckTrigger;
  requested_by: string;
  status: NodeCheckStatus;
  started_at: string;
  finished_at: string | null;
  clusters: number;
  unreachable: number;
  mismatches: number;
  error: string | null;
}

interface ResultRow {
  check_id: number;
  cluster_key: string;
  cluster_id: string;
  subscription_id: string;
  pool_name: string;
  verdict: NodeCheckVerdict;
  pool_version: string | null;
  node_versions: string;
  detail: string | null;
  finished_at: string;
}

const toCheck = (row: CheckRow): NodeCheck => ({
  id: row.id,
  trigger: row.trigger,
  requestedBy: row.requested_by,
  status: row.status,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  clusters: row.clusters,
  unreachable: row.unreachable,
  mismatches: row.mismatches,
  error: row.error,
});

const toResult = (row: ResultRow): TimedNodeCheckResult => ({
  checkId: row.check_id,
  clusterKey: row.cluster_key,
  finishedAt: row.finished_at,
  clusterId: row.cluster_id,
  subscriptionId: row.subscription_id,
  poolName: row.pool_name === '' ? null : row.pool_name,
  verdict: row.verdict,
  poolVersion: row.pool_version,
  nodeVersions: JSON.parse(row.node_versions) as Record<string, number>,
  detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
});

export type NodeCheckRepository = ReturnType<typeof createNodeCheckRepository>;

export function createNodeCheckRepository(db: Db) {
  const statements = {
    insert: db.prepare(`INSERT INTO node_checks (trigger, requested_by, owner, status, started_at) VALUES (@trigger, @requestedBy, @owner, 'running', @startedAt)`),
    running: db.prepare(`SELECT * FROM node_checks WHERE status = 'running'`),
    get: db.prepare('SELECT * FROM node_checks WHERE id = ?'),
    list: db.prepare('SELECT * FROM node_checks WHERE id < @before ORDER BY id DESC LIMIT @limit'),
    finish: db.prepare(
      `UPDATE node_checks SET status = @status, finished_at = @finishedAt, clusters = @clusters, unreachable = @unreachable, mismatches = @mismatches, error = @error
       WHERE id = @id AND status = 'running'`,
    ),
    addResult: db.prepare(
      `INSERT INTO node_check_results (check_id, cluster_key, cluster_id, subscription_id, pool_name, verdict, pool_version, node_versions, detail)
       VALUES (@checkId, @clusterKey, @clusterId, @subscriptionId, @poolName, @verdict, @poolVersion, @nodeVersions, @detail)`,
    ),
    results: db.prepare(
      `SELECT r.*, c.finished_at FROM node_check_results r JOIN node_checks c ON c.id = r.check_id WHERE r.check_id = ? ORDER BY r.cluster_key, r.pool_name`,
    ),
    // Findings need the history of the few clusters that ever disagreed, not every result ever recorded.
    clustersWithMismatch: db.prepare(
      `SELECT DISTINCT r.cluster_key AS key FROM node_check_results r JOIN node_checks c ON c.id = r.check_id
       WHERE r.verdict = 'mismatch' AND c.status IN ('succeeded', 'partial') AND c.finished_at <= ?`,
    ),
    resultsOfCluster: db.prepare(
      `SELECT r.*, c.finished_at FROM node_check_results r JOIN node_checks c ON c.id = r.check_id
       WHERE r.cluster_key = ? AND c.status IN ('succeeded', 'partial') AND c.finished_at <= ? ORDER BY r.check_id, r.pool_name`,
    ),
    completedUpTo: db.prepare(`SELECT id, finished_at AS finishedAt FROM node_checks WHERE status IN ('succeeded', 'partial') AND finished_at <= ? ORDER BY id`),
    inWindow: db.prepare(`SELECT * FROM node_checks WHERE finished_at >= @from AND finished_at < @to AND status != 'running' ORDER BY id`),
    poolResults: db.prepare(`SELECT count(*) AS n FROM node_check_results WHERE check_id = ? AND pool_name != ''`),
    unreachableInWindow: db.prepare(
      `SELECT r.cluster_id AS clusterId, count(*) AS checks, max(r.check_id) AS lastCheck FROM node_check_results r JOIN node_checks c ON c.id = r.check_id
       WHERE r.verdict = 'unreachable' AND c.finished_at >= @from AND c.finished_at < @to GROUP BY r.cluster_key ORDER BY r.cluster_key`,
    ),
    resultDetail: db.prepare(`SELECT detail FROM node_check_results WHERE check_id = ? AND cluster_key = ? AND pool_name = ''`),
  };
  return {
    /** Starts a check unless one is running (then returns that one, `started: false`). */
    start(input: { trigger: NodeCheckTrigger; requestedBy: string; owner: string; startedAt: string }): { check: NodeCheck; started: boolean } {
      const running = statements.running.get() as CheckRow | undefined;
      if (running) return { check: toCheck(running), started: false };
      const { lastInsertRowid } = statements.insert.run(input);
      return { check: toCheck(statements.get.get(Number(lastInsertRowid)) as CheckRow), started: true };
    },
    running: (): (NodeCheck & { owner: string }) | null => {
      const row = statements.running.get() as (CheckRow & { owner: string }) | undefined;
      return row ? { ...toCheck(row), owner: row.owner } : null;
    },
    get: (id: number): NodeCheck | null => {
      const row = statements.get.get(id) as CheckRow | undefined;
      return row ? toCheck(row) : null;
    },
    list: (before: number | null, limit: number): NodeCheck[] => (statements.list.all({ before: before ?? Number.MAX_SAFE_INTEGER, limit }) as CheckRow[]).map(toCheck),
    addResults(checkId: number, results: readonly NodeCheckResult[]): void {
      for (const result of results) {
        statements.addResult.run({
          checkId,
          clusterKey: result.clusterId.toLowerCase(),
          clusterId: result.clusterId,
          subscriptionId: result.subscriptionId.toLowerCase(),
          poolName: result.poolName ?? '',
          verdict: result.verdict,
          poolVersion: result.poolVersion,
          nodeVersions: JSON.stringify(result.nodeVersions),
          detail: result.detail === null ? null : JSON.stringify(result.detail),
        });
      }
    },
    finish(id: number, outcome: Omit<NodeCheck, 'id' | 'trigger' | 'requestedBy' | 'startedAt'> & { finishedAt: string }): boolean {
      return statements.finish.run({ id, ...outcome }).changes === 1;
    },
    results: (checkId: number): TimedNodeCheckResult[] => (statements.results.all(checkId) as ResultRow[]).map(toResult),
    /** Clusters with a pool whose nodes disagreed with ARM in a check completed by `at`. */
    clustersWithMismatch: (at: string): string[] => (statements.clustersWithMismatch.all(at) as { key: string }[]).map((row) => row.key),
    /** Every result for one cluster from checks completed by `at`, in check order. */
    resultsOfCluster: (clusterKey: string, at: string): TimedNodeCheckResult[] => (statements.resultsOfCluster.all(clusterKey, at) as ResultRow[]).map(toResult),
    /** What the cross-check did in [from, to): runs by outcome, the last one's size, the clusters it could not read. */
    summary(from: string, to: string) {
      const checks = (statements.inWindow.all({ from, to }) as CheckRow[]).map(toCheck);
      const completed = checks.filter((check) => check.status !== 'failed');
      const last = completed.at(-1);
      const unreachable = (statements.unreachableInWindow.all({ from, to }) as { clusterId: string; checks: number; lastCheck: number }[]).map((row) => {
        const detail = statements.resultDetail.get(row.lastCheck, row.clusterId.toLowerCase()) as { detail: string | null } | undefined;
        const error = detail?.detail ? ((JSON.parse(detail.detail) as { error?: string }).error ?? null) : null;
        return { clusterId: row.clusterId, checks: row.checks, lastError: error };
      });
      return {
        ran: checks.length,
        succeeded: checks.filter((c) => c.status === 'succeeded').length,
        partial: checks.filter((c) => c.status === 'partial').length,
        failed: checks.filter((c) => c.status === 'failed').length,
        lastFinishedAt: last?.finishedAt ?? null,
        poolsCompared: last === undefined ? 0 : (statements.poolResults.get(last.id) as { n: number }).n,
        unreachable,
      };
    },
    completedUpTo: (at: string): { id: number; finishedAt: string }[] => statements.completedUpTo.all(at) as { id: number; finishedAt: string }[],
  };
}
