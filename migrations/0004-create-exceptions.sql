-- Time-boxed risk acceptances. The request is immutable; every state change is an event row (who, when, why),
-- never an update in place. State at any moment is derived from the events: requested → approved → (expired at
-- expires_at by itself) | revoked; or rejected.
CREATE TABLE exceptions (
  id                   TEXT PRIMARY KEY,
  scope_kind           TEXT NOT NULL CHECK (scope_kind IN ('pool', 'cluster', 'subscription', 'tag')),
  scope                TEXT NOT NULL,   -- JSON { kind, clusterId?, poolName?, subscriptionId?, tag? } as requested
  reason               TEXT NOT NULL,
  compensating_control TEXT NOT NULL,
  ticket               TEXT NOT NULL,
  expires_at           TEXT NOT NULL,
  requested_by         TEXT NOT NULL,
  requested_at         TEXT NOT NULL
);
CREATE TABLE exception_events (
  id           INTEGER PRIMARY KEY,
  exception_id TEXT NOT NULL REFERENCES exceptions (id),
  action       TEXT NOT NULL CHECK (action IN ('approved', 'rejected', 'revoked')),
  actor        TEXT NOT NULL,
  at           TEXT NOT NULL,
  reason       TEXT
);
CREATE INDEX exception_events_exception ON exception_events (exception_id, id);
CREATE TRIGGER exceptions_no_update BEFORE UPDATE ON exceptions BEGIN SELECT RAISE(ABORT, 'exceptions are append-only'); END;
CREATE TRIGGER exceptions_no_delete BEFORE DELETE ON exceptions BEGIN SELECT RAISE(ABORT, 'exceptions are append-only'); END;
CREATE TRIGGER exception_events_no_update BEFORE UPDATE ON exception_events BEGIN SELECT RAISE(ABORT, 'exception_events are append-only'); END;
CREATE TRIGGER exception_events_no_delete BEFORE DELETE ON exception_events BEGIN SELECT RAISE(ABORT, 'exception_events are append-only'); END;
