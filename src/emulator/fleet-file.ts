import { readFileSync } from 'node:fs';
import type { FaultPlan, FleetFile } from './types.js';

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
const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;

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
      return undefined;
    });
    return undefined;
  });
  if (problems.length > 0) throw new Error(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  return fleet;
}

const ACTIONS = new Set(['throttle', 'quota-throttle', 'error', 'slow', 'drop', 'fail-upgrade']);

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
  if (problems.length > 0) throw new Error(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  return plan;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
