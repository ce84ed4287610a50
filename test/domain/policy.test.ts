import { describe, expect, it } from 'vitest';
import { applyPolicy, selectorMatches, type Policy, type PoolIdentity } from '../../src/domain/policy.js';
import { parsePolicy, PolicyFileError } from '../../src/services/policy-file.js';

const SUB_PROD = '11111111-2222-3333-4444-555555555555';
const SUB_DEV = '66666666-7777-8888-9999-000000000000';

const pool = (overrides: Partial<PoolIdentity> = {}): PoolIdentity => ({
  subscriptionId: SUB_PROD,
  resourceGroup: 'rg-payments',
  clusterId: `/subscriptions/${SUB_PROD}/resourcegroups/rg-payments/providers/Microsoft.ContainerService/managedClusters/aks-pay`,
  clusterName: 'aks-pay',
  poolName: 'system',
  mode: 'System',
  clusterTags: { env: 'prod' },
  poolTags: {},
  ...overrides,
});

const YAML = `
version: 1
defaults:
  slaDays: 30
rules:
  - name: prod
    match: { tags: { env: prod } }
    slaDays: 14
  - name: dev
    match: { tags: { env: dev } }
    slaDays: 60
  - name: dev-subscription
    match: { subscriptions: [${SUB_DEV}] }
    slaDays: 45
  - name: payments-rg
    match: { resourceGroups: [RG-Payments] }
    slaDays: 10
    clock: regional_availability
  - name: pay-system-pool
    match: { pools: [aks-pay/system] }
    slaDays: 7
  - name: user-pools-in-prod
    match: { modes: [User], tags: { env: prod } }
    slaDays: 21
scopes:
  cardholder:
    tags: { env: prod }
    subscriptions: [${SUB_PROD}, ${SUB_DEV}]
`;

describe('the patch policy', () => {
  const policy: Policy = parsePolicy(YAML, 'policy.yaml', 30);

  it.each([
    ['a pool named by cluster/pool', pool(), 'pay-system-pool', 7, 'release'],
    ['a resource group over tags', pool({ poolName: 'web', mode: 'User' }), 'payments-rg', 10, 'regional_availability'],
    ['tags + mode over tags alone', pool({ resourceGroup: 'rg-web', poolName: 'web', mode: 'User' }), 'user-pools-in-prod', 21, 'release'],
    ['a tag over a subscription', pool({ subscriptionId: SUB_DEV, resourceGroup: 'rg-x', poolName: 'x' }), 'prod', 14, 'release'],
    ['a pool tag counts like a cluster tag', pool({ resourceGroup: 'rg-x', poolName: 'x', clusterTags: {}, poolTags: { ENV: 'dev' } }), 'dev', 60, 'release'],
    ['a subscription when nothing more specific applies', pool({ subscriptionId: SUB_DEV, resourceGroup: 'rg-x', poolName: 'x', clusterTags: {} }), 'dev-subscription', 45, 'release'],
    ['the default when no rule applies', pool({ resourceGroup: 'rg-x', poolName: 'x', clusterTags: { env: 'Prod' } }), 'default', 30, 'release'],
  ])('most specific wins: %s', (_name, identity, rule, slaDays, clock) => {
    expect(applyPolicy(policy, identity)).toEqual({ policyRule: rule, slaDays, clock });
  });

  it('matches clusters by name or full id, pools by name or full id, case-insensitively', () => {
    const identity = pool();
    expect(selectorMatches({ clusters: ['AKS-PAY'] }, identity)).toBe(true);
    expect(selectorMatches({ clusters: [identity.clusterId.toUpperCase()] }, identity)).toBe(true);
    expect(selectorMatches({ pools: [`${identity.clusterId}/agentPools/SYSTEM`] }, identity)).toBe(true);
    expect(selectorMatches({ pools: ['aks-pay/web'] }, identity)).toBe(false);
    expect(selectorMatches({ tags: { env: 'PROD' } }, identity)).toBe(false); // tag values are exact
  });

  it('names report scopes', () => {
    expect(policy.scopes.cardholder).toEqual({ tags: { env: 'prod' }, subscriptions: [SUB_PROD, SUB_DEV] });
  });

  it('reads JSON as well as YAML, and takes IMAGEWARDEN_PATCH_SLA_DAYS where the file sets no default', () => {
    const json = parsePolicy(JSON.stringify({ version: 1, rules: [{ name: 'x', match: { modes: ['User'] }, slaDays: 5 }] }), 'p.json', 21);
    expect(json.defaultSlaDays).toBe(21);
    expect(applyPolicy(json, pool({ mode: 'User' }))).toEqual({ policyRule: 'x', slaDays: 5, clock: 'release' });
  });

  it.each([
    ['not YAML', 'rules: [', /not valid YAML/],
    ['no version', 'rules: []', /version/],
    ['an unknown key', 'version: 1\nrule: []', /rule/],
    ['a typo in a selector', 'version: 1\nrules: [{ name: a, match: { tag: { env: prod } } }]', /tag/],
    ['an empty selector', 'version: 1\nrules: [{ name: a, match: {} }]', /match/],
    ['a zero SLA', 'version: 1\nrules: [{ name: a, match: { modes: [User] }, slaDays: 0 }]', /slaDays/],
    ['an unknown clock', 'version: 1\ndefaults: { clock: discovery }', /clock/],
    ['a duplicate rule name', 'version: 1\nrules: [{ name: a, match: { modes: [User] } }, { name: a, match: { modes: [System] } }]', /twice/],
    ['the reserved name', 'version: 1\nrules: [{ name: default, match: { modes: [User] } }]', /reserved/],
  ])('refuses %s, naming the file', (_name, text, problem) => {
    expect(() => parsePolicy(text, '/etc/imagewarden/policy.yaml', 30)).toThrow(PolicyFileError);
    expect(() => parsePolicy(text, '/etc/imagewarden/policy.yaml', 30)).toThrow(problem);
    expect(() => parsePolicy(text, '/etc/imagewarden/policy.yaml', 30)).toThrow(/IMAGEWARDEN_POLICY_FILE \/etc\/imagewarden\/policy.yaml/);
  });
});
