import {
  agentPoolJson,
  agentPoolUpgradeProfileJson,
  maintenanceConfigurationJson,
  managedClusterJson,
  managedClusterUpgradeProfileJson,
} from './arm-resources.js';
import { sameId } from './arm-ids.js';
import { notFound, resourceGroupNotFound } from './arm-errors.js';
import { ACTIONS, lookupCluster, lookupPool, lookupSubscription } from './aks-lookup.js';
import { baseUrlOf } from './emulator-context.js';
import { json } from './http-types.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';

/** The read-only AKS operations of azure-wire.md §3 (gets, lists, upgrade profiles, maintenance configurations). */
export function handleAksRead(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  ctx.operations.settle();
  switch (req.operation) {
    case 'managedClusters.list':
    case 'managedClusters.listByResourceGroup':
      return listClusters(ctx, req, call);
    case 'managedClusters.get': {
      const found = lookupCluster(ctx, req, call, ACTIONS.clusterRead);
      return found.ok ? json(200, managedClusterJson(ctx.state, found.value)) : found.response;
    }
    case 'managedClusters.getUpgradeProfile': {
      const found = lookupCluster(ctx, req, call, ACTIONS.clusterRead);
      return found.ok ? json(200, managedClusterUpgradeProfileJson(found.value)) : found.response;
    }
    case 'agentPools.list': {
      const found = lookupCluster(ctx, req, call, ACTIONS.poolRead);
      if (!found.ok) return found.response;
      const ref = found.value;
      return json(200, { value: ref.cluster.agentPools.map((pool) => agentPoolJson(ref, pool)) });
    }
    case 'agentPools.get': {
      const found = lookupPool(ctx, req, call, ACTIONS.poolRead);
      return found.ok ? json(200, agentPoolJson(found.value.ref, found.value.pool)) : found.response;
    }
    case 'agentPools.getUpgradeProfile': {
      const found = lookupPool(ctx, req, call, ACTIONS.poolRead);
      if (!found.ok) return found.response;
      const { ref, pool } = found.value;
      return json(200, agentPoolUpgradeProfileJson(ref, pool, ctx.state.latestImage(ref, pool)));
    }
    case 'maintenanceConfigurations.list': {
      const found = lookupCluster(ctx, req, call, ACTIONS.maintenanceRead);
      if (!found.ok) return found.response;
      const configs = found.value.cluster.maintenanceConfigurations ?? [];
      return json(200, { value: configs.map((config) => maintenanceConfigurationJson(found.value, config)) });
    }
    case 'maintenanceConfigurations.get': {
      const found = lookupCluster(ctx, req, call, ACTIONS.maintenanceRead);
      if (!found.ok) return found.response;
      const name = req.params.configName ?? '';
      const config = found.value.cluster.maintenanceConfigurations?.find((c) => sameId(c.name, name));
      return config
        ? json(200, maintenanceConfigurationJson(found.value, config))
        : notFound(`Maintenance configuration '${name}' was not found in managed cluster '${found.value.cluster.name}'.`);
    }
    default:
      return notFound(`The emulator has no handler for ${req.operation}.`);
  }
}

/** `managedClusters.list` / `listByResourceGroup`: `{value, nextLink}` pages with an absolute nextLink (§3.0). */
function listClusters(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const { subscriptionId = '', resourceGroup } = req.params;
  const scope = resourceGroup ? `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}` : `/subscriptions/${subscriptionId}`;
  const sub = lookupSubscription(ctx, call, subscriptionId, ACTIONS.clusterRead, scope);
  if (!sub.ok) return sub.response;
  if (resourceGroup && !ctx.state.resourceGroupExists(subscriptionId, resourceGroup)) return resourceGroupNotFound(resourceGroup);
  const refs = ctx.state
    .clusters()
    .filter((ref) => ref.subscription === sub.value && (!resourceGroup || sameId(ref.cluster.resourceGroup, resourceGroup)));

  const offset = Math.max(0, Number.parseInt(req.url.searchParams.get('$skiptoken') ?? '0', 10) || 0);
  const pageSize = Math.max(1, ctx.settings.listPageSize);
  const page = refs.slice(offset, offset + pageSize).map((ref) => managedClusterJson(ctx.state, ref));
  const body: Record<string, unknown> = { value: page };
  if (offset + pageSize < refs.length) {
    const next = new URL(req.url.pathname, baseUrlOf(req));
    next.searchParams.set('api-version', req.url.searchParams.get('api-version') ?? '2026-06-01');
    next.searchParams.set('$skiptoken', String(offset + pageSize));
    body.nextLink = next.toString();
  }
  return json(200, body);
}
