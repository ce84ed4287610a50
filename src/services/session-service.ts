import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { Principal } from '../domain/roles.js';
import { isSessionLive, sessionExpiries, slidExpiry, type SessionLifetime } from '../domain/session.js';
import type { EvidenceSink } from '../evidence/ledger.js';
import { sha256Hex } from '../lib/canonical-json.js';
import type { ApiKeyRepository } from '../store/api-key-repository.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { SessionRecord, SessionRepository, SessionVia } from '../store/session-repository.js';

export interface SessionServiceDeps {
  readonly db: Db;
  readonly sessions: SessionRepository;
  readonly keys: Pick<ApiKeyRepository, 'findByName'>;
  readonly evidence: EvidenceSink;
  readonly lifetime: SessionLifetime;
  readonly now: () => Date;
}

/** A live session, as the API answers about it. `csrfToken` is derived from the session id, which only its holder has. */
export interface SessionView {
  readonly actor: string;
  readonly role: Principal['role'];
  readonly expiresAt: string;
  readonly csrfToken: string;
  readonly via: SessionVia;
}

/** A session id: 256 random bits, base64url (43 characters). Anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export type SessionService = ReturnType<typeof createSessionService>;

/**
 * Browser sessions: a credential checked once at sign-in is exchanged for a random session id that the browser
 * keeps in an HttpOnly cookie. Only SHA-256 of the id and of its CSRF token are stored (like API keys: a fast hash is
 * right for 256-bit secrets). Sign-in and sign-out are ledger entries naming the session by a prefix of its hash.
 */
export function createSessionService(deps: SessionServiceDeps) {
  const { sessions } = deps;

  /** An API-key session lives only while its key does: looked up on every request, never cached. */
  const keyEnded = (session: SessionRecord, now: Date): 'key_revoked' | 'key_expired' | null => {
    if (session.via !== 'api_key') return null;
    const key = deps.keys.findByName(session.keyName!);
    if (key === null || key.revokedAt !== null) return 'key_revoked';
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) return 'key_expired';
    return null;
  };

  return {
    /**
     * Signs `principal` in; `credentialEndsAt` is when the credential itself stops being valid (token `exp`, key
     * expiry). Returns the new session id — for the cookie and nothing else — and the session as the API shows it.
     */
    start(principal: Principal, credentialEndsAt: Date | null): { sessionId: string; view: SessionView; maxAgeInSeconds: number } {
      const now = deps.now();
      const via: SessionVia = principal.actor.startsWith('entra:') ? 'entra' : 'api_key';
      const keyName = via === 'api_key' ? principal.actor.replace(/^key:/, '') : null;
      const key = keyName === null ? null : deps.keys.findByName(keyName);
      const endsAt = credentialEndsAt ?? (key?.expiresAt ? new Date(key.expiresAt) : null);
      const { expiresAt, absoluteExpiresAt } = sessionExpiries(now, deps.lifetime, endsAt);
      if (absoluteExpiresAt.getTime() <= now.getTime()) throw new DomainError('unauthenticated', 'invalid_credentials', 'the credential has expired');
      const sessionId = randomBytes(32).toString('base64url');
      const csrfToken = csrfTokenOf(sessionId);
      const record = writeTransaction(deps.db, () => {
        const stored = sessions.insert({
          sessionHash: sha256Hex(sessionId),
          csrfHash: sha256Hex(csrfToken),
          actor: principal.actor,
          role: principal.role,
          via,
          keyName,
          createdAt: now.toISOString(),
          expiresAt: expiresAt.toISOString(),
          absoluteExpiresAt: absoluteExpiresAt.toISOString(),
        });
        deps.evidence.append({
          kind: 'session_started',
          subject: `session:${sessionRef(stored)}`,
          actor: stored.actor,
          body: { session: sessionRef(stored), role: stored.role, via, ...(keyName === null ? {} : { keyName }), createdAt: stored.createdAt, expiresAt: stored.expiresAt, absoluteExpiresAt: stored.absoluteExpiresAt },
        });
        return stored;
      });
      deps.evidence.checkpoint();
      return { sessionId, view: toView(record, csrfToken), maxAgeInSeconds: Math.floor((absoluteExpiresAt.getTime() - now.getTime()) / 1000) };
    },

    /**
     * The live session a cookie names, or null (unknown, ended, expired, or its API key revoked or expired: then it is
     * marked ended). Does not record the use: `touch` does, once the request has passed its checks.
     */
    find(sessionId: string): SessionRecord | null {
      if (!SESSION_ID.test(sessionId)) return null;
      const session = sessions.findByHash(sha256Hex(sessionId));
      const now = deps.now();
      if (session === null || !isSessionLive(session, now)) return null;
      const ended = keyEnded(session, now);
      if (ended !== null) {
        sessions.end(session.id, now.toISOString(), ended);
        return null;
      }
      return session;
    },

    /** Records a use: slides the idle expiry, at most one write a minute. Returns the session as it now stands. */
    touch(session: SessionRecord): SessionRecord {
      const now = deps.now();
      const expiresAt = slidExpiry(session, now, deps.lifetime);
      if (expiresAt === null || !sessions.touch(session.id, now.toISOString(), expiresAt.toISOString())) return session;
      return { ...session, lastSeenAt: now.toISOString(), expiresAt: expiresAt.toISOString() };
    },

    /** Whether `presented` is the session's CSRF token (compared as SHA-256 digests, in constant time). */
    csrfMatches(session: SessionRecord, presented: string | undefined): boolean {
      if (typeof presented !== 'string' || presented.length === 0 || presented.length > 256) return false;
      return timingSafeEqual(Buffer.from(sha256Hex(presented), 'hex'), Buffer.from(session.csrfHash, 'hex'));
    },

    /** Signs out: the session ends now, recorded in the ledger. */
    end(session: SessionRecord): void {
      const at = deps.now().toISOString();
      writeTransaction(deps.db, () => {
        if (!sessions.end(session.id, at, 'signed_out')) return;
        deps.evidence.append({
          kind: 'session_ended',
          subject: `session:${sessionRef(session)}`,
          actor: session.actor,
          body: { session: sessionRef(session), role: session.role, via: session.via, reason: 'signed_out', endedAt: at },
        });
      });
      deps.evidence.checkpoint();
    },

    view(session: SessionRecord, sessionId: string): SessionView {
      return toView(session, csrfTokenOf(sessionId));
    },
  };
}

/**
 * The CSRF token: HMAC-SHA256 keyed with the session id. A page load gets it again (GET /api/v1/session) without it
 * being kept anywhere in clear; it tells nothing about the id, and no one without the cookie can compute it.
 */
function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', Buffer.from(sessionId, 'base64url')).update('imagewarden csrf v1').digest('base64url');
}

/** How the ledger names a session: the first 12 hex digits of its id's SHA-256 (never the id itself). */
export function sessionRef(session: Pick<SessionRecord, 'sessionHash'>): string {
  return session.sessionHash.slice(0, 12);
}

const toView = (session: SessionRecord, csrfToken: string): SessionView => ({
  actor: session.actor,
  role: session.role,
  expiresAt: session.expiresAt,
  csrfToken,
  via: session.via,
});

/** The principal a session stands for: the same actor its credential gives, so evidence and four eyes are unchanged. */
export function sessionPrincipal(session: SessionRecord): Principal {
  return { actor: session.actor, role: session.role };
}
