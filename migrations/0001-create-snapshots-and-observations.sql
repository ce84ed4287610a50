-- Fleet snapshots and what they observed.
-- Observations are kept as intervals: a row is valid from the snapshot that first saw its exact content
-- (valid_from) until the snapshot that saw it change or disappear (valid_to, NULL while still current).
-- A snapshot that observes no change therefore adds one row (its own), and the state seen by any past
-- snapshot S is exactly the rows with valid_from <= S AND (valid_to IS NULL OR valid_to > S).

CREATE TABLE snapshots (
  id            INTEGER PRIMARY KEY,
  status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
  trigger       TEXT NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli', 'upgrade')),
  scope         TEXT NOT NULL CHECK (scope IN ('fleet', 'cluster')),
  scope_cluster TEXT,                       -- lower-case cluster id when scope = 'cluster'
  requested_by  TEXT NOT NULL,
  owner         TEXT NOT NULL,              -- host:pid of the process that runs it
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  cluster_count INTEGER,
  pool_count    INTEGER,
  subscriptions TEXT NOT NULL DEFAULT '[]', -- JSON [{ id, status, error? }]: coverage proof
  warnings      TEXT NOT NULL DEFAULT '[]', -- JSON [{ code, message, ... }]
  error         TEXT,
  arm_calls     INTEGER,
  opened_rows   INTEGER,
  closed_rows   INTEGER
);
-- At most one snapshot runs at a time, across every process sharing the database.
CREATE UNIQUE INDEX snapshots_one_running ON snapshots (status) WHERE status = 'running';
CREATE INDEX snapshots_finished ON snapshots (finished_at) WHERE status IN ('succeeded', 'partial');

CREATE TABLE cluster_states (
  id              INTEGER PRIMARY KEY,
  cluster_key     TEXT NOT NULL,            -- lower-case ARM id (ARM ids compare case-insensitively)
  subscription_id TEXT NOT NULL,            -- lower-case
  valid_from      INTEGER NOT NULL REFERENCES snapshots (id),
  valid_to        INTEGER REFERENCES snapshots (id),
  content_hash    TEXT NOT NULL,
  data            TEXT NOT NULL             -- JSON ClusterObservation, ids as Azure returned them
);
CREATE INDEX cluster_states_current ON cluster_states (cluster_key) WHERE valid_to IS NULL;
CREATE INDEX cluster_states_interval ON cluster_states (valid_from, valid_to);

CREATE TABLE pool_states (
  id              INTEGER PRIMARY KEY,
  pool_key        TEXT NOT NULL,            -- lower-case cluster id + '/agentpools/' + lower-case pool name
  cluster_key     TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  location        TEXT NOT NULL,
  image_family    TEXT,                     -- NULL when the pool reports no parseable image
  valid_from      INTEGER NOT NULL REFERENCES snapshots (id),
  valid_to        INTEGER REFERENCES snapshots (id),
  content_hash    TEXT NOT NULL,
  data            TEXT NOT NULL             -- JSON PoolObservation without its cluster's fields (see cluster_states)
);
CREATE INDEX pool_states_current ON pool_states (pool_key) WHERE valid_to IS NULL;
CREATE INDEX pool_states_interval ON pool_states (valid_from, valid_to);

-- The latest node image AKS offers, per (subscription, location, image family), as imagewarden resolved it.
CREATE TABLE latest_image_states (
  id              INTEGER PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  location        TEXT NOT NULL,
  image_family    TEXT NOT NULL,
  version         TEXT NOT NULL,
  source_pool_key TEXT NOT NULL,            -- the pool whose upgrade profile answered
  valid_from      INTEGER NOT NULL REFERENCES snapshots (id),
  valid_to        INTEGER REFERENCES snapshots (id)
);
CREATE INDEX latest_image_states_current ON latest_image_states (subscription_id, location, image_family)
  WHERE valid_to IS NULL;
CREATE INDEX latest_image_states_interval ON latest_image_states (valid_from, valid_to);
CREATE INDEX latest_image_states_family ON latest_image_states (location, image_family, version);

-- Observations are evidence: the only change ever allowed is closing an open interval.
CREATE TRIGGER cluster_states_close_only BEFORE UPDATE ON cluster_states
WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR NEW.id IS NOT OLD.id OR NEW.cluster_key IS NOT OLD.cluster_key
  OR NEW.subscription_id IS NOT OLD.subscription_id OR NEW.valid_from IS NOT OLD.valid_from
  OR NEW.content_hash IS NOT OLD.content_hash OR NEW.data IS NOT OLD.data
BEGIN SELECT RAISE(ABORT, 'cluster_states rows are append-only; only valid_to may be set, once'); END;
CREATE TRIGGER pool_states_close_only BEFORE UPDATE ON pool_states
WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR NEW.id IS NOT OLD.id OR NEW.pool_key IS NOT OLD.pool_key
  OR NEW.cluster_key IS NOT OLD.cluster_key OR NEW.subscription_id IS NOT OLD.subscription_id
  OR NEW.location IS NOT OLD.location OR NEW.image_family IS NOT OLD.image_family
  OR NEW.valid_from IS NOT OLD.valid_from OR NEW.content_hash IS NOT OLD.content_hash OR NEW.data IS NOT OLD.data
BEGIN SELECT RAISE(ABORT, 'pool_states rows are append-only; only valid_to may be set, once'); END;
CREATE TRIGGER latest_image_states_close_only BEFORE UPDATE ON latest_image_states
WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR NEW.id IS NOT OLD.id
  OR NEW.subscription_id IS NOT OLD.subscription_id OR NEW.location IS NOT OLD.location
  OR NEW.image_family IS NOT OLD.image_family OR NEW.version IS NOT OLD.version
  OR NEW.source_pool_key IS NOT OLD.source_pool_key OR NEW.valid_from IS NOT OLD.valid_from
BEGIN SELECT RAISE(ABORT, 'latest_image_states rows are append-only; only valid_to may be set, once'); END;
CREATE TRIGGER cluster_states_no_delete BEFORE DELETE ON cluster_states
BEGIN SELECT RAISE(ABORT, 'cluster_states rows are evidence and cannot be deleted'); END;
CREATE TRIGGER pool_states_no_delete BEFORE DELETE ON pool_states
BEGIN SELECT RAISE(ABORT, 'pool_states rows are evidence and cannot be deleted'); END;
CREATE TRIGGER latest_image_states_no_delete BEFORE DELETE ON latest_image_states
BEGIN SELECT RAISE(ABORT, 'latest_image_states rows are evidence and cannot be deleted'); END;

-- Ordered scans of the state at a past snapshot (cursor paging by key).
CREATE INDEX pool_states_key ON pool_states (pool_key, valid_from);
CREATE INDEX cluster_states_key ON cluster_states (cluster_key, valid_from);
