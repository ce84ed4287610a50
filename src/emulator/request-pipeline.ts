import { setTimeout as sleep } from 'node:timers/promises';
import { armError, invalidApiVersion, invalidToken, missingApiVersion, missingAuthorization } from './arm-errors.js';
import { handleListClusterUserCredentials } from './aks-credential-handler.js';
import { handleAksOperation } from './aks-operation-handlers.js';
import { handleAksRead } from './aks-read-handlers.js';
import { AKS_API_VERSIONS, RESOURCE_GRAPH_API_VERSIONS, SUBSCRIPTIONS_API_VERSIONS } from './emulator-context.js';
import { handleEntra } from './entra-id-handlers.js';
import { faultResponse } from './fault-responses.js';
import { handleResources } from './resource-graph-handler.js';
import { matchRoute } from './router.js';
import { handleSubscriptions } from './subscriptions-handler.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { EntraContext } from './entra-id-handlers.js';
import type { createFaultInjector, FaultTarget } from './faults.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { Route } from './router.js';
import type { TokenRegistry } from './token-registry.js';

/**
 * One request through the emulator, in ARM's order: route → bearer token → api-version → fault plan → handler.
 * Every routed request counts toward `callCounts()`, including those a fault answers.
 */

export interface PipelineDeps {
  ctx: EmulatorContext;
  entra: EntraContext;
  tokens: TokenRegistry;
  faults: ReturnType<typeof createFaultInjector>;
  counts: Map<string, number>;
  buckets: Map<string, { tokens: number; atMs: number }>;
  /** Aborted on close, so `slow` faults do not hold the server open. */
  closing: AbortSignal;
}

export function createRequestPipeline(deps: PipelineDeps) {
  return async function handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    const match = matchRoute(req.method, req.url.pathname);
    if (!match) return armError(404, 'NotFound', `The imagewarden ARM emulator does not serve ${req.method} ${req.url.pathname}.`);
    if ('methodMismatch' in match) return armError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed on ${req.url.pathname}.`);
    const { route, params } = match;
    req.operation = route.operation;
    req.params = params;
    deps.counts.set(route.operation, (deps.counts.get(route.operation) ?? 0) + 1);

    let call: CallInfo = { principal: { clientId: 'anonymous', objectId: 'anonymous' } };
    if (route.kind === 'arm') {
      const header = String(req.headers.authorization ?? '');
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!token) return missingAuthorization();
      const principal = deps.tokens.verify(token);
      if (!principal) return invalidToken();
      call = { principal };
      const versionError = checkApiVersion(route, req.url.searchParams.get('api-version'));
      if (versionError) return versionError;
    }
    if (route.operation === 'resources' && req.rawBody && req.body === undefined) {
      return armError(400, 'InvalidRequestContent', 'The request content was not valid JSON.');
    }

    const decision = deps.faults.evaluate(faultTarget(deps.ctx, req));
    if (decision.delayMs > 0) {
      await sleep(decision.delayMs, undefined, { signal: deps.closing }).catch(() => undefined);
    }
    if (decision.respond) return faultResponse(decision.respond, route.operation);
    if (decision.failUpgrade) {
      const { rule, consume } = decision.failUpgrade;
      call.plannedFailure = {
        code: rule.code ?? 'UpgradeFailed',
        message:
          rule.message ??
          `Drain node aks-${params.poolName ?? 'pool'}-12345678-vmss000001 failed when evicting pod web-5d4f8c7b9-x2x7q: Cannot evict pod as it would violate the pod's disruption budget.`,
        consume,
      };
    }
    const response = dispatch(deps, route, req, call);
    if (route.kind === 'arm' && route.operation !== 'resources') addRateLimitHeader(deps, req, response);
    return response;
  };
}

/**
 * ARM's remaining-quota header (azure-wire.md §7): a per-subscription token bucket (reads 250 + 25/s,
 * writes 200 + 10/s) that is reported but never enforced; use the fault plan to throttle.
 */
function addRateLimitHeader(deps: PipelineDeps, req: EmulatorRequest, response: EmulatorResponse): void {
  const kind = req.method === 'GET' ? 'reads' : 'writes';
  const [capacity, refillPerSecond] = kind === 'reads' ? [250, 25] : [200, 10];
  const key = `${(req.params.subscriptionId ?? '').toLowerCase()}:${kind}`;
  const nowMs = Date.now();
  const bucket = deps.buckets.get(key) ?? { tokens: capacity, atMs: nowMs };
  bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * refillPerSecond);
  bucket.atMs = nowMs;
  bucket.tokens = Math.max(0, bucket.tokens - 1);
  deps.buckets.set(key, bucket);
  response.headers = { ...response.headers, [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(Math.floor(bucket.tokens)) };
}

const LRO_OPERATIONS = new Set([
  'agentPools.upgradeNodeImageVersion', 'agentPools.abortLatestOperation', 'managedClusters.abortLatestOperation',
  'operations.get', 'operationResults.get',
]);

function dispatch(deps: PipelineDeps, route: Route, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  if (route.kind === 'identity') return handleEntra(deps.entra, req);
  if (route.operation === 'resources') return handleResources(deps.ctx, req, call);
  if (route.operation.startsWith('subscriptions.')) return handleSubscriptions(deps.ctx, req, call);
  if (LRO_OPERATIONS.has(route.operation)) return handleAksOperation(deps.ctx, req, call);
  if (route.operation === 'managedClusters.listClusterUserCredentials') return handleListClusterUserCredentials(deps.ctx, req, call);
  return handleAksRead(deps.ctx, req, call);
}

function checkApiVersion(route: Route, version: string | null): EmulatorResponse | undefined {
  if (!version) return missingApiVersion();
  const accepted: readonly string[] | undefined =
    route.apiVersion === 'aks' ? AKS_API_VERSIONS
    : route.apiVersion === 'resource-graph' ? RESOURCE_GRAPH_API_VERSIONS
    : route.apiVersion === 'subscriptions' ? SUBSCRIPTIONS_API_VERSIONS
    : undefined; // operation status URLs keep whatever api-version they were issued with
  return accepted && !accepted.includes(version) ? invalidApiVersion(version, accepted) : undefined;
}

/** What fault rules can match on: the operation, the subscriptions in play, cluster and pool names. */
function faultTarget(ctx: EmulatorContext, req: EmulatorRequest): FaultTarget {
  let subscriptionIds = req.params.subscriptionId ? [req.params.subscriptionId] : [];
  if (req.operation === 'resources') {
    const named = (req.body as { subscriptions?: unknown } | undefined)?.subscriptions;
    subscriptionIds = Array.isArray(named)
      ? named.filter((id): id is string => typeof id === 'string')
      : ctx.state.subscriptions().filter((sub) => sub.access === 'read').map((sub) => sub.id);
  }
  return { operation: req.operation, subscriptionIds, clusterName: req.params.clusterName, poolName: req.params.poolName };
}
