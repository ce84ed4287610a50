-- Browser sessions (POST /api/v1/session): an API key or an Entra ID token exchanged for an HttpOnly cookie.
-- Working state, not evidence: sign-in and sign-out are ledger entries (session_started, session_ended); these rows
-- only say whether a cookie still works. Only SHA-256 of the session id and of its CSRF token are stored, so a copy
-- of the database (a backup, a restore) signs no one in.
CREATE TABLE browser_sessions (
  id                  INTEGER PRIMARY KEY,
  session_hash        TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the cookie's value
  csrf_hash           TEXT NOT NULL,          -- hex SHA-256 of the session's X-CSRF-Token
  actor               TEXT NOT NULL,          -- as the credential gives it: key:<name> or entra:<oid> (<name>)
  role                TEXT NOT NULL CHECK (role IN ('auditor', 'operator', 'admin')),
  via                 TEXT NOT NULL CHECK (via IN ('api_key', 'entra')),
  key_name            TEXT,                   -- api_key sessions: the key, checked on every request
  created_at          TEXT NOT NULL,
  last_seen_at        TEXT NOT NULL,
  expires_at          TEXT NOT NULL,          -- idle expiry: last use + idle timeout, never beyond absolute_expires_at
  absolute_expires_at TEXT NOT NULL,          -- sign-in + maximum lifetime (and never beyond the token's exp)
  ended_at            TEXT,
  end_reason          TEXT CHECK (end_reason IN ('signed_out', 'key_revoked', 'key_expired')),
  CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CHECK (via = 'entra' OR key_name IS NOT NULL)
);
-- Revoking a key ends its open sessions at once.
CREATE INDEX browser_sessions_open_by_key ON browser_sessions (key_name) WHERE ended_at IS NULL;
-- Retention prunes sessions that ended or expired long ago.
CREATE INDEX browser_sessions_by_expiry ON browser_sessions (expires_at);
