/**
 * What retention may prune, and when. Evidence — observations, snapshots, the ledger and its checkpoints, exceptions,
 * findings, upgrade runs, node checks, reports, keys, the policy history — is never pruned: every ledger entry names
 * the rows it rests on by id and SHA-256, every stored report rests on the state those rows reconstruct, and the
 * observations are stored as intervals, so they grow with change, not with the number of snapshots.
 * Operational records that prove nothing are pruned once they have done their job.
 */

/** A retried `POST /api/v1/upgrades` is answered from its stored response for this long (Stripe keeps 24 hours). */
export const IDEMPOTENCY_KEY_DAYS = 7;

/** Every table, by what retention does with it. A new table must be placed here (test/store/retention.test.ts). */
export const TABLE_RETENTION = {
  evidence: [
    'snapshots', 'cluster_states', 'pool_states', 'latest_image_states', 'policy_versions', 'audit_events',
    'exceptions', 'exception_events', 'evidence_entries', 'signing_keys', 'evidence_checkpoints', 'finding_records',
    'reports', 'upgrade_runs', 'upgrade_pools', 'node_checks', 'node_check_results', 'api_keys',
  ],
  /** Pruned by age (see `retentionCutoffs`). */
  pruned: ['idempotency_keys', 'witness_deliveries', 'webhook_deliveries', 'browser_sessions'],
  /** Kept, small and bounded by design: one row per witness, one per alert condition holding now. */
  bookkeeping: ['ledger_watermarks', 'webhook_alerts'],
} as const;

export interface RetentionCutoffs {
  /** Idempotency keys created before this are forgotten: a retry with one starts afresh. */
  readonly idempotencyKeysBefore: string;
  /** Failed witness deliveries before this are forgotten; successful ones are the witness's proof and stay. */
  readonly failedWitnessDeliveriesBefore: string;
  /** Webhook deliveries that ended (delivered or given up) before this are forgotten; pending ones stay. */
  readonly finishedWebhookDeliveriesBefore: string;
  /** Browser sessions that ended or expired before this are forgotten (sign-in and sign-out stay in the ledger). */
  readonly endedSessionsBefore: string;
}

const DAY_IN_MS = 86_400_000;

export function retentionCutoffs(now: Date, retentionDays: number): RetentionCutoffs {
  const daysBefore = (days: number) => new Date(now.getTime() - days * DAY_IN_MS).toISOString();
  return {
    idempotencyKeysBefore: daysBefore(IDEMPOTENCY_KEY_DAYS),
    failedWitnessDeliveriesBefore: daysBefore(retentionDays),
    finishedWebhookDeliveriesBefore: daysBefore(retentionDays),
    endedSessionsBefore: daysBefore(retentionDays),
  };
}
