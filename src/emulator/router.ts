/**
 * Maps method + path to an operation name. Literal segments match case-insensitively (ARM paths are
 * case-insensitive, azure-wire.md §0 item 12); `:name` segments capture the value as sent.
 */

export type RouteKind = 'arm' | 'identity';
/** Which api-version values a route accepts. */
export type ApiVersionRule = 'aks' | 'resource-graph' | 'subscriptions' | 'any';

export interface Route {
  method: 'GET' | 'POST';
  pattern: string;
  operation: string;
  kind: RouteKind;
  apiVersion?: ApiVersionRule;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

const SUB = 'subscriptions/:subscriptionId';
const CLUSTERS = `${SUB}/resourcegroups/:resourceGroup/providers/microsoft.containerservice/managedclusters`;
const CLUSTER = `${CLUSTERS}/:clusterName`;
const POOL = `${CLUSTER}/agentpools/:poolName`;
const LOCATION = `${SUB}/providers/microsoft.containerservice/locations/:location`;

const arm = (method: Route['method'], pattern: string, operation: string, apiVersion: ApiVersionRule = 'aks'): Route => ({
  method, pattern, operation, kind: 'arm', apiVersion,
});
const identity = (method: Route['method'], pattern: string, operation: string): Route => ({ method, pattern, operation, kind: 'identity' });

export const ROUTES: readonly Route[] = [
  arm('POST', 'providers/microsoft.resourcegraph/resources', 'resources', 'resource-graph'),
  arm('GET', 'subscriptions', 'subscriptions.list', 'subscriptions'),
  arm('GET', SUB, 'subscriptions.get', 'subscriptions'),
  arm('GET', `${SUB}/providers/microsoft.containerservice/managedclusters`, 'managedClusters.list'),
  arm('GET', CLUSTERS, 'managedClusters.listByResourceGroup'),
  arm('GET', CLUSTER, 'managedClusters.get'),
  arm('GET', `${CLUSTER}/upgradeprofiles/default`, 'managedClusters.getUpgradeProfile'),
  arm('POST', `${CLUSTER}/abort`, 'managedClusters.abortLatestOperation'),
  arm('POST', `${CLUSTER}/listclusterusercredential`, 'managedClusters.listClusterUserCredentials'),
  arm('GET', `${CLUSTER}/agentpools`, 'agentPools.list'),
  arm('GET', POOL, 'agentPools.get'),
  arm('GET', `${POOL}/upgradeprofiles/default`, 'agentPools.getUpgradeProfile'),
  arm('POST', `${POOL}/upgradenodeimageversion`, 'agentPools.upgradeNodeImageVersion'),
  arm('POST', `${POOL}/abort`, 'agentPools.abortLatestOperation'),
  arm('GET', `${CLUSTER}/maintenanceconfigurations`, 'maintenanceConfigurations.list'),
  arm('GET', `${CLUSTER}/maintenanceconfigurations/:configName`, 'maintenanceConfigurations.get'),
  arm('GET', `${LOCATION}/operations/:operationId`, 'operations.get', 'any'),
  arm('GET', `${LOCATION}/operationresults/:operationId`, 'operationResults.get', 'any'),
  identity('GET', 'common/discovery/instance', 'instanceDiscovery'),
  identity('GET', ':tenant/v2.0/.well-known/openid-configuration', 'openidConfiguration'),
  identity('GET', ':tenant/.well-known/openid-configuration', 'openidConfiguration'),
  identity('POST', ':tenant/oauth2/v2.0/token', 'token'),
  identity('GET', ':tenant/discovery/v2.0/keys', 'jwks'),
];

const compiled = ROUTES.map((route) => ({ route, segments: route.pattern.split('/') }));

/**
 * Finds the route for a path. `methodMismatch` is set when the path is known but not for this method
 * (the server answers 405 then).
 */
export function matchRoute(method: string, pathname: string): RouteMatch | { methodMismatch: true } | undefined {
  const parts = pathname.split('/').filter(Boolean).map((part) => safeDecode(part));
  let pathKnown = false;
  for (const { route, segments } of compiled) {
    const params = matchSegments(segments, parts);
    if (!params) continue;
    if (route.method === method.toUpperCase()) return { route, params };
    pathKnown = true;
  }
  return pathKnown ? { methodMismatch: true } : undefined;
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = part;
    else if (segment !== part.toLowerCase()) return undefined;
  }
  return params;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
