import { exceptionInForce, type ExceptionRecord } from '../domain/exceptions.js';
import {
  hoursBetween,
  remediationStatistics,
  nodeMismatchEpisodes,
  slaBreachEpisodes,
  type Episode,
  type NodeCheckObservation,
  type FindingKind,
  type FindingState,
  type ImageRun,
} from '../domain/findings.js';
import { parseClusterId, withClusterFields, type ClusterObservation, type PoolObservation, type StoredPoolObservation } from '../domain/inventory.js';
import { selectorMatches, type Policy, type PoolIdentity, type Selector } from '../domain/policy.js';
import { sha256Hex } from '../lib/canonical-json.js';
import type { Db } from '../store/database.js';
import type { NodeCheckRepository } from '../store/node-check-repository.js';
import type { SnapshotRepository } from '../store/snapshot-repository.js';
import { coverageGaps } from './coverage-gaps.js';
import { identityOf, type createObservationHistory, type ObservationHistory } from './observation-history.js';

export interface Finding {
  id: string;
  kind: FindingKind;
  state: FindingState;
  clusterId: string | null;
  poolName: string | null;
  subscriptionId: string | null;
  openedAt: string;
  closedAt: string | null;
  timeToRemediateHours: number | null;
  exceptionId: string | null;
  detail: Record<string, unknown>;
}

export interface FindingsDeps {
  readonly db: Db;
  readonly snapshots: Pick<SnapshotRepository, 'latestCommittedAt'>;
  readonly exceptions: { all(): ExceptionRecord[] };
  readonly policyAt: (at: string) => Policy;
  readonly schedule: string | null;
  readonly now: () => Date;
  readonly history: ReturnType<typeof createObservationHistory>;
  /** The node-level cross-check's results; absent, no node_mismatch findings are derived. */
  readonly nodeChecks?: Pick<NodeCheckRepository, 'completedUpTo' | 'clustersWithMismatch' | 'resultsOfCluster'>;
}

/** Evaluates `work` the first time it is asked, then answers from memory. */
function once<T>(work: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = work();
      done = true;
    }
    return value;
  };
}

interface IntervalRow {
  id: number;
  image: string | null;
  /** The stored pool fields: read with the interval when it reaches the window asked for, else on first use. */
  data?: string | null;
  parsed?: StoredPoolObservation;
  validFrom: number;
  validTo: number | null;
  imageSince: number | null;
  clusterKey: string;
}

export type FindingsService = ReturnType<typeof createFindingsService>;

/**
 * Findings are derived from the stored observations, the policy and the exception history, evaluated at a moment
 * `at`: the same inputs always give the same findings, with the same ids, and nothing is stored twice.
 */
export function createFindingsService(deps: FindingsDeps) {
  const intervalsOf = deps.db.prepare(
    `SELECT id, valid_from AS validFrom, valid_to AS validTo, image_since AS imageSince, cluster_key AS clusterKey, node_image_version AS image
     FROM pool_states WHERE pool_key = ? AND valid_from <= ? ORDER BY valid_from`,
  );
  // Keyset pages over every interval in (pool, time) order. (Statement iterators are avoided: see store/database.ts.)
  const intervalPage = deps.db.prepare(
    `SELECT id, pool_key AS key, valid_from AS validFrom, valid_to AS validTo, image_since AS imageSince, cluster_key AS clusterKey, node_image_version AS image,
            CASE WHEN valid_to IS NULL OR valid_to >= @recent THEN data END AS data
     FROM pool_states WHERE valid_from <= @upTo AND (pool_key, valid_from) > (@key, @from)
     ORDER BY pool_key, valid_from LIMIT 5000`,
  );
  const dataOf = deps.db.prepare('SELECT data FROM pool_states WHERE id = ?');
  const clusterRows = deps.db.prepare(
    `SELECT cluster_key AS key, valid_from AS validFrom, valid_to AS validTo, data FROM cluster_states WHERE valid_from <= ?`,
  );

  function context(at: Date) {
    const atIso = at.toISOString();
    const snapshot = deps.snapshots.latestCommittedAt(atIso);
    const exceptions = deps.exceptions.all();
    const history = snapshot === null ? null : deps.history({ policyAt: deps.policyAt, exceptions }, snapshot.id);
    return { atIso, snapshotId: snapshot?.id ?? null, exceptions, history, clusterAt: clusterIndex(snapshot?.id ?? 0) };
  }

  /** Every cluster interval up to snapshot `upTo`, parsed on first use: `(key, snapshot) → cluster as observed then`. */
  function clusterIndex(upTo: number) {
    const byKey = new Map<string, { validFrom: number; validTo: number | null; data: string; parsed?: ClusterObservation }[]>();
    for (const row of clusterRows.all(upTo) as { key: string; validFrom: number; validTo: number | null; data: string }[]) {
      byKey.set(row.key, [...(byKey.get(row.key) ?? []), row]);
    }
    return (key: string, snapshotId: number): ClusterObservation | null => {
      const row = byKey.get(key)?.find((r) => r.validFrom <= snapshotId && (r.validTo === null || r.validTo > snapshotId));
      if (!row) return null;
      row.parsed ??= JSON.parse(row.data) as ClusterObservation;
      return row.parsed;
    };
  }

  /** The pool's image runs up to snapshot `upTo`, each with its drift when first seen and at its last moment. */
  function runsOf(
    intervals: readonly IntervalRow[],
    upTo: number,
    ctx: ReturnType<typeof context> & { history: ObservationHistory },
  ): { runs: ImageRun[]; last: { pool: PoolObservation; cluster: ClusterObservation | null } } | null {
    const { history, atIso, clusterAt: cluster } = ctx;
    if (intervals.length === 0) return null;
    const runs: ImageRun[] = [];
    for (let i = 0; i < intervals.length; ) {
      const first = intervals[i]!;
      const runId = first.imageSince ?? first.validFrom;
      let j = i;
      // A run continues while each interval follows the previous without a gap and keeps the same image.
      while (j + 1 < intervals.length && (intervals[j + 1]!.imageSince ?? intervals[j + 1]!.validFrom) === runId && intervals[j + 1]!.validFrom === intervals[j]!.validTo) j++;
      const last = intervals[j]!;
      const ended = last.validTo !== null && last.validTo <= upTo;
      const next = intervals[j + 1];
      const endedAt = ended ? history.timeOf(last.validTo!) : null;
      const lastSeen = ended ? (history.previous(last.validTo!) ?? last.validFrom) : upTo;
      const startedAt = history.timeOf(runId) ?? history.timeOf(first.validFrom)!;
      const pool = (interval: IntervalRow, snapshotId: number) => {
        const observed = cluster(interval.clusterKey, snapshotId);
        // A pool is always observed with its cluster; a missing one would be a broken store.
        if (observed === null) throw new Error(`no cluster row for ${interval.clusterKey} at snapshot ${snapshotId}`);
        // The stored fields are read only for the intervals a derivation evaluates.
        interval.parsed ??= JSON.parse(interval.data ?? (dataOf.get(interval.id) as { data: string }).data) as StoredPoolObservation;
        return { pool: withClusterFields(interval.parsed, observed), cluster: observed };
      };
      runs.push({
        runId,
        image: first.image,
        startedAt,
        endedAt,
        endedBy: !ended ? null : next !== undefined && next.validFrom === last.validTo ? 'image_change' : 'deleted',
        atStart: once(() => {
          const observed = pool(first, first.validFrom);
          return history.driftAt(observed.pool, observed.cluster, startedAt, first.validFrom, history.timeOf(first.validFrom)!);
        }),
        atEnd: once(() => {
          const observed = pool(last, lastSeen);
          return history.driftAt(observed.pool, observed.cluster, startedAt, lastSeen, endedAt === null ? atIso : new Date(Date.parse(endedAt) - 1).toISOString());
        }),
      });
      i = j + 1;
    }
    const final = intervals.at(-1)!;
    const lastSeen = final.validTo !== null && final.validTo <= upTo ? (history.previous(final.validTo) ?? final.validFrom) : upTo;
    const finalCluster = cluster(final.clusterKey, lastSeen);
    if (finalCluster === null) return null;
    final.parsed ??= JSON.parse(final.data ?? (dataOf.get(final.id) as { data: string }).data) as StoredPoolObservation;
    return { runs, last: { pool: withClusterFields(final.parsed, finalCluster), cluster: finalCluster } };
  }

  function toFinding(poolKey: string, identity: PoolIdentity, episode: Episode, exceptions: ExceptionRecord[], atIso: string): Finding {
    const exceptionId = episode.closedAt === null ? exceptionInForce(exceptions, identity, atIso) : null;
    return {
      id: findingId('sla_breach', poolKey, episode.firstRunId),
      kind: 'sla_breach',
      state: episode.resolution ?? (exceptionId !== null ? 'risk_accepted' : 'open'),
      clusterId: identity.clusterId,
      poolName: identity.poolName,
      subscriptionId: identity.subscriptionId,
      openedAt: episode.openedAt,
      closedAt: episode.closedAt,
      timeToRemediateHours: episode.resolution === 'remediated' ? hoursBetween(episode.openedAt, episode.closedAt!) : null,
      exceptionId,
      detail: {
        imageAtOpen: episode.imageAtOpen,
        imageAtClose: episode.imageAtClose,
        supersededAt: episode.supersededAt,
        policyRule: episode.policyRule,
        slaDays: episode.slaDays,
      },
    };
  }

  /** A pool's sla_breach findings, unless it lies outside `scope` (judged by its last observation). */
  function poolFindings(poolKey: string, intervals: readonly IntervalRow[], ctx: ReturnType<typeof context>, scope: Selector | null, from?: string): Finding[] {
    if (ctx.history === null || ctx.snapshotId === null) return [];
    const derived = runsOf(intervals, ctx.snapshotId, { ...ctx, history: ctx.history });
    if (derived === null) return [];
    const identity = identityOf(derived.last.pool, derived.last.cluster?.tags ?? {});
    if (scope !== null && !selectorMatches(scope, identity)) return [];
    return slaBreachEpisodes(derived.runs, ctx.atIso, from).map((episode) => toFinding(poolKey, identity, episode, ctx.exceptions, ctx.atIso));
  }

  /**
   * node_mismatch findings (CONTRACT.md): derived from the cross-check results of the clusters that ever disagreed.
   * A pool is judged by each completed check in turn: its own result, or `unreachable` when the check could not read
   * the cluster, or `absent` when the check no longer found it (deleted).
   */
  function nodeMismatchFindings(atIso: string, exceptions: ExceptionRecord[], scope: Selector | null): Finding[] {
    if (deps.nodeChecks === undefined) return [];
    const checks = deps.nodeChecks.completedUpTo(atIso);
    const findings: Finding[] = [];
    for (const clusterKey of deps.nodeChecks.clustersWithMismatch(atIso)) {
      const rows = deps.nodeChecks.resultsOfCluster(clusterKey, atIso);
      const byCheck = new Map<number, typeof rows>();
      for (const row of rows) {
        const ofCheck = byCheck.get(row.checkId);
        if (ofCheck) ofCheck.push(row);
        else byCheck.set(row.checkId, [row]);
      }
      const mismatched = [...new Set(rows.filter((row) => row.verdict === 'mismatch').map((row) => row.poolName!))];
      for (const poolName of mismatched) {
        const first = rows.find((row) => row.poolName === poolName && row.verdict === 'mismatch')!;
        const observations: NodeCheckObservation[] = checks
          .filter((check) => check.id >= first.checkId)
          .map((check) => {
            const ofCheck = byCheck.get(check.id) ?? [];
            const own = ofCheck.find((row) => row.poolName === poolName);
            const verdict = own?.verdict ?? (ofCheck.some((row) => row.poolName === null && row.verdict === 'unreachable') ? 'unreachable' : 'absent');
            return { checkId: check.id, at: check.finishedAt, verdict, poolVersion: own?.poolVersion ?? null, nodeVersions: own?.nodeVersions ?? {} };
          });
        const cluster = parseClusterId(first.clusterId);
        // Judged by what the check knows of the pool: its ids (cluster and pool tags are not part of its results).
        const identity: PoolIdentity = { subscriptionId: first.subscriptionId, resourceGroup: cluster?.resourceGroup ?? '', clusterId: first.clusterId, clusterName: cluster?.name ?? '', poolName, mode: null, clusterTags: {}, poolTags: {} };
        if (scope !== null && !selectorMatches(scope, identity)) continue;
        for (const episode of nodeMismatchEpisodes(observations)) {
          const exceptionId = episode.closedAt === null ? exceptionInForce(exceptions, identity, atIso) : null;
          findings.push({
            id: findingId('node_mismatch', `${clusterKey}/agentpools/${poolName.toLowerCase()}`, episode.firstCheckId),
            kind: 'node_mismatch',
            state: episode.resolution ?? (exceptionId !== null ? 'risk_accepted' : 'open'),
            clusterId: first.clusterId,
            poolName,
            subscriptionId: first.subscriptionId,
            openedAt: episode.openedAt,
            closedAt: episode.closedAt,
            timeToRemediateHours: episode.resolution === 'remediated' ? hoursBetween(episode.openedAt, episode.closedAt!) : null,
            exceptionId,
            detail: { poolVersion: episode.poolVersion, nodeVersionsAtOpen: episode.nodeVersionsAtOpen, nodeVersionsAtClose: episode.nodeVersionsAtClose, firstCheckId: episode.firstCheckId },
          });
        }
      }
    }
    return findings;
  }

  return {
    /** The service clock (findings are evaluated at now unless asked for another moment). */
    now: deps.now,

    /**
     * Every finding as it stands at `at` (default now), newest first. With `from`, only episodes that reach it or
     * later are derived (earlier ones may be left out).
     */
    all(at: Date = deps.now(), scope: Selector | null = null, from?: string): Finding[] {
      const ctx = context(at);
      if (ctx.snapshotId === null) return [];
      const findings: Finding[] = [];
      // Intervals still valid at `from` are evaluated almost surely: their stored fields come with the bulk read.
      const recent = from === undefined ? 0 : (deps.snapshots.latestCommittedAt(from)?.id ?? 0);
      // One ordered read of every interval, grouped by pool as it streams.
      let key: string | null = null;
      let intervals: IntervalRow[] = [];
      for (let after = { key: '', from: 0 }; ; ) {
        const page = intervalPage.all({ upTo: ctx.snapshotId, recent, ...after }) as (IntervalRow & { key: string })[];
        for (const row of page) {
          if (row.key !== key) {
            if (key !== null) findings.push(...poolFindings(key, intervals, ctx, scope, from));
            key = row.key;
            intervals = [];
          }
          intervals.push(row);
        }
        if (page.length < 5000) break;
        after = { key: page.at(-1)!.key, from: page.at(-1)!.validFrom };
      }
      if (key !== null) findings.push(...poolFindings(key, intervals, ctx, scope, from));
      for (const gap of coverageGaps(deps.db, { upTo: ctx.atIso, schedule: deps.schedule })) {
        // Subscription-level gaps belong to a scope that names their subscription (or names none); schedule gaps to all.
        if (scope?.subscriptions && !scope.subscriptions.some((s) => s.toLowerCase() === gap.subscriptionId)) continue;
        findings.push({
          id: findingId('coverage_gap', gap.key, 0),
          kind: 'coverage_gap',
          state: gap.closedAt === null ? 'open' : 'remediated',
          clusterId: null,
          poolName: null,
          subscriptionId: gap.subscriptionId,
          openedAt: gap.openedAt,
          closedAt: gap.closedAt,
          timeToRemediateHours: gap.closedAt === null ? null : hoursBetween(gap.openedAt, gap.closedAt),
          exceptionId: null,
          detail: gap.detail,
        });
      }
      findings.push(...nodeMismatchFindings(ctx.atIso, ctx.exceptions, scope));
      return findings.sort((a, b) => (a.openedAt === b.openedAt ? a.id.localeCompare(b.id) : a.openedAt < b.openedAt ? 1 : -1));
    },

    /** The open sla_breach finding of each pool at `at`, where it has one (the pools' `findingId`). */
    openFindingIds(poolKeys: readonly string[], at: Date): Map<string, string> {
      const ids = new Map<string, string>();
      if (poolKeys.length === 0) return ids;
      const ctx = context(at);
      for (const key of poolKeys) {
        if (ctx.snapshotId === null) break;
        const intervals = intervalsOf.all(key, ctx.snapshotId) as IntervalRow[];
        const open = poolFindings(key, intervals, ctx, null).find((finding) => finding.closedAt === null);
        if (open) ids.set(key, open.id);
      }
      return ids;
    },
  };
}

/** Stable ids: the same episode always has the same id, whenever it is derived. */
function findingId(kind: FindingKind, key: string, run: number): string {
  return `fnd_${sha256Hex(`${kind}|${key}|${run}`).slice(0, 24)}`;
}

export function summariseRemediation(findings: readonly Finding[]) {
  const remediated = findings.filter((f) => f.state === 'remediated' && f.timeToRemediateHours !== null);
  const { mean, p90 } = remediationStatistics(remediated.map((f) => f.timeToRemediateHours!));
  return {
    total: findings.length,
    slaBreaches: findings.filter((f) => f.kind === 'sla_breach').length,
    open: findings.filter((f) => f.state === 'open').length,
    riskAccepted: findings.filter((f) => f.state === 'risk_accepted').length,
    remediated: remediated.length,
    retired: findings.filter((f) => f.state === 'retired').length,
    meanTimeToRemediateHours: mean,
    p90TimeToRemediateHours: p90,
  };
}
