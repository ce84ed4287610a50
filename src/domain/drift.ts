import type { PoolObservation } from './inventory.js';
import { compareNodeImageVersions, parseNodeImageVersion } from './node-image.js';
import type { AppliedPolicy } from './policy.js';

const DAY_IN_MS = 86_400_000;

export type PoolStatus = 'current' | 'within_policy' | 'non_compliant' | 'excepted' | 'unknown';
export type SupersededAtSource = 'observed' | 'own_release' | 'regional_availability';

/**
 * What imagewarden has observed of one (location, image family): each version seen as the latest image, with the
 * first moment it was seen as such — in the location (any subscription) and for the pool's own subscription.
 * Sightings after `t` are ignored, so one history serves every moment.
 */
export interface LatestImageHistory {
  readonly inLocation: ReadonlyMap<string, string>;
  readonly inSubscription: ReadonlyMap<string, string>;
}

export interface DriftInput {
  /** The moment asked for. */
  readonly at: Date;
  readonly pool: PoolObservation;
  /** The latest image of the pool's (subscription, location, family) in the snapshot that counts at `t`. */
  readonly latestNodeImageVersion: string | null;
  /** When the pool was first observed on its current image (ISO), or null when unknown. */
  readonly imageSince: string | null;
  readonly history: LatestImageHistory;
  readonly policy: AppliedPolicy;
  /** The pool's subscription failed in the latest fleet snapshot at or before `t`. */
  readonly subscriptionFailed: boolean;
  /** The approved exception in force at `t` covering the pool (the one expiring last), if any. */
  readonly exceptionId: string | null;
}

export interface Drift {
  readonly imageFamily: string | null;
  readonly imageReleaseDate: string | null;
  readonly imageAgeDays: number | null;
  readonly latestReleaseDate: string | null;
  readonly daysBehindLatest: number | null;
  readonly releasesBehind: number | null;
  readonly supersededAt: string | null;
  readonly supersededAtSource: SupersededAtSource | null;
  readonly exposureDays: number | null;
  readonly firstSeenBehindAt: string | null;
  /** `supersededAt + slaDays`: when a pool still behind becomes non-compliant. */
  readonly breachAt: string | null;
  readonly status: PoolStatus;
  readonly policyRule: string;
  readonly slaDays: number;
  readonly exceptionId: string | null;
}

const midnight = (date: string) => Date.parse(`${date}T00:00:00Z`);
const iso = (ms: number) => new Date(ms).toISOString();
const days = (ms: number) => Math.floor(ms / DAY_IN_MS);

/**
 * A pool's drift at `t` (CONTRACT.md formulas), from stored observations only:
 * - `supersededAt`: release date of the first image of the pool's family in its location newer than its own,
 *   `observed` when imagewarden saw its own version as the location's latest and then saw the next one appear;
 *   otherwise `own_release` with the pool's own release date (which can only overstate exposure). Under the
 *   regional-availability clock, an observed succession counts from the moment the next image was first seen as
 *   latest in the location (`regional_availability`); without one it falls back to `own_release` as well.
 * - `status`: `current` on the latest image; `within_policy` while `t − supersededAt ≤ slaDays`; beyond it
 *   `excepted` under an approved exception, else `non_compliant`; `unknown` when either version is missing or
 *   unparseable (or of different families), or the pool's subscription failed. Never unknown → compliant.
 * Kubernetes versions play no part.
 */
export function computeDrift(input: DriftInput): Drift {
  const { at, policy } = input;
  const own = parseNodeImageVersion(input.pool.nodeImageVersion);
  const latest = parseNodeImageVersion(input.latestNodeImageVersion);
  const ownRelease = own ? midnight(own.releaseDate) : null;
  const base = {
    imageFamily: own?.family ?? null,
    imageReleaseDate: ownRelease === null ? null : iso(ownRelease),
    imageAgeDays: ownRelease === null ? null : days(at.getTime() - ownRelease),
    latestReleaseDate: latest ? iso(midnight(latest.releaseDate)) : null,
    policyRule: policy.policyRule,
    slaDays: policy.slaDays,
    exceptionId: input.exceptionId,
  };
  const order = own && latest ? compareNodeImageVersions(own.raw, latest.raw) : null;
  if (own === null || latest === null || order === null) {
    return { ...base, ...noDrift, status: 'unknown' };
  }
  if (order >= 0) {
    const current = { ...base, daysBehindLatest: 0, releasesBehind: 0, supersededAt: null, supersededAtSource: null };
    return { ...current, exposureDays: 0, firstSeenBehindAt: null, breachAt: null, status: input.subscriptionFailed ? 'unknown' : 'current' };
  }

  const atIso = at.toISOString();
  const location = newerThan(own.raw, input.history.inLocation, atIso);
  const [next, nextFirstSeen] = location.first ?? [latest.raw, null];
  const ownFirstSeen = input.history.inLocation.get(own.raw);
  const succession = ownFirstSeen !== undefined && ownFirstSeen <= atIso && nextFirstSeen !== null && ownFirstSeen < nextFirstSeen;

  let supersededAt: number;
  let supersededAtSource: SupersededAtSource;
  if (!succession) {
    supersededAt = ownRelease!;
    supersededAtSource = 'own_release';
  } else if (policy.clock === 'regional_availability') {
    supersededAt = Date.parse(nextFirstSeen!);
    supersededAtSource = 'regional_availability';
  } else {
    supersededAt = midnight(parseNodeImageVersion(next)!.releaseDate);
    supersededAtSource = 'observed';
  }

  const breachAt = supersededAt + policy.slaDays * DAY_IN_MS;
  const firstNewerInSubscription = newerThan(own.raw, input.history.inSubscription, atIso).first?.[1] ?? null;
  const firstSeenBehindAt = firstNewerInSubscription === null ? null : maxIso(firstNewerInSubscription, input.imageSince);
  let status: PoolStatus;
  if (input.subscriptionFailed) status = 'unknown';
  else if (at.getTime() <= breachAt) status = 'within_policy';
  else status = input.exceptionId !== null ? 'excepted' : 'non_compliant';

  return {
    ...base,
    daysBehindLatest: days(midnight(latest.releaseDate) - ownRelease!),
    releasesBehind: Math.max(location.count, 1),
    supersededAt: iso(supersededAt),
    supersededAtSource,
    exposureDays: Math.max(0, days(at.getTime() - supersededAt)),
    firstSeenBehindAt,
    breachAt: iso(breachAt),
    status,
  };
}

/**
 * Among the versions seen as latest by `at`, those newer than `own`: how many, and the oldest of them with the
 * moment it was first seen. One pass, no sorting: this runs for every pool and every run of its history.
 */
function newerThan(own: string, seen: ReadonlyMap<string, string>, at: string): { count: number; first: [string, string] | null } {
  let count = 0;
  let first: [string, string] | null = null;
  for (const [version, firstSeen] of seen) {
    if (firstSeen > at || (compareNodeImageVersions(version, own) ?? 0) <= 0) continue;
    count++;
    if (first === null || compareNodeImageVersions(version, first[0])! < 0) first = [version, firstSeen];
  }
  return { count, first };
}

/**
 * Moves a drift to other moments `at`, when nothing else differs (same image, latest image, sightings up to both
 * moments, policy, coverage and exception): only the image's age, the exposure and the status move with time.
 * The dates are parsed once, for evaluations that repeat across many pools and moments.
 */
export function retimer(drift: Drift): (at: Date, subscriptionFailed: boolean) => Drift {
  const release = drift.imageReleaseDate === null ? null : Date.parse(drift.imageReleaseDate);
  const superseded = drift.supersededAt === null ? null : Date.parse(drift.supersededAt);
  const breach = drift.breachAt === null ? null : Date.parse(drift.breachAt);
  return (at, subscriptionFailed) => {
    const now = at.getTime();
    const imageAgeDays = release === null ? null : days(now - release);
    if (superseded === null || breach === null) return { ...drift, imageAgeDays };
    let status: PoolStatus;
    if (subscriptionFailed) status = 'unknown';
    else if (now <= breach) status = 'within_policy';
    else status = drift.exceptionId !== null ? 'excepted' : 'non_compliant';
    return { ...drift, imageAgeDays, exposureDays: Math.max(0, days(now - superseded)), status };
  };
}

/**
 * The first moment after `at` (epoch ms) at which `retimer(drift)` would answer differently: the image's age or the
 * exposure gains a day, or the status passes the breach instant (`within_policy` up to and including it). Null when
 * nothing in the drift moves with time. What else could change it (sightings, policy, exceptions) is not in the drift:
 * callers bound those themselves.
 */
export function driftChangesAfter(drift: Drift, at: number): number | null {
  // The next whole day since `origin`; before `origin` (a count floored at 0) this is early, never late.
  const nextDay = (origin: number) => origin + (Math.floor((at - origin) / DAY_IN_MS) + 1) * DAY_IN_MS;
  let next = Infinity;
  if (drift.imageReleaseDate !== null) next = Math.min(next, nextDay(Date.parse(drift.imageReleaseDate)));
  if (drift.supersededAt !== null) next = Math.min(next, nextDay(Date.parse(drift.supersededAt)));
  if (drift.breachAt !== null) {
    const breach = Date.parse(drift.breachAt);
    if (at <= breach) next = Math.min(next, breach + 1);
  }
  return next === Infinity ? null : next;
}

const noDrift = {
  daysBehindLatest: null,
  releasesBehind: null,
  supersededAt: null,
  supersededAtSource: null,
  exposureDays: null,
  firstSeenBehindAt: null,
  breachAt: null,
} as const;

function maxIso(a: string, b: string | null): string {
  return b === null || a > b ? new Date(a).toISOString() : new Date(b).toISOString();
}

/** Compliance % (CONTRACT.md): (current + within_policy) / all pools, unknown included; a second figure counts excepted. */
export function compliancePercentages(counts: Readonly<Record<PoolStatus, number>>): {
  compliancePercent: number | null;
  compliancePercentWithExceptions: number | null;
} {
  const total = counts.current + counts.within_policy + counts.non_compliant + counts.excepted + counts.unknown;
  if (total === 0) return { compliancePercent: null, compliancePercentWithExceptions: null };
  const percent = (n: number) => Math.round((n / total) * 1000) / 10;
  return {
    compliancePercent: percent(counts.current + counts.within_policy),
    compliancePercentWithExceptions: percent(counts.current + counts.within_policy + counts.excepted),
  };
}
