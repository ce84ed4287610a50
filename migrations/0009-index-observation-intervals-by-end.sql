-- A report walks its period day by day, each day as the one before plus the intervals that opened or closed in
-- between (StateRepository.poolsAcross). Intervals that opened are found by valid_from (the *_interval indexes);
-- these find the ones that closed, so a day costs in proportion to what changed (bench/report).
CREATE INDEX pool_states_closed ON pool_states (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX cluster_states_closed ON cluster_states (valid_to) WHERE valid_to IS NOT NULL;
