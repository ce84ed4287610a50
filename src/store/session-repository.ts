import type { Role } from '../domain/roles.js';
import type { Db } from './database.js';

export type SessionVia = 'api_key' | 'entra';
export type SessionEndReason = 'signed_out' | 'key_revoked' | 'key_expired';

/** A browser session as stored: hashes only, never the session id or its CSRF token. */
export interface SessionRecord {
  readonly id: number;
  readonly sessionHash: string;
  readonly csrfHash: string;
  readonly actor: string;
  readonly role: Role;
  readonly via: SessionVia;
  readonly keyName: string | null;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** Idle expiry, never beyond `absoluteExpiresAt`. */
  readonly expiresAt: string;
  readonly absoluteExpiresAt: string;
  readonly endedAt: string | null;
  readonly endReason: SessionEndReason | null;
}

interface SessionRow {
  id: number;
  session_hash: string;
  csrf_hash: string;
  actor: string;
  role: Role;
  via: SessionVia;
  key_name: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  absolute_expires_at: string;
  ended_at: string | null;
  end_reason: SessionEndReason | null;
}

const toRecord = (row: SessionRow): SessionRecord => ({
  id: row.id,
  sessionHash: row.session_hash,
  csrfHash: row.csrf_hash,
  actor: row.actor,
  role: row.role,
  via: row.via,
  keyName: row.key_name,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
});

export type SessionRepository = ReturnType<typeof createSessionRepository>;

export function createSessionRepository(db: Db) {
  const insert = db.prepare(
    `INSERT INTO browser_sessions (session_hash, csrf_hash, actor, role, via, key_name, created_at, last_seen_at, expires_at, absolute_expires_at)
     VALUES (@sessionHash, @csrfHash, @actor, @role, @via, @keyName, @createdAt, @createdAt, @expiresAt, @absoluteExpiresAt)`,
  );
  const byHash = db.prepare('SELECT * FROM browser_sessions WHERE session_hash = ?');
  const byId = db.prepare('SELECT * FROM browser_sessions WHERE id = ?');
  // Only a later time moves the idle expiry: two requests a moment apart never shorten it.
  const touch = db.prepare('UPDATE browser_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ? AND ended_at IS NULL AND last_seen_at < ?');
  const end = db.prepare('UPDATE browser_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL');
  const endForKey = db.prepare('UPDATE browser_sessions SET ended_at = ?, end_reason = ? WHERE key_name = ? AND ended_at IS NULL');
  return {
    insert(input: Omit<SessionRecord, 'id' | 'lastSeenAt' | 'endedAt' | 'endReason'>): SessionRecord {
      const { lastInsertRowid } = insert.run({ ...input });
      return toRecord(byId.get(lastInsertRowid) as SessionRow);
    },
    findByHash(sessionHash: string): SessionRecord | null {
      const row = byHash.get(sessionHash) as SessionRow | undefined;
      return row ? toRecord(row) : null;
    },
    touch(id: number, at: string, expiresAt: string): boolean {
      return touch.run(at, expiresAt, id, at).changes === 1;
    },
    end(id: number, at: string, reason: SessionEndReason): boolean {
      return end.run(at, reason, id).changes === 1;
    },
    /** Ends every open session of an API key; how many there were. */
    endForKey(keyName: string, at: string, reason: SessionEndReason): number {
      return endForKey.run(at, reason, keyName).changes;
    },
  };
}
