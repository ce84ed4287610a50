import { exceptionInForce, type ExceptionRecord } from '../domain/exceptions.js';
import {
  hoursBetween,
  remediationStatistics,
  slaBreachEpisodes,
  type Episode,
  type FindingKind,
  type FindingState,
  type ImageRun,
} from '../domain/findings.js';
import type { ClusterObservation, PoolObservation } from '../domain/inventory.js';
import { selectorMatches, type Policy, type PoolIdentity, type Selector } from '../domain/policy.js';
import { sha256Hex } from '../lib/canonical-json.js';
import type { Db } from '../store/database.js';
import type { SnapshotRepository } from '../store/snapshot-repository.js';
import { coverageGaps } from './coverage-gaps.js';
import { identityOf, loadObservationHistory, type ObservationHistory } from './observation-history.js';

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
}

interface IntervalRow {
  validFrom: number;
  validTo: number | null;
  imageSince: number | null;
  clusterKey: string;
  data: string;
}

export type FindingsService = ReturnType<typeof createFindingsService>;

/**
 * Findings are derived from the stored observations, the policy and the exception history, evaluated at a moment
 * `at`: the same inputs always give the same findings, with the same ids, and nothing is stored twice.
 */
export function createFindingsService(deps: FindingsDeps) {
  const intervalsOf = deps.db.prepare(
    `SELECT valid_from AS validFrom, valid_to AS validTo, image_since AS imageSince, cluster_key AS clusterKey, data
     FROM pool_states WHERE pool_key = ? AND valid_from <= ? ORDER BY valid_from`,
  );
  const clusterAt = deps.db.prepare(
    `SELECT data FROM cluster_states WHERE cluster_key = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)`,
  );

  function context(at: Date) {
    const atIso = at.toISOString();
    const snapshot = deps.snapshots.latestCommittedAt(atIso);
    const exceptions = deps.exceptions.all();
    const history = snapshot === null ? null : loadObservationHistory({ db: deps.db, policyAt: deps.policyAt, exceptions }, snapshot.id);
    return { atIso, snapshotId: snapshot?.id ?? null, exceptions, history };
  }

  /** The pool's image runs up to snapshot `upTo`, each with its drift when first seen and at its last moment. */
  function runsOf(
    poolKey: string,
    upTo: number,
    history: ObservationHistory,
    atIso: string,
  ): { runs: ImageRun[]; last: { pool: PoolObservation; cluster: ClusterObservation | null } } | null {
    const intervals = intervalsOf.all(poolKey, upTo) as IntervalRow[];
    if (intervals.length === 0) return null;
    const cluster = (key: string, snapshotId: number) => {
      const row = clusterAt.get(key, snapshotId, snapshotId) as { data: string } | undefined;
      return row ? (JSON.parse(row.data) as ClusterObservation) : null;
    };
    const runs: ImageRun[] = [];
    let lastCluster: ClusterObservation | null = null;
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
      const firstPool = JSON.parse(first.data) as PoolObservation;
      const lastPool = JSON.parse(last.data) as PoolObservation;
      lastCluster = cluster(last.clusterKey, lastSeen);
      runs.push({
        runId,
        image: firstPool.nodeImageVersion,
        startedAt,
        endedAt,
        endedBy: !ended ? null : next !== undefined && next.validFrom === last.validTo ? 'image_change' : 'deleted',
        atStart: history.driftAt(firstPool, cluster(first.clusterKey, first.validFrom), startedAt, first.validFrom, history.timeOf(first.validFrom)!),
        atEnd: history.driftAt(lastPool, lastCluster, startedAt, lastSeen, endedAt === null ? atIso : new Date(Date.parse(endedAt) - 1).toISOString()),
      });
      i = j + 1;
    }
    return { runs, last: { pool: JSON.parse(intervals.at(-1)!.data) as PoolObservation, cluster: lastCluster } };
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
  function poolFindings(poolKey: string, ctx: ReturnType<typeof context>, scope: Selector | null): Finding[] {
    if (ctx.history === null || ctx.snapshotId === null) return [];
    const derived = runsOf(poolKey, ctx.snapshotId, ctx.history, ctx.atIso);
    if (derived === null) return [];
    const identity = identityOf(derived.last.pool, derived.last.cluster?.tags ?? {});
    if (scope !== null && !selectorMatches(scope, identity)) return [];
    return slaBreachEpisodes(derived.runs, ctx.atIso).map((episode) => toFinding(poolKey, identity, episode, ctx.exceptions, ctx.atIso));
  }

  return {
    /** The service clock (findings are evaluated at now unless asked for another moment). */
    now: deps.now,

    /** Every finding as it stands at `at` (default now), newest first. */
    all(at: Date = deps.now(), scope: Selector | null = null): Finding[] {
      const ctx = context(at);
      if (ctx.snapshotId === null) return [];
      const keys = deps.db.prepare('SELECT DISTINCT pool_key AS key FROM pool_states WHERE valid_from <= ?').all(ctx.snapshotId) as { key: string }[];
      const findings = keys.flatMap(({ key }) => poolFindings(key, ctx, scope));
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
      return findings.sort((a, b) => (a.openedAt === b.openedAt ? a.id.localeCompare(b.id) : a.openedAt < b.openedAt ? 1 : -1));
    },

    /** The open sla_breach finding of each pool at `at`, where it has one (the pools' `findingId`). */
    openFindingIds(poolKeys: readonly string[], at: Date): Map<string, string> {
      const ids = new Map<string, string>();
      if (poolKeys.length === 0) return ids;
      const ctx = context(at);
      for (const key of poolKeys) {
        const open = poolFindings(key, ctx, null).find((finding) => finding.closedAt === null);
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
