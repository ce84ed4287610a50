import { createHash } from 'node:crypto';
import { fullKubernetesVersion } from '../arm-resources.js';
import { field, listResponse } from './list-query.js';
import { nodeJson } from './node-json.js';
import { pdbJson } from './pdb-json.js';
import { podJson } from './pod-json.js';
import { k8sJson, objectNotFound, pathNotFound } from './status.js';
import type { EmulatorResponse } from '../http-types.js';
import type { ClusterWorld } from './cluster-world.js';
import type { FieldReaders } from './list-query.js';

/**
 * The read-only paths the emulated API server serves: /version, nodes, pods and PodDisruptionBudgets (lists,
 * namespaced lists, single objects). Single objects carry `kind`/`apiVersion`; list items do not, as on the wire.
 */

type Json = Record<string, unknown>;

const POD_FIELDS: FieldReaders = Object.fromEntries(
  ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP']
    .map((path) => [path, field(path)]),
);
const NODE_FIELDS: FieldReaders = { 'metadata.name': field('metadata.name'), 'spec.unschedulable': (node) => String(field('spec.unschedulable')(node) === 'true') };
const PDB_FIELDS: FieldReaders = { 'metadata.name': field('metadata.name'), 'metadata.namespace': field('metadata.namespace') };

interface Route {
  pattern: RegExp;
  serve(world: ClusterWorld, params: string[], query: URLSearchParams, now: Date): EmulatorResponse;
}

const ROUTES: Route[] = [
  { pattern: /^\/version\/?$/, serve: (world) => k8sJson(200, versionInfo(world)) },
  { pattern: /^\/api\/v1\/nodes$/, serve: (world, _, query, now) => nodeList(world, query, now) },
  { pattern: /^\/api\/v1\/nodes\/([^/]+)$/, serve: (world, [name], _, now) => single(nodes(world, now), name!, 'Node', 'v1', 'nodes') },
  { pattern: /^\/api\/v1\/pods$/, serve: (world, _, query) => podList(world, query) },
  { pattern: /^\/api\/v1\/namespaces\/([^/]+)\/pods$/, serve: (world, [namespace], query) => podList(world, query, namespace) },
  {
    pattern: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/,
    serve: (world, [namespace, name]) => single(pods(world, namespace), `${namespace}/${name}`, 'Pod', 'v1', 'pods', name),
  },
  { pattern: /^\/apis\/policy\/v1\/poddisruptionbudgets$/, serve: (world, _, query) => pdbList(world, query) },
  { pattern: /^\/apis\/policy\/v1\/namespaces\/([^/]+)\/poddisruptionbudgets$/, serve: (world, [namespace], query) => pdbList(world, query, namespace) },
  {
    pattern: /^\/apis\/policy\/v1\/namespaces\/([^/]+)\/poddisruptionbudgets\/([^/]+)$/,
    serve: (world, [namespace, name]) => single(pdbs(world, namespace), `${namespace}/${name}`, 'PodDisruptionBudget', 'policy/v1', 'poddisruptionbudgets.policy', name),
  },
];

export function serveRead(world: ClusterWorld, path: string, query: URLSearchParams, now: Date): EmulatorResponse {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return route.serve(world, match.slice(1).map(safeDecode), query, now);
  }
  return pathNotFound();
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

type Keyed = { key: string; object: Json }[];

function nodes(world: ClusterWorld, now: Date): Keyed {
  return world.nodeViews().map((view) => ({ key: view.node.name, object: nodeJson(view, now) }));
}

function pods(world: ClusterWorld, namespace?: string): Keyed {
  const nodeCount = world.nodeCount();
  return world
    .pods()
    .filter(({ pod }) => !namespace || pod.namespace === namespace)
    .map(({ pod, node }) => ({ key: `${pod.namespace}/${pod.name}`, object: podJson(world.ref.id, pod, node, nodeCount) }));
}

function pdbs(world: ClusterWorld, namespace?: string): Keyed {
  return world
    .pdbs()
    .filter((view) => !namespace || view.workload.namespace === namespace)
    .map((view) => ({ key: `${view.workload.namespace}/${view.pdb.name}`, object: pdbJson(view) }));
}

function nodeList(world: ClusterWorld, query: URLSearchParams, now: Date): EmulatorResponse {
  return listResponse({ kind: 'NodeList', apiVersion: 'v1', resourceVersion: world.resourceVersion(), items: nodes(world, now), fields: NODE_FIELDS, query });
}

function podList(world: ClusterWorld, query: URLSearchParams, namespace?: string): EmulatorResponse {
  return listResponse({ kind: 'PodList', apiVersion: 'v1', resourceVersion: world.resourceVersion(), items: pods(world, namespace), fields: POD_FIELDS, query });
}

function pdbList(world: ClusterWorld, query: URLSearchParams, namespace?: string): EmulatorResponse {
  return listResponse({
    kind: 'PodDisruptionBudgetList', apiVersion: 'policy/v1', resourceVersion: world.resourceVersion(), items: pdbs(world, namespace), fields: PDB_FIELDS, query,
  });
}

function single(items: Keyed, key: string, kind: string, apiVersion: string, resource: string, name = key): EmulatorResponse {
  const found = items.find((item) => item.key === key);
  return found ? k8sJson(200, { kind, apiVersion, ...found.object }) : objectNotFound(resource, name);
}

/** `GET /version`: the control plane runs the cluster's current Kubernetes version. */
function versionInfo(world: ClusterWorld): Json {
  const { cluster } = world.ref;
  const version = fullKubernetesVersion(cluster.currentKubernetesVersion ?? cluster.kubernetesVersion);
  const [major = '1', minor = '0'] = version.split('.');
  return {
    major,
    minor,
    gitVersion: `v${version}`,
    gitCommit: createHash('sha1').update(version).digest('hex'),
    gitTreeState: 'clean',
    buildDate: '2025-07-15T18:31:17Z',
    goVersion: 'go1.24.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
