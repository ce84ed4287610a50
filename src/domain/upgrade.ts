import { compareNodeImageVersions, imageFamilyOf } from './node-image.js';
import type { WindowStatus } from './maintenance-window.js';

export type RunStatus = 'pending_approval' | 'queued' | 'running' | 'succeeded' | 'failed' | 'aborted' | 'blocked' | 'expired';
export type UpgradePoolStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'not_attempted' | 'aborted';
export type Verdict = 'ok' | 'warn' | 'block';

export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['pending_approval', 'queued', 'running'];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'aborted', 'blocked', 'expired'];

export interface Precheck {
  readonly name: string;
  readonly verdict: Verdict;
  readonly observed: Record<string, unknown>;
}

/** A pool as the pre-checks read it from ARM just now. */
export interface ObservedPool {
  readonly name: string;
  readonly mode: string | null;
  readonly provisioningState: string | null;
  readonly nodeImageVersion: string | null;
  readonly latestNodeImageVersion: string | null;
  readonly kubernetesVersion: string | null;
  readonly count: number | null;
  readonly enableAutoScaling: boolean;
  readonly minCount: number | null;
  readonly maxCount: number | null;
  readonly upgradeSettings: { maxSurge?: string; maxUnavailable?: string; drainTimeoutInMinutes?: number; nodeSoakDurationInMinutes?: number } | null;
}

export interface ObservedCluster {
  readonly id: string;
  readonly provisioningState: string | null;
  readonly powerState: string | null;
  readonly kubernetesVersion: string | null;
  readonly nodeOSUpgradeChannel: string | null;
  readonly pools: readonly ObservedPool[];
}

/** What the policy file says about upgrades of this cluster (see docs/policy.md). */
export interface UpgradeRules {
  readonly requireApproval: boolean;
  readonly outsideWindow: 'allow' | 'refuse';
  readonly rule: string | null;
}

export interface PlanInput {
  readonly cluster: ObservedCluster;
  readonly requestedPools?: readonly string[];
  readonly window: WindowStatus;
  readonly rules: UpgradeRules;
  readonly overrideWindow?: { readonly reason: string } | undefined;
}

export interface PlannedPool {
  readonly poolName: string;
  /** `skipped` when already on its latest image. */
  readonly status: 'pending' | 'skipped';
  readonly imageBefore: string | null;
  readonly targetImage: string | null;
  readonly kubernetesVersionBefore: string | null;
}

export class PlanError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

/** Behind its latest image (same family, strictly older). A pool whose images cannot be compared is not behind. */
export function isBehind(pool: Pick<ObservedPool, 'nodeImageVersion' | 'latestNodeImageVersion'>): boolean {
  if (pool.nodeImageVersion === null || pool.latestNodeImageVersion === null) return false;
  if (imageFamilyOf(pool.nodeImageVersion) !== imageFamilyOf(pool.latestNodeImageVersion)) return false;
  return (compareNodeImageVersions(pool.nodeImageVersion, pool.latestNodeImageVersion) ?? 0) < 0;
}

/**
 * The pools to upgrade, in order: as given (each must exist), else every pool behind its latest image — User pools
 * before System pools (the system pool keeps the cluster's own services; it goes last), then by name.
 */
export function planPools(cluster: ObservedCluster, requested?: readonly string[]): PlannedPool[] {
  const byName = new Map(cluster.pools.map((pool) => [pool.name.toLowerCase(), pool]));
  let chosen: ObservedPool[];
  if (requested && requested.length > 0) {
    const unknown = requested.filter((name) => !byName.has(name.toLowerCase()));
    if (unknown.length > 0) throw new PlanError('unknown_pool', `no agent pool ${unknown.join(', ')} in the cluster`, { pools: unknown });
    const seen = new Set<string>();
    chosen = requested.filter((name) => !seen.has(name.toLowerCase()) && seen.add(name.toLowerCase())).map((name) => byName.get(name.toLowerCase())!);
  } else {
    chosen = cluster.pools
      .filter(isBehind)
      .sort((a, b) => Number(a.mode === 'System') - Number(b.mode === 'System') || a.name.localeCompare(b.name));
  }
  return chosen.map((pool) => ({
    poolName: pool.name,
    status: isBehind(pool) ? 'pending' : 'skipped',
    imageBefore: pool.nodeImageVersion,
    targetImage: pool.latestNodeImageVersion,
    kubernetesVersionBefore: pool.kubernetesVersion,
  }));
}

/** Every pre-check with what it observed and its verdict (block / warn / ok). */
export function prechecks(input: PlanInput, planned: readonly PlannedPool[]): Precheck[] {
  const { cluster, window, rules } = input;
  const checks: Precheck[] = [];
  const clusterOk = (cluster.provisioningState ?? 'Succeeded') === 'Succeeded' && (cluster.powerState ?? 'Running') === 'Running';
  checks.push({ name: 'cluster_state', verdict: clusterOk ? 'ok' : 'block', observed: { provisioningState: cluster.provisioningState, powerState: cluster.powerState } });
  checks.push({
    name: 'kubernetes_versions',
    verdict: 'ok',
    observed: { cluster: cluster.kubernetesVersion, pools: Object.fromEntries(cluster.pools.map((p) => [p.name, p.kubernetesVersion])) },
  });
  const byName = new Map(cluster.pools.map((pool) => [pool.name, pool]));
  for (const plan of planned) {
    const pool = byName.get(plan.poolName)!;
    const stateOk = (pool.provisioningState ?? 'Succeeded') === 'Succeeded';
    checks.push({ name: `pool_state:${pool.name}`, verdict: stateOk ? 'ok' : 'block', observed: { provisioningState: pool.provisioningState } });
    checks.push({
      name: `image:${pool.name}`,
      verdict: 'ok',
      observed: { current: pool.nodeImageVersion, latest: pool.latestNodeImageVersion, action: plan.status === 'skipped' ? 'skip (already current)' : 'upgrade' },
    });
    checks.push(surgeCheck(pool));
    if (pool.enableAutoScaling) {
      checks.push({ name: `autoscaler:${pool.name}`, verdict: 'ok', observed: { minCount: pool.minCount, maxCount: pool.maxCount, count: pool.count } });
    }
  }
  const automatic = cluster.nodeOSUpgradeChannel === 'NodeImage' || cluster.nodeOSUpgradeChannel === 'SecurityPatch';
  checks.push({
    name: 'node_os_upgrade_channel',
    verdict: automatic ? 'warn' : 'ok',
    observed: { channel: cluster.nodeOSUpgradeChannel, ...(automatic ? { note: 'an automatic channel may start its own node image upgrade and race this run' } : {}) },
  });
  checks.push(windowCheck(window, rules, input.overrideWindow));
  checks.push({ name: 'approval', verdict: 'ok', observed: { required: rules.requireApproval, rule: rules.rule } });
  return checks;
}

function surgeCheck(pool: ObservedPool): Precheck {
  const settings = pool.upgradeSettings ?? {};
  const observed = { maxSurge: settings.maxSurge ?? null, maxUnavailable: settings.maxUnavailable ?? null, drainTimeoutInMinutes: settings.drainTimeoutInMinutes ?? null, nodeSoakDurationInMinutes: settings.nodeSoakDurationInMinutes ?? null, count: pool.count };
  if (settings.maxSurge === undefined) return { name: `upgrade_settings:${pool.name}`, verdict: 'warn', observed: { ...observed, note: 'no maxSurge set: AKS uses its default (10%)' } };
  if (settings.maxSurge === '1' && (pool.count ?? 0) > 10) {
    return { name: `upgrade_settings:${pool.name}`, verdict: 'warn', observed: { ...observed, note: 'a surge of one node on a large pool makes a long upgrade' } };
  }
  return { name: `upgrade_settings:${pool.name}`, verdict: 'ok', observed };
}

function windowCheck(window: WindowStatus, rules: UpgradeRules, override: { reason: string } | undefined): Precheck {
  const observed = { source: window.source, inWindow: window.inWindow, windowStart: window.windowStart, windowEnd: window.windowEnd, policy: rules.outsideWindow, rule: rules.rule };
  if (window.source === null) return { name: 'maintenance_window', verdict: 'ok', observed: { ...observed, note: 'no maintenance window configured' } };
  if (window.inWindow) return { name: 'maintenance_window', verdict: 'ok', observed };
  if (override) return { name: 'maintenance_window', verdict: 'warn', observed: { ...observed, overriddenBecause: override.reason } };
  return { name: 'maintenance_window', verdict: rules.outsideWindow === 'refuse' ? 'block' : 'warn', observed: { ...observed, note: 'outside the maintenance window' } };
}

/** Post-check: any image of the same family at or above the target counts (a newer weekly image may land mid-run). */
export function installedMeetsTarget(installed: string | null, target: string | null): boolean {
  if (installed === null || target === null) return false;
  if (imageFamilyOf(installed) !== imageFamilyOf(target)) return false;
  return (compareNodeImageVersions(installed, target) ?? -1) >= 0;
}
