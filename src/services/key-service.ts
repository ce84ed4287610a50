import { randomBytes } from 'node:crypto';
import { conflict, invalidInput, notFound } from '../domain/errors.js';
import type { Principal, Role } from '../domain/roles.js';
import { sha256Hex } from '../lib/canonical-json.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { ApiKeyRecord, ApiKeyRepository } from '../store/api-key-repository.js';
import type { SessionRepository } from '../store/session-repository.js';
import type { EvidenceSink } from '../evidence/ledger.js';

export interface KeyServiceDeps {
  readonly db: Db;
  readonly keys: ApiKeyRepository;
  /** Browser sessions signed in with a key end when it is revoked (they are also checked on every request). */
  readonly sessions?: Pick<SessionRepository, 'endForKey'>;
  readonly evidence: EvidenceSink;
  readonly now: () => Date;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type KeyService = ReturnType<typeof createKeyService>;

/**
 * API keys: 256 random bits, shown once, stored as SHA-256 (a fast hash is right for high-entropy secrets;
 * slow hashes protect guessable passwords). Creation and revocation are audited.
 */
export function createKeyService(deps: KeyServiceDeps) {
  return {
    create(input: { name: string; role: Role; expiresAt: string | null; actor: string }): { key: string; record: ApiKeyRecord } {
      if (!KEY_NAME.test(input.name)) {
        throw invalidInput('invalid_key_name', 'key names are 1-64 letters, digits, dots, dashes or underscores');
      }
      const now = deps.now();
      if (input.expiresAt !== null && !(Date.parse(input.expiresAt) > now.getTime())) {
        throw invalidInput('invalid_expiry', 'expiresAt must be a date-time in the future');
      }
      const key = `iw_${randomBytes(32).toString('base64url')}`;
      const created = writeTransaction(deps.db, () => {
        if (deps.keys.findByName(input.name)) throw conflict('key_name_taken', `an API key named ${input.name} exists already`);
        const record = deps.keys.insert({
          name: input.name,
          role: input.role,
          keyHash: sha256Hex(key),
          keyPrefix: key.slice(0, 7),
          createdAt: now.toISOString(),
          createdBy: input.actor,
          expiresAt: input.expiresAt === null ? null : new Date(input.expiresAt).toISOString(),
        });
        deps.evidence.append({
          kind: 'api_key_created',
          subject: `key:${record.name}`,
          actor: input.actor,
          body: { name: record.name, role: record.role, createdAt: record.createdAt, expiresAt: record.expiresAt, keyPrefix: record.keyPrefix },
        });
        return { key, record };
      });
      deps.evidence.checkpoint();
      return created;
    },

    revoke(name: string, actor: string): ApiKeyRecord {
      const revoked = writeTransaction(deps.db, () => {
        const existing = deps.keys.findByName(name);
        if (!existing) throw notFound('key_not_found', `no API key named ${name}`);
        if (existing.revokedAt !== null) throw conflict('invalid_state', `API key ${name} is revoked already`);
        const at = deps.now().toISOString();
        deps.keys.revoke(name, at, actor);
        deps.sessions?.endForKey(name, at, 'key_revoked');
        deps.evidence.append({ kind: 'api_key_revoked', subject: `key:${name}`, actor, body: { name, role: existing.role, revokedAt: at } });
        return deps.keys.findByName(name)!;
      });
      deps.evidence.checkpoint();
      return revoked;
    },

    list(): ApiKeyRecord[] {
      return deps.keys.list();
    },

    /** The principal a presented key stands for, or null when it is unknown, revoked or expired. */
    authenticate(presented: string): Principal | null {
      const record = deps.keys.findByHash(sha256Hex(presented));
      if (!record || record.revokedAt !== null) return null;
      if (record.expiresAt !== null && Date.parse(record.expiresAt) <= deps.now().getTime()) return null;
      return { actor: `key:${record.name}`, role: record.role };
    },
  };
}
