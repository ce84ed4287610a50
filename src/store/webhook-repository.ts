import type { AlertState, AlertStatus, WebhookEvent } from '../domain/webhook-alerts.js';
import type { RunFact } from '../domain/webhook-conditions.js';
import type { Db } from './database.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A delivery as the admin listing shows it (the payload stays in the store). */
export interface WebhookDelivery {
  readonly id: string;
  readonly event: WebhookEvent;
  readonly alertStatus: AlertStatus;
  readonly summary: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

/** A delivery to attempt: its exact body and how many attempts it has had. */
export interface DueDelivery {
  readonly id: string;
  readonly event: WebhookEvent;
  readonly payload: string;
  readonly attempts: number;
}

export interface NewDelivery {
  readonly id: string;
  readonly event: WebhookEvent;
  readonly alertStatus: AlertStatus;
  readonly summary: string;
  readonly payload: string;
  readonly createdAt: string;
}

export interface AttemptRecord {
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly at: string;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly nextAttemptAt: string | null;
}

const DELIVERY_COLUMNS = `seq, id, event, alert_status AS alertStatus, summary, status, attempts, created_at AS createdAt, next_attempt_at AS nextAttemptAt,
  last_attempt_at AS lastAttemptAt, last_status_code AS lastStatusCode, last_error AS lastError, delivered_at AS deliveredAt`;

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;

/** The webhook alert state and delivery outbox (migration 0011), and the few facts the alerts read straight from the store. */
export function createWebhookRepository(db: Db) {
  const alerts = db.prepare('SELECT key, event, state, since, details FROM webhook_alerts');
  const upsertAlert = db.prepare(
    `INSERT INTO webhook_alerts (key, event, state, since, details, updated_at) VALUES (@key, @event, @state, @since, @details, @at)
     ON CONFLICT (key) DO UPDATE SET state = excluded.state, details = excluded.details, updated_at = excluded.updated_at`,
  );
  const removeAlert = db.prepare('DELETE FROM webhook_alerts WHERE key = ?');
  const insert = db.prepare(
    `INSERT INTO webhook_deliveries (id, event, alert_status, summary, payload, status, created_at, next_attempt_at)
     VALUES (@id, @event, @alertStatus, @summary, @payload, 'pending', @createdAt, @createdAt)`,
  );
  const due = db.prepare(`SELECT id, event, payload, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?`);
  const nextDue = db.prepare(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`);
  const record = db.prepare(
    `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, last_attempt_at = @at, last_status_code = @statusCode, last_error = @error,
       next_attempt_at = @nextAttemptAt, delivered_at = CASE WHEN @status = 'delivered' THEN @at ELSE NULL END
     WHERE id = @id AND status = 'pending'`,
  );
  const list = db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE seq < @before AND (@status IS NULL OR status = @status) ORDER BY seq DESC LIMIT @limit`);
  const lastSucceededFleet = db.prepare(`SELECT finished_at AS finishedAt FROM snapshots WHERE scope = 'fleet' AND status = 'succeeded' ORDER BY id DESC LIMIT 1`);
  const runs = db.prepare(
    `SELECT id, cluster_id AS clusterId, status, requested_by AS requestedBy, created_at AS createdAt, finished_at AS finishedAt,
            approval_expires_at AS approvalExpiresAt, error
     FROM upgrade_runs WHERE status = 'pending_approval' OR (status = 'failed' AND finished_at > ?) ORDER BY created_at, id`,
  );
  const fleetInputs = db.prepare(`SELECT (SELECT max(id) FROM snapshots WHERE status != 'running') AS snapshot, (SELECT max(id) FROM exception_events) AS exceptionEvent`);

  return {
    alerts(): AlertState[] {
      return (alerts.all() as (Omit<AlertState, 'details'> & { details: string })[]).map((row) => ({ ...row, details: JSON.parse(row.details) as AlertState['details'] }));
    },
    upsertAlert(state: AlertState, at: string): void {
      upsertAlert.run({ key: state.key, event: state.event, state: state.state, since: state.since, details: JSON.stringify(state.details), at });
    },
    removeAlert(key: string): void {
      removeAlert.run(key);
    },
    enqueue(delivery: NewDelivery): void {
      insert.run(delivery);
    },
    /** Pending deliveries whose next attempt is due at `at`, the longest waiting first. */
    due(at: string, limit: number): DueDelivery[] {
      return due.all(at, limit) as DueDelivery[];
    },
    nextDueAt(): string | null {
      return (nextDue.get() as { at: string | null }).at;
    },
    /** Records an attempt's outcome; a delivery already settled (by another attempt) is left as it is. */
    recordAttempt(id: string, attempt: AttemptRecord): void {
      record.run({ id, ...attempt });
    },
    /** Newest first, before the cursor's `seq`. */
    list(before: number | null, limit: number, status: DeliveryStatus | null): (WebhookDelivery & { seq: number })[] {
      return list.all({ before: before ?? Number.MAX_SAFE_INTEGER, limit, status }) as (WebhookDelivery & { seq: number })[];
    },
    lastSucceededFleetSnapshotAt(): string | null {
      return (lastSucceededFleet.get() as { finishedAt: string | null } | undefined)?.finishedAt ?? null;
    },
    /** Runs waiting for approval, and runs that failed after `failedAfter`. */
    runs(failedAfter: string): RunFact[] {
      return (runs.all(failedAfter) as (Omit<RunFact, 'error'> & { error: string | null })[]).map((row) => ({ ...row, error: row.error === null ? null : (JSON.parse(row.error) as RunFact['error']) }));
    },
    /** Changes whenever a snapshot ends or an exception is decided: the fleet's conditions are then read again. */
    fleetInputs(): string {
      return JSON.stringify(fleetInputs.get());
    },
  };
}
