-- Signed webhooks (IMAGEWARDEN_WEBHOOK_URL, docs/webhooks.md). webhook_alerts is what the evaluator compares the
-- conditions of each run against: a condition fires once when it starts holding and resolves once when it stops.
-- webhook_deliveries is the outbox: a state change and the deliveries it causes are written in one transaction, and
-- sent after it commits, so a restart neither sends one twice (the state says it was enqueued) nor loses one (it is
-- still pending). Both are working state, not evidence: rows change as deliveries are attempted.
CREATE TABLE webhook_alerts (
  key        TEXT PRIMARY KEY,              -- event, or event:subject (a pool, an exception, a run)
  event      TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('pending', 'firing')),
  since      TEXT NOT NULL,                 -- when the condition was first seen holding
  details    TEXT NOT NULL DEFAULT '{}',    -- JSON: what the resolved delivery repeats
  updated_at TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
  seq              INTEGER PRIMARY KEY,     -- enqueue order; the list cursor
  id               TEXT NOT NULL UNIQUE,    -- X-Imagewarden-Delivery: receivers deduplicate on it
  event            TEXT NOT NULL,
  alert_status     TEXT NOT NULL CHECK (alert_status IN ('firing', 'resolved')),
  summary          TEXT NOT NULL,
  payload          TEXT NOT NULL,           -- the exact body, the same on every attempt (only the signature's t changes)
  status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  next_attempt_at  TEXT,                    -- null once delivered or failed
  last_attempt_at  TEXT,
  last_status_code INTEGER,                 -- null when no HTTP answer came
  last_error       TEXT,
  delivered_at     TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
