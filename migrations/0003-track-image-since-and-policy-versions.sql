-- When each pool was first observed on its current image: carried forward when a pool's other fields change,
-- so "how long has this pool run this image" needs no walk through its history.
-- The append-only guard is replaced (with the new columns in it) around the backfill.
DROP TRIGGER pool_states_close_only;
ALTER TABLE pool_states ADD COLUMN image_since INTEGER REFERENCES snapshots (id);
-- The pool's image in its own column: walking a pool's history of images needs no JSON.
ALTER TABLE pool_states ADD COLUMN node_image_version TEXT;
UPDATE pool_states SET node_image_version = json_extract(data, '$.nodeImageVersion');
CREATE TRIGGER pool_states_close_only BEFORE UPDATE ON pool_states
WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR NEW.id IS NOT OLD.id OR NEW.pool_key IS NOT OLD.pool_key
  OR NEW.cluster_key IS NOT OLD.cluster_key OR NEW.subscription_id IS NOT OLD.subscription_id
  OR NEW.location IS NOT OLD.location OR NEW.image_family IS NOT OLD.image_family
  OR NEW.valid_from IS NOT OLD.valid_from OR NEW.content_hash IS NOT OLD.content_hash OR NEW.data IS NOT OLD.data
  OR NEW.image_since IS NOT OLD.image_since OR NEW.node_image_version IS NOT OLD.node_image_version
BEGIN SELECT RAISE(ABORT, 'pool_states rows are append-only; only valid_to may be set, once'); END;

-- The patch policy in force over time: each distinct effective policy, from the moment a service started with it.
-- Statuses at a past moment are computed with the policy that was in force then.
CREATE TABLE policy_versions (
  id             INTEGER PRIMARY KEY,
  effective_from TEXT NOT NULL,
  content_hash   TEXT NOT NULL,
  policy         TEXT NOT NULL,   -- canonical JSON of the effective policy (file + IMAGEWARDEN_PATCH_SLA_DAYS)
  source         TEXT,            -- the policy file path, or NULL for the built-in default
  recorded_by    TEXT NOT NULL
);
CREATE INDEX policy_versions_effective ON policy_versions (effective_from);
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions are append-only'); END;
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions are append-only'); END;
