import { readFileSync } from 'node:fs';
import { isReservedWorkload } from './kubernetes/workloads.js';
import type { FaultPlan, FleetCluster, FleetFile } from './types.js';

/** Reads and checks a fleet file (JSON). Templates stay unexpanded: the emulator expands them at start. */
export function loadFleetFile(path: string): FleetFile {
  return assertFleetFile(readJson(path), path);
}

/** Reads and checks a fault plan file (JSON). */
export function loadFaultPlan(path: string): FaultPlan {
  return assertFaultPlan(readJson(path), path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

const ACCESS = new Set(['read', 'silent', 'forbidden']);
const AUTHENTICATION = new Set(['entra', 'local']);
const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
/** DNS-1123 labels; workload names stay short enough for `<name>-<hash>-<suffix>` pod names. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const WORKLOAD_NAME = /^[a-z0-9]([-a-z0-9]{0,44}[a-z0-9])?$/;

/**
 * Checks the shape of a fleet (every problem listed at once) so a typo in a hand-written fleet file fails at
 * start, not as a confusing 500 halfway through a test.
 */
export function assertFleetFile(value: unknown, source = 'fleet'): FleetFile {
  const problems: string[] = [];
  const fleet = value as FleetFile;
  if (!isObject(value)) throw new Error(`${source}: not a JSON object`);
  if (typeof fleet.tenantId !== 'string') problems.push('tenantId must be a string');
  if (fleet.images !== undefined && !isObject(fleet.images)) problems.push('images must be an object');
  if (!Array.isArray(fleet.subscriptions)) problems.push('subscriptions must be an array');
  const seen = new Set<string>();
  (Array.isArray(fleet.subscriptions) ? fleet.subscriptions : []).forEach((sub, i) => {
    const at = `subscriptions[${i}]`;
    if (typeof sub?.id !== 'string') problems.push(`${at}.id must be a string`);
    if (sub?.access !== undefined && !ACCESS.has(sub.access)) problems.push(`${at}.access must be read|silent|forbidden`);
    if (!Array.isArray(sub?.clusters)) return problems.push(`${at}.clusters must be an array`);
    sub.clusters.forEach((cluster, j) => {
      const c = `${at}.clusters[${j}]`;
      for (const key of ['name', 'resourceGroup', 'location', 'kubernetesVersion'] as const) {
        if (typeof cluster?.[key] !== 'string') problems.push(`${c}.${key} must be a string`);
      }
      if (cluster?.authentication !== undefined && !AUTHENTICATION.has(cluster.authentication)) problems.push(`${c}.authentication must be entra|local`);
      const id = `${sub.id}/${cluster?.resourceGroup}/${cluster?.name}`.toLowerCase();
      if (seen.has(id)) problems.push(`${c}: duplicate cluster ${cluster.name}`);
      seen.add(id);
      if (!Array.isArray(cluster?.agentPools)) return problems.push(`${c}.agentPools must be an array`);
      const names = new Set<string>();
      cluster.agentPools.forEach((pool, k) => {
        const p = `${c}.agentPools[${k}]`;
        if (typeof pool?.name !== 'string' || !POOL_NAME.test(pool.name)) problems.push(`${p}.name must match ${POOL_NAME}`);
        else if (names.has(pool.name)) problems.push(`${p}: duplicate pool ${pool.name}`);
        names.add(pool?.name);
        if (pool?.nodeImageVersion !== null && typeof pool?.nodeImageVersion !== 'string') {
          problems.push(`${p}.nodeImageVersion must be a string or null`);
        }
      });
      checkKubernetes(cluster, c, problems);
      return undefined;
    });
    return undefined;
  });
  if (problems.length > 0) throw new Error(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  return fleet;
}

/** The optional `kubernetes.workloads` of a cluster: Deployments on existing pools, optionally with a PDB. */
function checkKubernetes(cluster: FleetCluster, at: string, problems: string[]): void {
  if (cluster.kubernetes === undefined) return;
  if (!isObject(cluster.kubernetes)) return void problems.push(`${at}.kubernetes must be an object`);
  const workloads = cluster.kubernetes.workloads;
  if (workloads === undefined) return;
  if (!Array.isArray(workloads)) return void problems.push(`${at}.kubernetes.workloads must be an array`);
  const pools = new Set(cluster.agentPools.map((pool) => pool?.name));
  const seen = new Set<string>();
  workloads.forEach((workload, i) => {
    const w = `${at}.kubernetes.workloads[${i}]`;
    if (!isObject(workload)) return void problems.push(`${w} must be an object`);
    const { namespace, name, pool, replicas, pdb } = workload;
    if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) problems.push(`${w}.namespace must be a DNS label (${NAMESPACE})`);
    if (typeof name !== 'string' || !WORKLOAD_NAME.test(name)) problems.push(`${w}.name must match ${WORKLOAD_NAME}`);
    else if (typeof namespace === 'string') {
      if (seen.has(`${namespace}/${name}`)) problems.push(`${w}: duplicate workload ${namespace}/${name}`);
      if (isReservedWorkload(namespace, name, [...pools])) problems.push(`${w}: ${namespace}/${name} is one of the emulator's own workloads`);
      seen.add(`${namespace}/${name}`);
    }
    if (typeof pool !== 'string' || !pools.has(pool)) problems.push(`${w}.pool must name one of the cluster's agent pools`);
    if (!Number.isInteger(replicas) || replicas < 0) problems.push(`${w}.replicas must be an integer ≥ 0`);
    if (pdb === undefined) return undefined;
    if (!isObject(pdb)) return void problems.push(`${w}.pdb must be an object`);
    const given = (['minAvailable', 'maxUnavailable'] as const).filter((key) => pdb[key] !== undefined);
    if (given.length !== 1) problems.push(`${w}.pdb needs exactly one of minAvailable, maxUnavailable`);
    for (const key of given) {
      if (!isIntOrPercent(pdb[key])) problems.push(`${w}.pdb.${key} must be an integer ≥ 0 or a percentage like "50%"`);
    }
    return undefined;
  });
}

function isIntOrPercent(value: unknown): boolean {
  return (Number.isInteger(value) && (value as number) >= 0) || (typeof value === 'string' && /^\d{1,3}%$/.test(value) && Number.parseInt(value, 10) <= 100);
}

const ACTIONS = new Set(['throttle', 'quota-throttle', 'error', 'slow', 'drop', 'fail-upgrade']);
const KUBERNETES_FAULTS = new Set(['blocking-pdb', 'node-never-ready', 'unreachable', 'label-mismatch']);

export function assertFaultPlan(value: unknown, source = 'fault plan'): FaultPlan {
  const plan = value as FaultPlan;
  if (!isObject(value) || !Array.isArray(plan.rules)) throw new Error(`${source}: expected { "rules": [...] }`);
  const problems: string[] = [];
  plan.rules.forEach((rule, i) => {
    if (!ACTIONS.has(rule?.action)) problems.push(`rules[${i}].action must be one of ${[...ACTIONS].join(', ')}`);
    if (rule?.action !== 'fail-upgrade' && typeof rule?.operation !== 'string') {
      problems.push(`rules[${i}].operation is required`);
    }
    if (rule?.nth !== undefined && (!Number.isInteger(rule.nth) || rule.nth < 1)) problems.push(`rules[${i}].nth must be ≥ 1`);
  });
  if (plan.kubernetes !== undefined && !Array.isArray(plan.kubernetes)) problems.push('kubernetes must be an array');
  (Array.isArray(plan.kubernetes) ? plan.kubernetes : []).forEach((entry, i) => {
    const k = `kubernetes[${i}]`;
    if (typeof entry?.clusterName !== 'string') problems.push(`${k}.clusterName must be a string`);
    if (!KUBERNETES_FAULTS.has(entry?.fault)) return void problems.push(`${k}.fault must be one of ${[...KUBERNETES_FAULTS].join(', ')}`);
    if (entry.fault !== 'unreachable' && typeof entry.poolName !== 'string') problems.push(`${k}.poolName is required for ${entry.fault}`);
    if (entry.fault === 'label-mismatch' && typeof entry.version !== 'string') problems.push(`${k}.version is required for label-mismatch`);
    return undefined;
  });
  if (problems.length > 0) throw new Error(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  return plan;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
