import type { Precheck, Verdict } from './upgrade.js';
import { installedMeetsTarget, type ObservedPool } from './upgrade.js';

/**
 * What a cluster's own Kubernetes API says about a pool's nodes and the workloads on them, reduced to the facts the
 * evidence needs. Pure: azure/cluster-api.ts reads these from the API server.
 */

export const AGENT_POOL_LABEL = 'kubernetes.azure.com/agentpool';
export const NODE_IMAGE_LABEL = 'kubernetes.azure.com/node-image-version';

export interface NodeFact {
  readonly name: string;
  readonly pool: string | null;
  readonly ready: boolean;
  /** The Ready condition's reason when not Ready (e.g. KubeletNotReady), else null. */
  readonly notReadyReason: string | null;
  readonly unschedulable: boolean;
  /** The `kubernetes.azure.com/node-image-version` label. */
  readonly imageVersion: string | null;
  readonly kubeletVersion: string | null;
  readonly createdAt: string | null;
}

export interface PodFact {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string | null;
  readonly phase: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The controller that owns the pod (ReplicaSet, StatefulSet, DaemonSet, Job, ...), null for a bare pod. */
  readonly owner: { readonly kind: string; readonly name: string } | null;
  /** A container waiting in CrashLoopBackOff. */
  readonly crashLooping: boolean;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

export interface PdbFact {
  readonly namespace: string;
  readonly name: string;
  /** Null selects no pods; an empty selector selects every pod of the namespace (policy/v1). */
  readonly selector: LabelSelector | null;
  readonly disruptionsAllowed: number;
  readonly minAvailable: string | number | null;
  readonly maxUnavailable: string | number | null;
  readonly currentHealthy: number | null;
  readonly expectedPods: number | null;
}

/** One read of a cluster's API server. */
export interface ClusterNodesView {
  readonly readAt: string;
  readonly nodes: readonly NodeFact[];
  readonly pods: readonly PodFact[];
  readonly pdbs: readonly PdbFact[];
}

/** Kubernetes label selector semantics (In, NotIn, Exists, DoesNotExist; all terms ANDed). */
export function selectorMatches(selector: LabelSelector | null, labels: Readonly<Record<string, string>>): boolean {
  if (selector === null) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'In' ? has && values.includes(labels[key]!) :
      operator === 'NotIn' ? !has || !values.includes(labels[key]!) :
      operator === 'Exists' ? has :
      operator === 'DoesNotExist' ? !has :
      false; // an operator this code does not know selects nothing rather than everything
    if (!ok) return false;
  }
  return true;
}

/** A selector as `kubectl` prints it, for the evidence. */
export function formatSelector(selector: LabelSelector | null): string {
  if (selector === null) return '<none>';
  const terms = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(selector.matchExpressions ?? []).map(({ key, operator, values = [] }) =>
      operator === 'Exists' ? key : operator === 'DoesNotExist' ? `!${key}` : `${key} ${operator.toLowerCase()} (${values.join(',')})`,
    ),
  ];
  return terms.length === 0 ? '<all pods in the namespace>' : terms.join(',');
}

export const nodesOfPool = (view: Pick<ClusterNodesView, 'nodes'>, poolName: string) =>
  view.nodes.filter((node) => node.pool !== null && node.pool.toLowerCase() === poolName.toLowerCase());

const isDaemonSetPod = (pod: PodFact) => pod.owner?.kind === 'DaemonSet';
const isUnhealthy = (pod: PodFact) => pod.phase === 'Pending' || pod.crashLooping;

/** Surge nodes AKS adds for a pool upgrade: `maxSurge` as a count or a percentage of the pool (default 10%), at least 1. */
export function surgeNodes(maxSurge: string | undefined, count: number): number {
  const value = maxSurge ?? '10%';
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.max(1, Math.ceil((count * Number(percent[1])) / 100));
  const absolute = Number(value);
  return Number.isInteger(absolute) && absolute > 0 ? absolute : 1;
}

/**
 * Pods on the given nodes that are Pending or crash-looping, and pods Pending on no node at all (a drained pod that
 * found nowhere to run is exactly what an upgrade can leave behind).
 */
export function unhealthyPods(view: Pick<ClusterNodesView, 'pods'>, nodeNames: ReadonlySet<string>): { namespace: string; name: string; nodeName: string | null; reason: string }[] {
  return view.pods
    .filter((pod) => (pod.nodeName === null ? pod.phase === 'Pending' : nodeNames.has(pod.nodeName) && isUnhealthy(pod)))
    .map((pod) => ({ namespace: pod.namespace, name: pod.name, nodeName: pod.nodeName, reason: pod.crashLooping ? 'CrashLoopBackOff' : pod.phase }));
}

/**
 * Node-level pre-checks of one pool: its nodes (readiness, images, cordons), the Pod Disruption Budgets that would
 * stop a drain (zero disruptions allowed for pods on the pool: block), workloads with a single replica on the pool
 * (an outage while their node drains: warn), surge capacity against the autoscaler maximum, and the pods already
 * unhealthy before the run (so the post-check compares like with like).
 */
export function nodePrechecks(pool: ObservedPool, view: ClusterNodesView): Precheck[] {
  const nodes = nodesOfPool(view, pool.name);
  const names = new Set(nodes.map((node) => node.name));
  const onPool = view.pods.filter((pod) => pod.nodeName !== null && names.has(pod.nodeName));
  const checks: Precheck[] = [];

  const notReady = nodes.filter((node) => !node.ready).map((node) => node.name);
  const cordoned = nodes.filter((node) => node.unschedulable).map((node) => node.name);
  const countMismatch = pool.count !== null && pool.count !== nodes.length;
  checks.push({
    name: `nodes:${pool.name}`,
    verdict: nodes.length === 0 || notReady.length > 0 || cordoned.length > 0 || countMismatch ? 'warn' : 'ok',
    observed: {
      nodes: nodes.length,
      armCount: pool.count,
      ready: nodes.length - notReady.length,
      notReady,
      cordoned,
      images: countBy(nodes.map((node) => node.imageVersion ?? '(no label)')),
      ...(nodes.length === 0 ? { note: 'the API server lists no node of this pool' } : {}),
    },
  });

  const budgets = view.pdbs
    .map((pdb) => ({ pdb, pods: onPool.filter((pod) => pod.namespace === pdb.namespace && !isDaemonSetPod(pod) && selectorMatches(pdb.selector, pod.labels)) }))
    .filter(({ pods }) => pods.length > 0);
  const blocking = budgets.filter(({ pdb }) => pdb.disruptionsAllowed <= 0);
  checks.push({
    name: `pod_disruption_budgets:${pool.name}`,
    verdict: blocking.length > 0 ? 'block' : 'ok',
    observed: {
      blocking: blocking.map(({ pdb, pods }) => describeBudget(pdb, pods)),
      allowing: budgets.filter(({ pdb }) => pdb.disruptionsAllowed > 0).map(({ pdb, pods }) => describeBudget(pdb, pods)),
      ...(blocking.length > 0 ? { note: 'a drain of this pool cannot evict these pods: the upgrade would stall and fail' } : {}),
    },
  });

  // Replicas per owner across the whole cluster: a workload is single-replica if it has one pod anywhere.
  const replicas = countBy(view.pods.filter((pod) => pod.owner !== null).map(ownerKey));
  const single = onPool.filter((pod) => !isDaemonSetPod(pod) && (pod.owner === null || replicas[ownerKey(pod)] === 1));
  checks.push({
    name: `single_replica_workloads:${pool.name}`,
    verdict: single.length > 0 ? 'warn' : 'ok',
    observed: {
      pods: single.map((pod) => ({ namespace: pod.namespace, name: pod.name, nodeName: pod.nodeName, owner: pod.owner === null ? null : `${pod.owner.kind}/${pod.owner.name}` })),
      ...(single.length > 0 ? { note: 'these workloads are unavailable while their node drains' } : {}),
    },
  });

  const surge = surgeNodes(pool.upgradeSettings?.maxSurge, pool.count ?? nodes.length);
  const needed = (pool.count ?? nodes.length) + surge;
  const overMax = pool.enableAutoScaling && pool.maxCount !== null && needed > pool.maxCount;
  checks.push({
    name: `surge_capacity:${pool.name}`,
    verdict: overMax ? 'warn' : 'ok',
    observed: {
      count: pool.count,
      surgeNodes: surge,
      nodesDuringUpgrade: needed,
      autoscalerMaxCount: pool.enableAutoScaling ? pool.maxCount : null,
      ...(overMax ? { note: 'the surge takes the pool above its autoscaler maximum: check the VM quota and subnet for the extra nodes' } : {}),
    },
  });

  const unhealthy = unhealthyPods(view, names);
  checks.push({ name: `unhealthy_pods_before:${pool.name}`, verdict: unhealthy.length > 0 ? 'warn' : 'ok', observed: { pods: unhealthy } });
  return checks;
}

/** The pre-check recorded when the API server could not be read: the run goes on, without node-level evidence. */
export function unreachableCheck(error: string): Precheck {
  return { name: 'kubernetes_api', verdict: 'warn', observed: { reachable: false, error, note: 'node-level pre-checks skipped; the run relies on ARM alone' } };
}

export type NodeTransition =
  | { readonly type: 'node_added'; readonly node: string; readonly image: string | null; readonly ready: boolean }
  | { readonly type: 'node_removed'; readonly node: string; readonly image: string | null }
  | { readonly type: 'node_cordoned' | 'node_uncordoned' | 'node_ready' | 'node_not_ready'; readonly node: string; readonly image: string | null }
  | { readonly type: 'node_image_changed'; readonly node: string; readonly image: string | null; readonly previousImage: string | null };

/** What changed between two reads of a pool's nodes, in a stable order (by node name, then kind). */
export function nodeTransitions(before: readonly NodeFact[], after: readonly NodeFact[]): NodeTransition[] {
  const previous = new Map(before.map((node) => [node.name, node]));
  const current = new Map(after.map((node) => [node.name, node]));
  const transitions: NodeTransition[] = [];
  for (const name of [...new Set([...previous.keys(), ...current.keys()])].sort()) {
    const was = previous.get(name);
    const is = current.get(name);
    if (was === undefined && is !== undefined) transitions.push({ type: 'node_added', node: name, image: is.imageVersion, ready: is.ready });
    else if (was !== undefined && is === undefined) transitions.push({ type: 'node_removed', node: name, image: was.imageVersion });
    else if (was !== undefined && is !== undefined) {
      if (!was.unschedulable && is.unschedulable) transitions.push({ type: 'node_cordoned', node: name, image: is.imageVersion });
      if (was.unschedulable && !is.unschedulable) transitions.push({ type: 'node_uncordoned', node: name, image: is.imageVersion });
      if (!was.ready && is.ready) transitions.push({ type: 'node_ready', node: name, image: is.imageVersion });
      if (was.ready && !is.ready) transitions.push({ type: 'node_not_ready', node: name, image: is.imageVersion });
      if (was.imageVersion !== is.imageVersion) transitions.push({ type: 'node_image_changed', node: name, image: is.imageVersion, previousImage: was.imageVersion });
    }
  }
  return transitions;
}

export interface NodesSettled {
  readonly settled: boolean;
  /** Nodes not yet Ready on the target image (or still cordoned), with why. */
  readonly stragglers: { node: string; ready: boolean; image: string | null; cordoned: boolean }[];
}

/** Post-check: every node of the pool Ready, schedulable and on the target image (or newer in its family). */
export function nodesSettled(nodes: readonly NodeFact[], target: string | null): NodesSettled {
  const stragglers = nodes
    .filter((node) => !node.ready || node.unschedulable || !installedMeetsTarget(node.imageVersion, target))
    .map((node) => ({ node: node.name, ready: node.ready, image: node.imageVersion, cordoned: node.unschedulable }));
  return { settled: nodes.length > 0 && stragglers.length === 0, stragglers };
}

/** Pods unhealthy after the run that were not before it: those the upgrade may have caused. */
export function newlyUnhealthy(before: readonly { namespace: string; name: string }[], after: readonly { namespace: string; name: string; reason: string; nodeName: string | null }[]) {
  const known = new Set(before.map((pod) => `${pod.namespace}/${pod.name}`));
  return after.filter((pod) => !known.has(`${pod.namespace}/${pod.name}`));
}

export interface NodeLabelComparison {
  readonly verdict: 'match' | 'mismatch' | 'no_nodes';
  readonly poolVersion: string | null;
  readonly nodeVersions: Record<string, number>;
}

/** The drift cross-check: what ARM says the pool runs against what its nodes' labels say. */
export function compareNodeLabels(poolVersion: string | null, nodes: readonly NodeFact[]): NodeLabelComparison {
  const nodeVersions = countBy(nodes.map((node) => node.imageVersion ?? '(no label)'));
  if (nodes.length === 0) return { verdict: 'no_nodes', poolVersion, nodeVersions };
  const agree = poolVersion !== null && nodes.every((node) => node.imageVersion !== null && node.imageVersion.toLowerCase() === poolVersion.toLowerCase());
  return { verdict: agree ? 'match' : 'mismatch', poolVersion, nodeVersions };
}

export const worstVerdict = (checks: readonly Pick<Precheck, 'verdict'>[]): Verdict =>
  checks.some((c) => c.verdict === 'block') ? 'block' : checks.some((c) => c.verdict === 'warn') ? 'warn' : 'ok';

function describeBudget(pdb: PdbFact, pods: readonly PodFact[]) {
  return {
    namespace: pdb.namespace,
    name: pdb.name,
    selector: formatSelector(pdb.selector),
    disruptionsAllowed: pdb.disruptionsAllowed,
    minAvailable: pdb.minAvailable,
    maxUnavailable: pdb.maxUnavailable,
    currentHealthy: pdb.currentHealthy,
    expectedPods: pdb.expectedPods,
    podsOnPool: pods.map((pod) => pod.name).sort(),
  };
}

function ownerKey(pod: PodFact): string {
  return `${pod.namespace}/${pod.owner?.kind}/${pod.owner?.name}`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** A node as the upgrade evidence lists it (progress events and the `nodes:<pool>` post-check). */
export interface RecordedNode {
  readonly name: string;
  readonly ready: boolean;
  readonly notReadyReason: string | null;
  readonly cordoned: boolean;
  readonly image: string | null;
  readonly kubeletVersion: string | null;
}

export const recordedNode = (node: NodeFact): RecordedNode => ({
  name: node.name,
  ready: node.ready,
  notReadyReason: node.notReadyReason,
  cordoned: node.unschedulable,
  image: node.imageVersion,
  kubeletVersion: node.kubeletVersion,
});

export interface NodePostcheckEvidence {
  /** The API server could not be read (the `kubernetes_api` post-check), with why. */
  readonly unreachable: { readonly error: string | null } | null;
  /** Each upgraded pool's nodes after the run, and whether all were Ready on the target image in time. */
  readonly pools: readonly { readonly poolName: string; readonly settled: boolean; readonly nodes: readonly RecordedNode[] }[];
  /** Pods the run left Pending or crash-looping (not so before it). */
  readonly podsLeftUnhealthy: number;
}

/**
 * What a run's recorded post-checks say of its nodes (the certificate, the period report); null when it has no
 * node-level post-checks (no cluster API configured, or the run never reached them).
 */
export function nodePostcheckEvidence(checks: readonly { readonly name: string; readonly [field: string]: unknown }[]): NodePostcheckEvidence | null {
  const api = checks.find((check) => check.name === 'kubernetes_api');
  const pools = checks
    .filter((check) => check.name.startsWith('nodes:'))
    .map((check) => ({ poolName: check.name.slice('nodes:'.length), settled: check.ok === true, nodes: (check.nodes ?? []) as RecordedNode[] }));
  if (api === undefined && pools.length === 0) return null;
  return {
    unreachable: api === undefined ? null : { error: typeof api.error === 'string' ? api.error : null },
    pools,
    podsLeftUnhealthy: checks.filter((check) => check.name.startsWith('pods:')).reduce((n, check) => n + ((check.newlyUnhealthy as unknown[] | undefined)?.length ?? 0), 0),
  };
}
