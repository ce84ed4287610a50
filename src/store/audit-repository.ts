import type { Db } from './database.js';

export interface AuditEvent {
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly detail: Record<string, unknown>;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

/** Append-only record of every mutating action (the evidence ledger will chain these). */
export function createAuditRepository(db: Db) {
  const insert = db.prepare('INSERT INTO audit_events (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)');
  return {
    append(event: AuditEvent): void {
      insert.run(event.at, event.actor, event.action, event.subject, JSON.stringify(event.detail));
    },
    list(limit = 100): AuditEvent[] {
      return (
        db.prepare('SELECT at, actor, action, subject, detail FROM audit_events ORDER BY id DESC LIMIT ?').all(limit) as (Omit<
          AuditEvent,
          'detail'
        > & { detail: string })[]
      ).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
    },
  };
}
