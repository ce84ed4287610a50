import type { Policy } from '../domain/policy.js';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.js';
import { writeTransaction, type Db } from './database.js';

export interface PolicyVersion {
  readonly id: number;
  readonly effectiveFrom: string;
  readonly contentHash: string;
  readonly policy: Policy;
  readonly source: string | null;
}

interface PolicyRow {
  id: number;
  effective_from: string;
  content_hash: string;
  policy: string;
  source: string | null;
}

const toVersion = (row: PolicyRow): PolicyVersion => ({
  id: row.id,
  effectiveFrom: row.effective_from,
  contentHash: row.content_hash,
  policy: JSON.parse(row.policy) as Policy,
  source: row.source,
});

export type PolicyRepository = ReturnType<typeof createPolicyRepository>;

/** The effective patch policy over time, so a status at a past moment is computed with the policy then in force. */
export function createPolicyRepository(db: Db) {
  const latest = db.prepare('SELECT * FROM policy_versions ORDER BY id DESC LIMIT 1');
  return {
    /** Records `policy` as in force from `at` unless it is already the policy in force. Returns the version in force. */
    record(
      policy: Policy,
      source: string | null,
      recordedBy: string,
      at: string,
      evidence?: (version: PolicyVersion) => void,
    ): { version: PolicyVersion; changed: boolean } {
      const content = canonicalJson(policy);
      const hash = sha256Hex(content);
      return writeTransaction(db, () => {
        const current = latest.get() as PolicyRow | undefined;
        if (current?.content_hash === hash) return { version: toVersion(current), changed: false };
        db.prepare('INSERT INTO policy_versions (effective_from, content_hash, policy, source, recorded_by) VALUES (?, ?, ?, ?, ?)').run(
          at,
          hash,
          content,
          source,
          recordedBy,
        );
        const version = toVersion(latest.get() as PolicyRow);
        evidence?.(version);
        return { version, changed: true };
      });
    },

    list(): PolicyVersion[] {
      return (db.prepare('SELECT * FROM policy_versions ORDER BY id').all() as PolicyRow[]).map(toVersion);
    },
  };
}

/** The version in force at `at`: the last recorded at or before it, else the first ever recorded (versions in order). */
export function policyInForce(versions: readonly PolicyVersion[], at: string): PolicyVersion | null {
  let inForce = versions[0] ?? null;
  for (const version of versions) if (version.effectiveFrom <= at) inForce = version;
  return inForce;
}
