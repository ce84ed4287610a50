import type { ExceptionEvent, ExceptionRecord, ExceptionScope } from '../domain/exceptions.js';
import type { Db } from './database.js';

interface ExceptionRow {
  id: string;
  scope: string;
  reason: string;
  compensating_control: string;
  ticket: string;
  expires_at: string;
  requested_by: string;
  requested_at: string;
}

export type ExceptionRepository = ReturnType<typeof createExceptionRepository>;

/** Exceptions and their state changes, both append-only; callers hold the write transaction. */
export function createExceptionRepository(db: Db) {
  const eventsOf = db.prepare('SELECT action, actor, at, reason FROM exception_events WHERE exception_id = ? ORDER BY id');
  const toRecord = (row: ExceptionRow): ExceptionRecord => ({
    id: row.id,
    scope: JSON.parse(row.scope) as ExceptionScope,
    reason: row.reason,
    compensatingControl: row.compensating_control,
    ticket: row.ticket,
    expiresAt: row.expires_at,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    events: eventsOf.all(row.id) as ExceptionEvent[],
  });
  return {
    insert(record: Omit<ExceptionRecord, 'events'>): void {
      db.prepare(
        `INSERT INTO exceptions (id, scope_kind, scope, reason, compensating_control, ticket, expires_at, requested_by, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        record.id,
        record.scope.kind,
        JSON.stringify(record.scope),
        record.reason,
        record.compensatingControl,
        record.ticket,
        record.expiresAt,
        record.requestedBy,
        record.requestedAt,
      );
    },
    appendEvent(exceptionId: string, event: ExceptionEvent): void {
      db.prepare('INSERT INTO exception_events (exception_id, action, actor, at, reason) VALUES (?, ?, ?, ?, ?)').run(
        exceptionId,
        event.action,
        event.actor,
        event.at,
        event.reason,
      );
    },
    get(id: string): ExceptionRecord | null {
      const row = db.prepare('SELECT * FROM exceptions WHERE id = ?').get(id) as ExceptionRow | undefined;
      return row ? toRecord(row) : null;
    },
    /** Every exception, oldest first (a fleet has tens or hundreds, not millions). */
    all(): ExceptionRecord[] {
      return (db.prepare('SELECT * FROM exceptions ORDER BY requested_at, id').all() as ExceptionRow[]).map(toRecord);
    },
  };
}
