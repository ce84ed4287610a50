-- The evidence ledger: every evidence-bearing event, append-only and hash-chained. Each entry is also leaf
-- (seq - 1) of an RFC 9162 Merkle tree whose signed checkpoints allow inclusion and consistency proofs.
-- entry_hash = SHA-256 of the canonical JSON {seq, at, kind, subject, actor, bodySha256, prevHash}; the
-- Merkle leaf is SHA-256(0x00 || those same bytes). `body` holds canonical JSON exactly as it was hashed.
CREATE TABLE evidence_entries (
  seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
  at          TEXT NOT NULL,
  kind        TEXT NOT NULL,
  subject     TEXT,
  actor       TEXT NOT NULL,
  body        TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  entry_hash  TEXT NOT NULL
);
CREATE INDEX evidence_entries_kind ON evidence_entries (kind, subject);
-- Triggers stop bugs, not attackers: verification (hash chain, signed checkpoints, witness) catches the rest.
CREATE TRIGGER evidence_entries_no_update BEFORE UPDATE ON evidence_entries
BEGIN SELECT RAISE(ABORT, 'evidence_entries are append-only'); END;
CREATE TRIGGER evidence_entries_no_delete BEFORE DELETE ON evidence_entries
BEGIN SELECT RAISE(ABORT, 'evidence_entries are append-only'); END;

-- Public keys that signed checkpoints, each valid in [not_before, not_after). The private key lives in the data
-- dir (file mode 0600), never in the database. Rotation closes the old key's window: the only update allowed.
CREATE TABLE signing_keys (
  key_id      TEXT PRIMARY KEY,           -- 8 hex digits: the signed-note key hash
  name        TEXT NOT NULL,              -- the signed-note key name (the checkpoint origin)
  public_key  TEXT NOT NULL UNIQUE,       -- verifier key: name+keyid+base64(0x01 || Ed25519 public key)
  not_before  TEXT NOT NULL,
  not_after   TEXT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (not_after IS NULL) WHERE not_after IS NULL;
CREATE TRIGGER signing_keys_close_only BEFORE UPDATE ON signing_keys
WHEN OLD.not_after IS NOT NULL OR NEW.not_after IS NULL OR NEW.key_id IS NOT OLD.key_id OR NEW.name IS NOT OLD.name
  OR NEW.public_key IS NOT OLD.public_key OR NEW.not_before IS NOT OLD.not_before
BEGIN SELECT RAISE(ABORT, 'signing_keys are append-only; only not_after may be set, once'); END;
CREATE TRIGGER signing_keys_no_delete BEFORE DELETE ON signing_keys
BEGIN SELECT RAISE(ABORT, 'signing_keys are kept forever: old checkpoints verify with them'); END;

-- Signed checkpoints (C2SP tlog-checkpoint, Ed25519 signed note). `frontier` holds the Merkle compact range at
-- `size`, so the next checkpoint costs in proportion to the entries added since, not to the ledger's length.
CREATE TABLE evidence_checkpoints (
  id          INTEGER PRIMARY KEY,
  size        INTEGER NOT NULL CHECK (size >= 0),
  root_hash   TEXT NOT NULL,
  signed_at   TEXT NOT NULL,
  key_id      TEXT NOT NULL REFERENCES signing_keys (key_id),
  note        TEXT NOT NULL,
  frontier    TEXT NOT NULL,              -- JSON array of hex subtree roots, largest first
  consistency TEXT NOT NULL DEFAULT '[]'  -- JSON hex consistency proof from the previous checkpoint's size
);
CREATE INDEX evidence_checkpoints_size ON evidence_checkpoints (size);
CREATE TRIGGER evidence_checkpoints_no_update BEFORE UPDATE ON evidence_checkpoints
BEGIN SELECT RAISE(ABORT, 'evidence_checkpoints are append-only'); END;
CREATE TRIGGER evidence_checkpoints_no_delete BEFORE DELETE ON evidence_checkpoints
BEGIN SELECT RAISE(ABORT, 'evidence_checkpoints are append-only'); END;

-- Each checkpoint's delivery to each configured witness (a file on other storage, an HTTP endpoint).
CREATE TABLE witness_deliveries (
  id            INTEGER PRIMARY KEY,
  checkpoint_id INTEGER NOT NULL REFERENCES evidence_checkpoints (id),
  witness       TEXT NOT NULL,
  at            TEXT NOT NULL,
  error         TEXT                      -- NULL when delivered
);
CREATE INDEX witness_deliveries_checkpoint ON witness_deliveries (witness, checkpoint_id);

-- The last state of each finding as the ledger recorded it (finding_opened / finding_changed entries):
-- findings are derived from observations, and the ledger records each transition once.
CREATE TABLE finding_records (
  finding_id  TEXT PRIMARY KEY,
  state       TEXT NOT NULL,
  exception_id TEXT,
  seq         INTEGER NOT NULL REFERENCES evidence_entries (seq)
);

-- How far each periodic ledger job got (e.g. the finding sync): lets a new process resume without re-deriving history.
CREATE TABLE ledger_watermarks (
  name TEXT PRIMARY KEY,
  at   TEXT NOT NULL
);

-- The multiset digest of the observed state each committed snapshot left behind (see evidence/state-digest).
ALTER TABLE snapshots ADD COLUMN state_digest TEXT;
