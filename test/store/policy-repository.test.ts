import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/domain/policy.js';
import { createPolicyRepository, policyInForce } from '../../src/store/policy-repository.js';
import { openTestDatabase } from '../helpers/database.js';

describe('policy versions', () => {
  it('records a policy only when it changes, and answers which was in force at any moment', () => {
    const { db } = openTestDatabase();
    const policies = createPolicyRepository(db);
    expect(policyInForce(policies.list(), '2026-01-01T00:00:00Z')).toBeNull();
    const first = policies.record(defaultPolicy(30), null, 'system', '2026-09-01T00:00:00.000Z');
    expect(first.changed).toBe(true);
    expect(policies.record(defaultPolicy(30), null, 'system', '2026-09-15T00:00:00.000Z').changed).toBe(false);
    const stricter = { ...defaultPolicy(30), rules: [{ name: 'prod', match: { tags: { env: 'prod' } }, slaDays: 14 }] };
    expect(policies.record(stricter, '/etc/policy.yaml', 'system', '2026-10-01T00:00:00.000Z').changed).toBe(true);

    expect(policyInForce(policies.list(), '2026-09-20T00:00:00Z')?.policy).toEqual(defaultPolicy(30));
    expect(policyInForce(policies.list(), '2026-10-02T00:00:00Z')).toMatchObject({ policy: stricter, source: '/etc/policy.yaml' });
    // Before the first record, the first policy is the best knowledge there is.
    expect(policyInForce(policies.list(), '2026-08-01T00:00:00Z')?.id).toBe(first.version.id);
    expect(policies.list()).toHaveLength(2);
    expect(() => db.prepare('DELETE FROM policy_versions').run()).toThrow(/append-only/);
  });
});
