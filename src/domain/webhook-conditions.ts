import { exceptionAt, type ExceptionRecord } from './exceptions.js';
import type { AlertCondition, WebhookEvent } from './webhook-alerts.js';

/** The alert rules' thresholds (deploy/alerts.yaml), so a webhook and a Prometheus alert say the same thing. */
export const STALE_AFTER_IN_MS = 2 * 3_600_000;
export const DUE_WITHIN_IN_MS = 7 * 86_400_000;
export const APPROVAL_WAIT_IN_MS = 3_600_000;
/** A failed run is announced if it ended this recently (a first evaluation does not replay old failures). */
export const FAILED_RUN_WINDOW_IN_MS = 24 * 3_600_000;

export interface DuePoolFact {
  readonly key: string;
  readonly clusterId: string;
  readonly subscriptionId: string;
  readonly poolName: string;
  readonly nodeImageVersion: string | null;
  readonly latestNodeImageVersion: string | null;
  readonly breachAt: string | null;
  /** The pool's status is `unknown` now (its latest image could not be read): its alert stays as it was. */
  readonly unknown: boolean;
}

export interface RunFact {
  readonly id: string;
  readonly clusterId: string;
  readonly status: string;
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly approvalExpiresAt: string | null;
  readonly error: { code: string; message: string } | null;
}

/** What the conditions are read from. A `null` source could not be read: its alerts stay as they are. */
export interface AlertFacts {
  readonly at: Date;
  readonly lastSucceededFleetSnapshotAt: string | null;
  readonly pools: Iterable<DuePoolFact> | null;
  readonly exceptions: Iterable<ExceptionRecord> | null;
  /** Failed runs and runs waiting for approval (the store's candidates; the windows are applied here). */
  readonly runs: readonly RunFact[];
  /** The last ledger verification this process saw; null before the first. */
  readonly ledger: { readonly intact: boolean; readonly at: string } | null;
}

/** The conditions that hold at `facts.at`, and the events and subjects whose facts are unknown (their state is kept). */
export function alertConditions(facts: AlertFacts): { conditions: AlertCondition[]; unknown: WebhookEvent[]; unknownKeys: string[] } {
  const at = facts.at.getTime();
  const atIso = facts.at.toISOString();
  const iso = (offsetInMs: number) => new Date(at + offsetInMs).toISOString();
  const conditions: AlertCondition[] = [];
  const unknown: WebhookEvent[] = [];
  const unknownKeys: string[] = [];
  const last = facts.lastSucceededFleetSnapshotAt;
  if (last === null) conditions.push({ key: 'no_fleet_snapshot', event: 'no_fleet_snapshot', details: {} });
  else if (at - Date.parse(last) > STALE_AFTER_IN_MS) conditions.push({ key: 'snapshot_stale', event: 'snapshot_stale', details: { lastSucceededAt: last } });

  // The same window as imagewarden_pools_breaching_within_7d: after now, at most 7 days ahead.
  const horizon = iso(DUE_WITHIN_IN_MS);
  if (facts.pools === null) unknown.push('sla_breach_due');
  else {
    for (const { key, breachAt, unknown: unknownPool, ...pool } of facts.pools) {
      // A latest image that could not be read for one snapshot must not resolve the alert and fire it again after.
      if (unknownPool && breachAt === null) unknownKeys.push(`sla_breach_due:${key}`);
      else if (breachAt !== null && breachAt > atIso && breachAt <= horizon) conditions.push({ key: `sla_breach_due:${key}`, event: 'sla_breach_due', details: { ...pool, breachAt } });
    }
  }
  if (facts.exceptions === null) unknown.push('exception_expiring');
  else {
    for (const record of facts.exceptions) {
      if (record.expiresAt > horizon || exceptionAt(record, atIso).state !== 'approved') continue;
      const { id, expiresAt, scope, ticket } = record;
      conditions.push({ key: `exception_expiring:${id}`, event: 'exception_expiring', details: { exceptionId: id, expiresAt, scope, ticket } });
    }
  }
  const failedSince = iso(-FAILED_RUN_WINDOW_IN_MS);
  const waitingSince = iso(-APPROVAL_WAIT_IN_MS);
  for (const run of facts.runs) {
    const details = { runId: run.id, clusterId: run.clusterId, requestedBy: run.requestedBy, createdAt: run.createdAt };
    if (run.status === 'failed' && run.finishedAt !== null && run.finishedAt > failedSince) {
      conditions.push({ key: `upgrade_failed:${run.id}`, event: 'upgrade_failed', details: { ...details, finishedAt: run.finishedAt, error: run.error } });
    } else if (run.status === 'pending_approval' && run.createdAt <= waitingSince) {
      conditions.push({ key: `upgrade_awaiting_approval:${run.id}`, event: 'upgrade_awaiting_approval', details: { ...details, approvalExpiresAt: run.approvalExpiresAt } });
    }
  }
  if (facts.ledger === null) unknown.push('ledger_verification_failed');
  else if (!facts.ledger.intact) conditions.push({ key: 'ledger_verification_failed', event: 'ledger_verification_failed', details: { verifiedAt: facts.ledger.at } });
  return { conditions, unknown, unknownKeys };
}
