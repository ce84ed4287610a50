import type { PoolStatus } from '../domain/drift.js';
import { exceptionAt, type ExceptionRecord } from '../domain/exceptions.js';
import type { FindingKind, FindingState } from '../domain/findings.js';

export const POOL_STATUSES: readonly PoolStatus[] = ['current', 'within_policy', 'non_compliant', 'excepted', 'unknown'];
export const FINDING_KINDS: readonly FindingKind[] = ['sla_breach', 'coverage_gap', 'node_mismatch'];

/** How far ahead the "due soon" gauges look (the alert rules warn a week ahead). */
export const LOOKAHEAD_IN_MS = 7 * 86_400_000;

/** What the fleet gauges show, all evaluated at one moment. */
export interface FleetFigures {
  readonly poolsByStatus: Readonly<Record<PoolStatus, number>>;
  /** Pools whose breach instant (`supersededAt + slaDays`) lies after `at` and at most 7 days after it. */
  readonly poolsBreachingWithin7d: number;
  /** Findings in state `open` (a risk-accepted one is covered by an exception). */
  readonly openFindingsByKind: Readonly<Record<FindingKind, number>>;
  /** Approved exceptions in force at `at` that expire at most 7 days after it. */
  readonly exceptionsExpiringWithin7d: number;
}

export interface FleetFigureInputs {
  readonly at: Date;
  /** Every pool at `at`: its status and breach instant. */
  readonly pools: Iterable<{ readonly drift: { readonly status: PoolStatus; readonly breachAt: string | null } }>;
  readonly findings: Iterable<{ readonly kind: FindingKind; readonly state: FindingState }>;
  readonly exceptions: Iterable<ExceptionRecord>;
}

/** Counts the fleet's figures at one moment from what the services derived; no I/O. */
export function fleetFigures(inputs: FleetFigureInputs): FleetFigures {
  const atIso = inputs.at.toISOString();
  const horizonIso = new Date(inputs.at.getTime() + LOOKAHEAD_IN_MS).toISOString();
  const poolsByStatus = Object.fromEntries(POOL_STATUSES.map((status) => [status, 0])) as Record<PoolStatus, number>;
  let poolsBreachingWithin7d = 0;
  for (const { drift } of inputs.pools) {
    poolsByStatus[drift.status]++;
    if (drift.breachAt !== null && drift.breachAt > atIso && drift.breachAt <= horizonIso) poolsBreachingWithin7d++;
  }
  const openFindingsByKind = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, 0])) as Record<FindingKind, number>;
  for (const finding of inputs.findings) if (finding.state === 'open') openFindingsByKind[finding.kind]++;
  let exceptionsExpiringWithin7d = 0;
  for (const record of inputs.exceptions) {
    if (record.expiresAt <= horizonIso && exceptionAt(record, atIso).state === 'approved') exceptionsExpiringWithin7d++;
  }
  return { poolsByStatus, poolsBreachingWithin7d, openFindingsByKind, exceptionsExpiringWithin7d };
}

/**
 * `compute()` again only when what it reads changed (`inputs()`, a cheap fingerprint: a snapshot, an exception
 * decision, a node check) or `ttlInMs` passed (time alone moves breach instants and expiries): every gauge of a
 * scrape, and every scrape in between, reads the same evaluation. A failure is not cached.
 */
export function cachedFor<T>(ttlInMs: number, compute: () => T, inputs: () => string, clock: () => number = () => performance.now()): () => T {
  let cached: { value: T; at: number; inputs: string } | null = null;
  return () => {
    const now = clock();
    const current = inputs();
    if (cached === null || cached.inputs !== current || now - cached.at >= ttlInMs) cached = { value: compute(), at: now, inputs: current };
    return cached.value;
  };
}
