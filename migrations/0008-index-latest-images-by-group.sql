-- Reading a past snapshot joins each pool to its group's latest image (subscription, location, family) valid then.
-- Without this index SQLite probed by (location, family) only and filtered ~100 rows per pool: a 30-day report over
-- 40,000 pools spent ~19 s there (bench/report).
CREATE INDEX latest_image_states_group ON latest_image_states (subscription_id, location, image_family, valid_from);
