/**
 * The patch policy: how long a pool may run an image after a newer one exists (its SLA), and which clock starts
 * the count. Pure: the policy file is parsed and validated elsewhere (services/policy-loader.ts).
 *
 * A rule applies to a pool when every selector it sets matches. Where several apply, the most specific wins:
 * rules are ranked by the most specific dimension they constrain, in the order
 * pool > cluster > resource group > tags > mode > subscription, then by how many dimensions they constrain,
 * then by their order in the file (earlier wins). A rule that decided is named in each pool's `policyRule`;
 * with no rule applying, the `default` rule (IMAGEWARDEN_PATCH_SLA_DAYS and the release clock) decides.
 */
export type PatchClock = 'release' | 'regional_availability';

/** Which pools a rule or a report scope covers. Every selector set must match; lists match any of their entries. */
export interface Selector {
  readonly subscriptions?: readonly string[];
  readonly resourceGroups?: readonly string[];
  /** Cluster names or full cluster ARM ids. */
  readonly clusters?: readonly string[];
  /** `<cluster name>/<pool name>` or a full agent pool ARM id. */
  readonly pools?: readonly string[];
  readonly modes?: readonly string[];
  /** Every `key: value` must be a tag of the cluster or of the pool (keys compare case-insensitively). */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface PolicyRule {
  readonly name: string;
  readonly match: Selector;
  readonly slaDays?: number;
  readonly clock?: PatchClock;
}

export interface Policy {
  readonly defaultSlaDays: number;
  readonly defaultClock: PatchClock;
  readonly rules: readonly PolicyRule[];
  readonly scopes: Readonly<Record<string, Selector>>;
  /** Rules for recorded upgrades (absent when the file sets none, so existing policies keep their content hash). */
  readonly upgrades?: readonly UpgradeRule[];
}

/** Approval and maintenance-window rules for the recorded upgrades of the pools a rule matches. */
export interface UpgradeRule {
  readonly name: string;
  readonly match: Selector;
  /** An admin other than the requester must approve the run (SOC 2 CC8.1, NIST CM-3). */
  readonly requireApproval?: boolean;
  /** Whether a run outside the cluster's maintenance window is refused (default: allowed and recorded). */
  readonly outsideWindow?: 'allow' | 'refuse';
}

/** The facts of a pool a selector can test. */
export interface PoolIdentity {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly clusterId: string;
  readonly clusterName: string;
  readonly poolName: string;
  readonly mode: string | null;
  readonly clusterTags: Readonly<Record<string, string>>;
  readonly poolTags: Readonly<Record<string, string>>;
}

export interface AppliedPolicy {
  readonly policyRule: string;
  readonly slaDays: number;
  readonly clock: PatchClock;
}

export const DEFAULT_RULE_NAME = 'default';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function tagsMatch(wanted: Readonly<Record<string, string>>, ...sources: Readonly<Record<string, string>>[]): boolean {
  return Object.entries(wanted).every(([key, value]) =>
    sources.some((tags) => Object.entries(tags).some(([k, v]) => same(k, key) && v === value)),
  );
}

function poolMatches(entry: string, pool: PoolIdentity): boolean {
  const fullId = /^(.*)\/agentpools\/([^/]+)$/i.exec(entry);
  if (fullId) return same(fullId[1]!, pool.clusterId) && same(fullId[2]!, pool.poolName);
  const slash = entry.lastIndexOf('/');
  return slash > 0 && same(entry.slice(0, slash), pool.clusterName) && same(entry.slice(slash + 1), pool.poolName);
}

export function selectorMatches(selector: Selector, pool: PoolIdentity): boolean {
  const any = (list: readonly string[] | undefined, test: (entry: string) => boolean) => list === undefined || list.some(test);
  return (
    any(selector.subscriptions, (s) => same(s, pool.subscriptionId)) &&
    any(selector.resourceGroups, (rg) => same(rg, pool.resourceGroup)) &&
    any(selector.clusters, (c) => (c.includes('/') ? same(c, pool.clusterId) : same(c, pool.clusterName))) &&
    any(selector.pools, (p) => poolMatches(p, pool)) &&
    any(selector.modes, (m) => pool.mode !== null && same(m, pool.mode)) &&
    (selector.tags === undefined || tagsMatch(selector.tags, pool.clusterTags, pool.poolTags))
  );
}

/** Specificity as a vector compared lexicographically: which dimensions a selector constrains, most specific first. */
function specificity(selector: Selector): number[] {
  const dimensions = [selector.pools, selector.clusters, selector.resourceGroups, selector.tags, selector.modes, selector.subscriptions];
  const flags: number[] = dimensions.map((d) => (d === undefined ? 0 : 1));
  return [...flags, flags.reduce((sum, flag) => sum + flag, 0)];
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The rule that decides for a pool, and the SLA and clock it sets (unset fields fall back to the defaults). */
export function applyPolicy(policy: Policy, pool: PoolIdentity): AppliedPolicy {
  let best: { rule: PolicyRule; rank: number[] } | null = null;
  for (const rule of policy.rules) {
    if (!selectorMatches(rule.match, pool)) continue;
    const rank = specificity(rule.match);
    if (best === null || compareSpecificity(rank, best.rank) > 0) best = { rule, rank };
  }
  if (best === null) return { policyRule: DEFAULT_RULE_NAME, slaDays: policy.defaultSlaDays, clock: policy.defaultClock };
  return {
    policyRule: best.rule.name,
    slaDays: best.rule.slaDays ?? policy.defaultSlaDays,
    clock: best.rule.clock ?? policy.defaultClock,
  };
}

/**
 * The upgrade rules for a run over `pools`: every rule that matches any of them applies — approval is required if
 * any asks for it, a run outside the window is refused if any refuses it.
 */
export function upgradeRulesFor(policy: Policy, pools: readonly PoolIdentity[]): { requireApproval: boolean; outsideWindow: 'allow' | 'refuse'; rule: string | null } {
  const matching = (policy.upgrades ?? []).filter((rule) => pools.some((pool) => selectorMatches(rule.match, pool)));
  return {
    requireApproval: matching.some((rule) => rule.requireApproval === true),
    outsideWindow: matching.some((rule) => rule.outsideWindow === 'refuse') ? 'refuse' : 'allow',
    rule: matching.map((rule) => rule.name).join(', ') || null,
  };
}

/** The default policy: every pool on IMAGEWARDEN_PATCH_SLA_DAYS from the release of the newer image. */
export function defaultPolicy(slaDays: number): Policy {
  return { defaultSlaDays: slaDays, defaultClock: 'release', rules: [], scopes: {} };
}
