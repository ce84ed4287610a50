import type { Drift } from './drift.js';

export type FindingKind = 'sla_breach' | 'coverage_gap' | 'node_mismatch';
export type FindingState = 'open' | 'risk_accepted' | 'remediated' | 'retired';

/** One stretch of time a pool ran one image: from the snapshot that first saw it to the one that saw it change or go. */
export interface ImageRun {
  /** Identifies the run (the snapshot that first saw the pool on this image). */
  readonly runId: number;
  readonly image: string | null;
  readonly startedAt: string;
  /** When a snapshot saw the pool on another image or gone; null while the run goes on. */
  readonly endedAt: string | null;
  readonly endedBy: 'image_change' | 'deleted' | null;
  /** Drift when the run was first observed (asked only while an episode is open: evaluating it costs). */
  readonly atStart: () => Drift;
  /** Drift at the last moment of the run (just before `endedAt`, or the evaluation time). */
  readonly atEnd: () => Drift;
}

/** A non-compliance episode of one pool: opened at the breach instant, closed when a snapshot saw it fixed or gone. */
export interface Episode {
  readonly firstRunId: number;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly resolution: 'remediated' | 'retired' | null;
  readonly imageAtOpen: string | null;
  readonly imageAtClose: string | null;
  readonly supersededAt: string | null;
  readonly policyRule: string;
  readonly slaDays: number;
}

/** Beyond the SLA at the drift's moment: `breachAt` passed while still behind (whatever the exception or coverage). */
function beyond(drift: Drift, at: string): boolean {
  return drift.breachAt !== null && drift.breachAt < at && drift.status !== 'current' && drift.status !== 'within_policy';
}

/**
 * SLA-breach episodes (CONTRACT.md `sla_breach`): an episode opens at the breach instant `supersededAt + slaDays`
 * of the image that breached. It lasts while the pool stays beyond its SLA — an upgrade to another image that is
 * itself already beyond the SLA does not end it — and ends `remediated` at the snapshot that saw the pool current or
 * within policy again, or `retired` at the snapshot that saw the pool gone. `evaluatedAt` bounds open runs.
 */
export function slaBreachEpisodes(runs: readonly ImageRun[], evaluatedAt: string, from?: string): Episode[] {
  const episodes: Episode[] = [];
  let open: Omit<Episode, 'closedAt' | 'resolution' | 'imageAtClose'> | null = null;
  for (const run of runs.slice(firstRunToEvaluate(runs, from))) {
    if (open !== null && !beyond(run.atStart(), run.startedAt)) {
      episodes.push({ ...open, closedAt: run.startedAt, resolution: 'remediated', imageAtClose: run.image });
      open = null;
    }
    const end = run.endedAt ?? evaluatedAt;
    const atEnd: Drift | null = open === null ? run.atEnd() : null;
    if (atEnd !== null && beyond(atEnd, end)) {
      open = {
        firstRunId: run.runId,
        openedAt: atEnd.breachAt!,
        imageAtOpen: run.image,
        supersededAt: atEnd.supersededAt,
        policyRule: atEnd.policyRule,
        slaDays: atEnd.slaDays,
      };
    }
    if (open !== null && run.endedBy === 'deleted') {
      episodes.push({ ...open, closedAt: run.endedAt, resolution: 'retired', imageAtClose: null });
      open = null;
    }
  }
  if (open !== null) episodes.push({ ...open, closedAt: null, resolution: null, imageAtClose: null });
  return episodes;
}

/**
 * Where derivation must start for the episodes that reach `from` or later: the first run still going at `from`,
 * walked back while each run began already beyond its SLA (an episode open since an earlier run). Episodes that
 * ended before `from` are not derived at all, so a month's findings cost a month of runs, not all of history.
 */
function firstRunToEvaluate(runs: readonly ImageRun[], from: string | undefined): number {
  if (from === undefined) return 0;
  let index = runs.findIndex((run) => run.endedAt === null || run.endedAt >= from);
  if (index < 0) return runs.length;
  while (index > 0 && beyond(runs[index]!.atStart(), runs[index]!.startedAt)) index--;
  return index;
}

/** Hours, one decimal. */
export function hoursBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 360_000) / 10;
}

/** Mean and 90th percentile (nearest rank) of time to remediate, in hours, one decimal; null without data. */
export function remediationStatistics(hours: readonly number[]): { mean: number | null; p90: number | null } {
  if (hours.length === 0) return { mean: null, p90: null };
  const sorted = [...hours].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, h) => sum + h, 0) / sorted.length;
  const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1]!;
  return { mean: Math.round(mean * 10) / 10, p90: Math.round(p90 * 10) / 10 };
}

/** One node-level cross-check as it concerned one pool. */
export interface NodeCheckObservation {
  readonly checkId: number;
  readonly at: string;
  /** `absent`: the check read the cluster and the pool was not there (deleted), or the cluster is gone. */
  readonly verdict: 'match' | 'mismatch' | 'no_nodes' | 'skipped' | 'unreachable' | 'absent';
  readonly poolVersion: string | null;
  readonly nodeVersions: Readonly<Record<string, number>>;
}

export interface NodeMismatchEpisode {
  readonly firstCheckId: number;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly resolution: 'remediated' | 'retired' | null;
  readonly poolVersion: string | null;
  readonly nodeVersionsAtOpen: Readonly<Record<string, number>>;
  readonly nodeVersionsAtClose: Readonly<Record<string, number>> | null;
}

/**
 * `node_mismatch` episodes of one pool, from its cross-checks in order: an episode opens at the first check that saw
 * the nodes' image labels disagree with ARM, ends `remediated` at the first later check that saw them agree, or
 * `retired` at the first that found the pool gone. A check that could not judge (skipped, unreachable, no nodes)
 * changes nothing: absence of evidence is not remediation.
 */
export function nodeMismatchEpisodes(observations: readonly NodeCheckObservation[]): NodeMismatchEpisode[] {
  const episodes: NodeMismatchEpisode[] = [];
  let open: Omit<NodeMismatchEpisode, 'closedAt' | 'resolution' | 'nodeVersionsAtClose'> | null = null;
  for (const observation of observations) {
    if (open === null && observation.verdict === 'mismatch') {
      open = { firstCheckId: observation.checkId, openedAt: observation.at, poolVersion: observation.poolVersion, nodeVersionsAtOpen: observation.nodeVersions };
    } else if (open !== null && (observation.verdict === 'match' || observation.verdict === 'absent')) {
      const remediated = observation.verdict === 'match';
      episodes.push({ ...open, closedAt: observation.at, resolution: remediated ? 'remediated' : 'retired', nodeVersionsAtClose: remediated ? observation.nodeVersions : null });
      open = null;
    }
  }
  if (open !== null) episodes.push({ ...open, closedAt: null, resolution: null, nodeVersionsAtClose: null });
  return episodes;
}
