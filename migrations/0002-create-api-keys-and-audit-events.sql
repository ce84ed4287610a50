-- API keys are stored as SHA-256 hashes of high-entropy random secrets; the secret is shown once.
CREATE TABLE api_keys (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('auditor', 'operator', 'admin')),
  key_hash    TEXT NOT NULL UNIQUE,
  key_prefix  TEXT NOT NULL,              -- first characters, to recognise a key in a list
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  expires_at  TEXT,
  revoked_at  TEXT,
  revoked_by  TEXT
);

-- Who did what: every mutating action, append-only.
CREATE TABLE audit_events (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT,
  detail  TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events are append-only'); END;
