import { retentionCutoffs, type RetentionCutoffs } from '../domain/retention.js';
import type { EvidenceSink } from '../evidence/ledger.js';
import { writeTransaction, type Db } from '../store/database.js';

export interface RetentionDeps {
  readonly db: Db;
  readonly evidence: EvidenceSink;
  readonly retentionDays: number;
  readonly now: () => Date;
}

export interface RetentionResult {
  readonly cutoffs: RetentionCutoffs;
  readonly pruned: { readonly idempotencyKeys: number; readonly failedWitnessDeliveries: number; readonly webhookDeliveries: number; readonly browserSessions: number };
}

export type RetentionService = ReturnType<typeof createRetentionService>;

/**
 * Prunes operational records past their use (src/domain/retention.ts says which, and why evidence is never among
 * them). What was pruned is itself recorded in the ledger, in the same transaction, so the pruning is on the record.
 */
export function createRetentionService(deps: RetentionDeps) {
  const { db } = deps;
  const deleteIdempotencyKeys = db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?');
  const deleteFailedDeliveries = db.prepare('DELETE FROM witness_deliveries WHERE error IS NOT NULL AND at < ?');
  const deleteWebhookDeliveries = db.prepare(`DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < ?`);
  // A session is over once it ended or its idle expiry passed (never later than its absolute expiry).
  const deleteSessions = db.prepare('DELETE FROM browser_sessions WHERE expires_at < @before OR ended_at < @before');
  return {
    prune(actor = 'system'): RetentionResult {
      const cutoffs = retentionCutoffs(deps.now(), deps.retentionDays);
      const result = writeTransaction(db, () => {
        const pruned = {
          idempotencyKeys: deleteIdempotencyKeys.run(cutoffs.idempotencyKeysBefore).changes,
          failedWitnessDeliveries: deleteFailedDeliveries.run(cutoffs.failedWitnessDeliveriesBefore).changes,
          webhookDeliveries: deleteWebhookDeliveries.run(cutoffs.finishedWebhookDeliveriesBefore).changes,
          browserSessions: deleteSessions.run({ before: cutoffs.endedSessionsBefore }).changes,
        };
        if (Object.values(pruned).some((count) => count > 0)) {
          deps.evidence.append({ kind: 'retention_pruned', subject: null, actor, body: { retentionDays: deps.retentionDays, cutoffs, pruned } });
        }
        return { cutoffs, pruned };
      });
      deps.evidence.checkpoint();
      return result;
    },
  };
}
