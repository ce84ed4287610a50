import { agentPoolJson } from './arm-resources.js';
import { armError, notFound, operationNotAllowed } from './arm-errors.js';
import { ACTIONS, lookupCluster, lookupPool, lookupSubscription } from './aks-lookup.js';
import { baseUrlOf } from './emulator-context.js';
import { json } from './http-types.js';
import { UPGRADING } from './upgrade-operations.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { ClusterRef } from './fleet-state.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { OperationRecord } from './upgrade-operations.js';

/**
 * The node-image upgrade LRO and abort (azure-wire.md §3.4, §3.5) plus the operation status and result URLs
 * the SDK poller follows. The operation URLs carry their own api-version (2017-08-31), as AKS's do.
 */

const OPERATION_API_VERSION = '2017-08-31';

export function handleAksOperation(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  switch (req.operation) {
    case 'agentPools.upgradeNodeImageVersion':
      return upgradeNodeImageVersion(ctx, req, call);
    case 'agentPools.abortLatestOperation':
      return abortPool(ctx, req, call);
    case 'managedClusters.abortLatestOperation':
      return abortCluster(ctx, req, call);
    case 'operations.get':
      return operationStatus(ctx, req, call);
    default:
      return operationResult(ctx, req, call);
  }
}

function upgradeNodeImageVersion(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const found = lookupPool(ctx, req, call, ACTIONS.upgrade);
  if (!found.ok) return found.response;
  const { ref, pool } = found.value;
  const running = ctx.operations.running(ref, pool.name);
  if (running.length > 0) {
    return operationNotAllowed(`Another agentpool operation (${UPGRADING}) is in progress, please wait for it to finish before starting a new operation.`);
  }
  const busy = ctx.settings.conflictScope === 'cluster' ? ctx.operations.running(ref).find((op) => op.poolName !== pool.name) : undefined;
  if (busy) {
    return operationNotAllowed(`Another operation (${UPGRADING}) is in progress on agent pool (${busy.poolName}), please wait for it to finish before starting a new operation.`);
  }
  if ((ref.cluster.powerState ?? 'Running') === 'Stopped') {
    return operationNotAllowed(
      `managed cluster is in Provisioning State(${ref.cluster.provisioningState ?? 'Succeeded'}) and Power State(Stopped), upgrading node image version cannot be performed.`,
    );
  }
  const latest = ctx.state.latestImage(ref, pool);
  const upToDate = !latest || latest === pool.nodeImageVersion;
  if (upToDate && ctx.settings.upToDateMode === '304') return { status: 304 };
  if (upToDate && ctx.settings.upToDateMode === '200') return { status: 200 };

  const planned = call.plannedFailure;
  planned?.consume();
  const op = ctx.operations.startUpgrade(ref, pool.name, ctx.settings.upgradeDurationMs, planned && { code: planned.code, message: planned.message });
  return json(202, agentPoolJson(ref, pool), { ...operationHeaders(ctx, req, op), 'retry-after': '1' });
}

function abortPool(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const found = lookupPool(ctx, req, call, ACTIONS.poolAbort);
  if (!found.ok) return found.response;
  const { ref, pool } = found.value;
  const running = ctx.operations.running(ref, pool.name);
  if (running.length === 0) return nothingToAbort(`agent pool '${pool.name}'`);
  return aborted(ctx, req, ctx.operations.abort(ref, running, pool.name));
}

function abortCluster(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const found = lookupCluster(ctx, req, call, ACTIONS.clusterAbort);
  if (!found.ok) return found.response;
  const ref: ClusterRef = found.value;
  const running = ctx.operations.running(ref);
  if (running.length === 0) return nothingToAbort(`managed cluster '${ref.cluster.name}'`);
  return aborted(ctx, req, ctx.operations.abort(ref, running));
}

function nothingToAbort(target: string): EmulatorResponse {
  return operationNotAllowed(`there is no operation in progress on ${target} that can be aborted.`);
}

/** 202 + Azure-AsyncOperation (already Succeeded) + Location: the SDK finishes after one poll (§3.5). */
function aborted(ctx: EmulatorContext, req: EmulatorRequest, op: OperationRecord): EmulatorResponse {
  return { status: 202, headers: { ...operationHeaders(ctx, req, op), 'retry-after': '1' } };
}

function operationHeaders(ctx: EmulatorContext, req: EmulatorRequest, op: OperationRecord): Record<string, string> {
  const base = `${baseUrlOf(req)}/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.location}`;
  const headers: Record<string, string> = {
    'azure-asyncoperation': `${base}/operations/${op.id}?api-version=${OPERATION_API_VERSION}`,
  };
  if (ctx.settings.locationMode !== 'omit') headers.location = `${base}/operationresults/${op.id}?api-version=${OPERATION_API_VERSION}`;
  return headers;
}

/** Finds the operation, with the subscription checks of any ARM GET (an operation of another subscription is 404). */
function lookupOperation(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): { op?: OperationRecord; response?: EmulatorResponse } {
  const { subscriptionId = '', operationId = '' } = req.params;
  const sub = lookupSubscription(ctx, call, subscriptionId, 'Microsoft.ContainerService/locations/operations/read', `/subscriptions/${subscriptionId}`);
  if (!sub.ok) return { response: sub.response };
  const op = ctx.operations.get(operationId);
  if (!op || op.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
    return { response: notFound(`Operation '${operationId}' was not found.`) };
  }
  return { op };
}

/** The Azure-AsyncOperation body: always 200 while readable (RPC async-api-reference). */
function operationStatus(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const { op, response } = lookupOperation(ctx, req, call);
  if (!op) return response!;
  return json(200, {
    id: `/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.location}/operations/${op.id}`,
    name: op.id,
    status: op.status,
    startTime: op.startTime.toISOString(),
    ...(op.endTime ? { endTime: op.endTime.toISOString() } : {}),
    percentComplete: ctx.operations.percentComplete(op),
    ...(op.status === 'Failed' || op.status === 'Canceled' ? { error: op.error } : {}),
  });
}

/**
 * The Location URL: 202 while running; when done 200 + the pool (default) or 204 (`locationMode: '204'`, what the
 * real service reportedly sends and the 25.5.0 SDK rejects, §0 item 7). Failed/canceled answer the error.
 */
function operationResult(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const { op, response } = lookupOperation(ctx, req, call);
  if (!op) return response!;
  if (op.status === 'InProgress') return { status: 202, headers: { location: req.url.toString() } };
  if (op.status === 'Failed' || op.status === 'Canceled') {
    return armError(op.status === 'Failed' ? 500 : 409, op.error?.code ?? 'OperationFailed', op.error?.message ?? `The operation ${op.status.toLowerCase()}.`);
  }
  const ref = ctx.state.clusterById(op.clusterId);
  const pool = ref && op.poolName ? ctx.state.pool(ref, op.poolName) : undefined;
  if (op.kind === 'abort' || ctx.settings.locationMode === '204' || !ref || !pool) return { status: 204 };
  return json(200, agentPoolJson(ref, pool));
}
