-- The node-level cross-check (IMAGEWARDEN_NODE_CHECK_CRON): for each cluster, what ARM says each pool runs against
-- the `kubernetes.azure.com/node-image-version` labels of its nodes, read from the cluster's own API server.
-- Results are facts as observed (kept as evidence); node_mismatch findings are derived from them, like sla_breach
-- findings are derived from pool observations. Each completed check is also a ledger entry (node_check_completed).
CREATE TABLE node_checks (
  id           INTEGER PRIMARY KEY,
  trigger      TEXT NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli')),
  requested_by TEXT NOT NULL,
  owner        TEXT NOT NULL,              -- host:pid of the process running it
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  clusters     INTEGER NOT NULL DEFAULT 0,
  unreachable  INTEGER NOT NULL DEFAULT 0,
  mismatches   INTEGER NOT NULL DEFAULT 0,
  error        TEXT
);
CREATE UNIQUE INDEX node_checks_one_running ON node_checks (status) WHERE status = 'running';

CREATE TABLE node_check_results (
  check_id        INTEGER NOT NULL REFERENCES node_checks (id),
  cluster_key     TEXT NOT NULL,           -- lower-case ARM id
  cluster_id      TEXT NOT NULL,           -- as Azure returned it
  subscription_id TEXT NOT NULL,           -- lower-case
  pool_name       TEXT NOT NULL,           -- '' for a cluster-level outcome (API server unreachable)
  verdict         TEXT NOT NULL CHECK (verdict IN ('match', 'mismatch', 'no_nodes', 'skipped', 'unreachable')),
  pool_version    TEXT,                    -- what ARM says (confirmed by a live read for a mismatch)
  node_versions   TEXT NOT NULL DEFAULT '{}', -- JSON { label value: node count }
  detail          TEXT,                    -- JSON: why skipped or unreachable, the nodes of a mismatch
  PRIMARY KEY (check_id, cluster_key, pool_name)
);
CREATE INDEX node_check_results_pool ON node_check_results (cluster_key, pool_name, check_id);
