import type { Role } from '../domain/roles.js';
import type { Db } from './database.js';

export interface ApiKeyRecord {
  readonly name: string;
  readonly role: Role;
  readonly keyPrefix: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
}

interface ApiKeyRow {
  name: string;
  role: Role;
  key_prefix: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

const toRecord = (row: ApiKeyRow): ApiKeyRecord => ({
  name: row.name,
  role: row.role,
  keyPrefix: row.key_prefix,
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
});

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;

export function createApiKeyRepository(db: Db) {
  const byHash = db.prepare('SELECT * FROM api_keys WHERE key_hash = ?');
  const byName = db.prepare('SELECT * FROM api_keys WHERE name = ?');
  return {
    insert(input: { name: string; role: Role; keyHash: string; keyPrefix: string; createdAt: string; createdBy: string; expiresAt: string | null }) {
      db.prepare(
        `INSERT INTO api_keys (name, role, key_hash, key_prefix, created_at, created_by, expires_at)
         VALUES (@name, @role, @keyHash, @keyPrefix, @createdAt, @createdBy, @expiresAt)`,
      ).run(input);
      return toRecord(byName.get(input.name) as ApiKeyRow);
    },
    findByHash(keyHash: string): ApiKeyRecord | null {
      const row = byHash.get(keyHash) as ApiKeyRow | undefined;
      return row ? toRecord(row) : null;
    },
    findByName(name: string): ApiKeyRecord | null {
      const row = byName.get(name) as ApiKeyRow | undefined;
      return row ? toRecord(row) : null;
    },
    revoke(name: string, revokedAt: string, revokedBy: string): boolean {
      return (
        db.prepare('UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL').run(revokedAt, revokedBy, name)
          .changes === 1
      );
    },
    list(): ApiKeyRecord[] {
      return (db.prepare('SELECT * FROM api_keys ORDER BY name').all() as ApiKeyRow[]).map(toRecord);
    },
  };
}
