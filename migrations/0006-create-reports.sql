-- Audit reports. Every format is rendered once, at creation, into <data dir>/reports/<id>/ and never again: a
-- download returns those bytes, whose SHA-256 the evidence ledger recorded (report_generated) when it became ready.
CREATE TABLE reports (
  id            TEXT PRIMARY KEY,
  status        TEXT NOT NULL CHECK (status IN ('running', 'ready', 'failed')),
  period_from   TEXT NOT NULL,
  period_to     TEXT NOT NULL,
  period_label  TEXT NOT NULL,
  scope         TEXT,
  requested_by  TEXT NOT NULL,
  requested_at  TEXT NOT NULL,
  owner         TEXT NOT NULL,                 -- host:pid generating it (an interrupted run is marked failed)
  finished_at   TEXT,
  error         TEXT,
  artifacts     TEXT NOT NULL DEFAULT '[]',    -- JSON [{ format, fileName, sha256, bytes }]
  population    TEXT,                          -- JSON { rows, sha256, fileName, bytes }
  ledger_seq    INTEGER REFERENCES evidence_entries (seq)
);
CREATE INDEX reports_requested ON reports (requested_at);
-- A report is finished once: ready or failed, and then it never changes.
CREATE TRIGGER reports_finish_once BEFORE UPDATE ON reports
WHEN OLD.status <> 'running' OR NEW.id IS NOT OLD.id OR NEW.period_from IS NOT OLD.period_from OR NEW.period_to IS NOT OLD.period_to
  OR NEW.scope IS NOT OLD.scope OR NEW.requested_by IS NOT OLD.requested_by OR NEW.requested_at IS NOT OLD.requested_at
BEGIN SELECT RAISE(ABORT, 'a finished report never changes'); END;
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports
BEGIN SELECT RAISE(ABORT, 'reports are evidence and cannot be deleted'); END;
