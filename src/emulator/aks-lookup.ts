import { authorizationFailed, clusterNotFound, notFound, resourceGroupNotFound, subscriptionNotFound } from './arm-errors.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { ClusterRef, PoolState } from './fleet-state.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { FleetSubscription } from './types.js';

/**
 * Resolves the subscription / cluster / pool of an AKS request in ARM's order: authorization on the scope first
 * (403 for a `forbidden` subscription, 404 SubscriptionNotFound for `silent` or unknown), then the resource
 * group, then the resource. Returns either the target or the error answer.
 */

export type Lookup<T> = { ok: true; value: T } | { ok: false; response: EmulatorResponse };

const fail = <T>(response: EmulatorResponse): Lookup<T> => ({ ok: false, response });

export const ACTIONS = {
  clusterRead: 'Microsoft.ContainerService/managedClusters/read',
  poolRead: 'Microsoft.ContainerService/managedClusters/agentPools/read',
  upgrade: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action',
  poolAbort: 'Microsoft.ContainerService/managedClusters/agentPools/abort/action',
  clusterAbort: 'Microsoft.ContainerService/managedClusters/abort/action',
  maintenanceRead: 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read',
  listUserCredential: 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
} as const;

export function lookupSubscription(ctx: EmulatorContext, call: CallInfo, subscriptionId: string, action: string, scope: string): Lookup<FleetSubscription> {
  const sub = ctx.state.subscription(subscriptionId);
  if (!sub || sub.access === 'silent') return fail(subscriptionNotFound(subscriptionId));
  if (sub.access === 'forbidden') return fail(authorizationFailed(call.principal, action, scope));
  return { ok: true, value: sub };
}

/** Subscription + resource group + cluster from the route params. */
export function lookupCluster(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo, action: string): Lookup<ClusterRef> {
  const { subscriptionId = '', resourceGroup = '', clusterName = '' } = req.params;
  const scope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${clusterName}`;
  const sub = lookupSubscription(ctx, call, subscriptionId, action, scope);
  if (!sub.ok) return sub;
  if (!ctx.state.resourceGroupExists(subscriptionId, resourceGroup)) return fail(resourceGroupNotFound(resourceGroup));
  const ref = ctx.state.cluster(subscriptionId, resourceGroup, clusterName);
  return ref ? { ok: true, value: ref } : fail(clusterNotFound(clusterName, resourceGroup));
}

export function lookupPool(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo, action: string): Lookup<{ ref: ClusterRef; pool: PoolState }> {
  const cluster = lookupCluster(ctx, req, call, action);
  if (!cluster.ok) return cluster;
  const poolName = req.params.poolName ?? '';
  const pool = ctx.state.pool(cluster.value, poolName);
  if (!pool) return fail(notFound(`Could not find agent pool '${poolName}' in managed cluster '${cluster.value.cluster.name}'.`));
  return { ok: true, value: { ref: cluster.value, pool } };
}
