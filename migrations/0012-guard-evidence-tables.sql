-- Retention (IMAGEWARDEN_RETENTION_DAYS) prunes operational records only. The records the ledger and stored
-- reports rest on refuse deletion here as the observation and ledger tables already do, so no pruning bug (and no
-- hand at the sqlite3 prompt without dropping a trigger) can take evidence away.
CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots
BEGIN SELECT RAISE(ABORT, 'snapshots are evidence and cannot be deleted'); END;
CREATE TRIGGER upgrade_runs_no_delete BEFORE DELETE ON upgrade_runs
BEGIN SELECT RAISE(ABORT, 'upgrade_runs are evidence and cannot be deleted'); END;
CREATE TRIGGER upgrade_pools_no_delete BEFORE DELETE ON upgrade_pools
BEGIN SELECT RAISE(ABORT, 'upgrade_pools are evidence and cannot be deleted'); END;
CREATE TRIGGER node_checks_no_delete BEFORE DELETE ON node_checks
BEGIN SELECT RAISE(ABORT, 'node_checks are evidence and cannot be deleted'); END;
CREATE TRIGGER node_check_results_no_delete BEFORE DELETE ON node_check_results
BEGIN SELECT RAISE(ABORT, 'node_check_results are evidence and cannot be deleted'); END;
CREATE TRIGGER finding_records_no_delete BEFORE DELETE ON finding_records
BEGIN SELECT RAISE(ABORT, 'finding_records are evidence and cannot be deleted'); END;
-- A revoked key stays, revoked: the actor names in evidence resolve to it.
CREATE TRIGGER api_keys_no_delete BEFORE DELETE ON api_keys
BEGIN SELECT RAISE(ABORT, 'api_keys are revoked, never deleted'); END;

-- What retention prunes, found by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX witness_deliveries_failed ON witness_deliveries (at) WHERE error IS NOT NULL;
