-- Recorded node-image-only upgrades. A run and its pools are the runner's working state (statuses change as it
-- goes); the evidence of every step is in the ledger (kind upgrade_<event>, subject = run id), appended in the same
-- transaction as the state change it records.
CREATE TABLE upgrade_runs (
  id               TEXT PRIMARY KEY,
  cluster_key      TEXT NOT NULL,            -- lower-case ARM id
  cluster_id       TEXT NOT NULL,            -- as Azure returned it
  subscription_id  TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending_approval', 'queued', 'running', 'succeeded', 'failed', 'aborted', 'blocked', 'expired')),
  requested_by     TEXT NOT NULL,
  approved_by      TEXT,
  reason           TEXT NOT NULL,
  change_ticket    TEXT,
  override_window  TEXT,                     -- the admin's reason, when the maintenance window was overridden
  override_blocks  TEXT,                     -- the admin's reason, when blocking pre-checks were overridden
  approval_expires_at TEXT,
  created_at       TEXT NOT NULL,
  started_at       TEXT,
  finished_at      TEXT,
  prechecks        TEXT NOT NULL DEFAULT '[]', -- JSON [{ name, verdict, observed }]
  error            TEXT,                     -- JSON { code, message }
  owner            TEXT,                     -- host:pid of the serve executing it
  abort_requested_by TEXT
);
-- One active run per cluster, whichever process asks (Temporal's "Fail" policy for a second start).
CREATE UNIQUE INDEX upgrade_runs_one_active ON upgrade_runs (cluster_key) WHERE status IN ('pending_approval', 'queued', 'running');
CREATE INDEX upgrade_runs_created ON upgrade_runs (created_at);

CREATE TABLE upgrade_pools (
  run_id            TEXT NOT NULL REFERENCES upgrade_runs (id),
  position          INTEGER NOT NULL,
  pool_name         TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'not_attempted', 'aborted')),
  image_before      TEXT,
  target_image      TEXT,
  image_after       TEXT,
  kubernetes_version_before TEXT,
  kubernetes_version_after  TEXT,
  operation_id      TEXT,
  poller_state      TEXT,                    -- the SDK poller's serialized state, stored before waiting on it
  submitted_at      TEXT,
  finished_at       TEXT,
  error             TEXT,                    -- JSON { code, message }
  PRIMARY KEY (run_id, position)
);

-- Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header), scoped to the principal that sent them.
CREATE TABLE idempotency_keys (
  principal      TEXT NOT NULL,
  key            TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  status_code    INTEGER NOT NULL,
  response       TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  PRIMARY KEY (principal, key)
);
CREATE INDEX evidence_entries_subject ON evidence_entries (subject, seq);
