import { describe, expect, it } from 'vitest';
import {
  compareNodeLabels,
  newlyUnhealthy,
  nodePrechecks,
  nodesSettled,
  nodeTransitions,
  selectorMatches,
  surgeNodes,
  type ClusterNodesView,
  type NodeFact,
  type PdbFact,
  type PodFact,
} from '../../src/domain/node-evidence.js';
import type { ObservedPool } from '../../src/domain/upgrade.js';

const OLD = 'AKSUbuntu-2204gen2containerd-202410.27.0';
const NEW = 'AKSUbuntu-2204gen2containerd-202411.12.0';

const node = (name: string, overrides: Partial<NodeFact> = {}): NodeFact => ({
  name,
  pool: 'user',
  ready: true,
  notReadyReason: null,
  unschedulable: false,
  imageVersion: OLD,
  kubeletVersion: 'v1.32.6',
  createdAt: '2026-10-01T00:00:00Z',
  ...overrides,
});
const pod = (name: string, nodeName: string, overrides: Partial<PodFact> = {}): PodFact => ({
  namespace: 'apps',
  name,
  nodeName,
  phase: 'Running',
  labels: { app: 'web' },
  owner: { kind: 'ReplicaSet', name: 'web-5d9f' },
  crashLooping: false,
  ...overrides,
});
const pdb = (overrides: Partial<PdbFact> = {}): PdbFact => ({
  namespace: 'apps',
  name: 'web-pdb',
  selector: { matchLabels: { app: 'web' } },
  disruptionsAllowed: 1,
  minAvailable: 1,
  maxUnavailable: null,
  currentHealthy: 2,
  expectedPods: 2,
  ...overrides,
});
const pool = (overrides: Partial<ObservedPool> = {}): ObservedPool => ({
  name: 'user',
  mode: 'User',
  provisioningState: 'Succeeded',
  nodeImageVersion: OLD,
  latestNodeImageVersion: NEW,
  kubernetesVersion: '1.32.6',
  count: 3,
  enableAutoScaling: false,
  minCount: null,
  maxCount: null,
  upgradeSettings: { maxSurge: '33%' },
  ...overrides,
});
const view = (parts: Partial<ClusterNodesView>): ClusterNodesView => ({ readAt: '2026-11-01T00:00:00Z', nodes: [], pods: [], pdbs: [], ...parts });
const check = (checks: ReturnType<typeof nodePrechecks>, prefix: string) => checks.find((c) => c.name.startsWith(prefix))!;

describe('label selectors', () => {
  it.each([
    [{ matchLabels: { app: 'web' } }, { app: 'web', tier: 'x' }, true],
    [{ matchLabels: { app: 'web' } }, { app: 'api' }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, { app: 'api' }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, {}, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, { app: '2' }, false],
    [{}, { anything: 'x' }, true],
    [null, { app: 'web' }, false],
  ])('%j selects %j: %s', (selector, labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('node pre-checks', () => {
  const nodes = [node('n0'), node('n1'), node('n2'), node('sys0', { pool: 'system' })];

  it('blocks on a PDB that allows no disruption of pods on the pool, naming it with its selector', () => {
    const checks = nodePrechecks(pool(), view({
      nodes,
      pods: [pod('web-a', 'n0'), pod('web-b', 'n1'), pod('solo', 'n2', { labels: { app: 'solo' }, owner: { kind: 'ReplicaSet', name: 'solo-1' } })],
      pdbs: [pdb(), pdb({ name: 'solo-pdb', selector: { matchLabels: { app: 'solo' } }, disruptionsAllowed: 0, currentHealthy: 1, expectedPods: 1 })],
    }));
    const budgets = check(checks, 'pod_disruption_budgets:user');
    expect(budgets.verdict).toBe('block');
    expect(budgets.observed.blocking).toEqual([
      expect.objectContaining({ namespace: 'apps', name: 'solo-pdb', selector: 'app=solo', disruptionsAllowed: 0, podsOnPool: ['solo'] }),
    ]);
    expect(budgets.observed.allowing).toEqual([expect.objectContaining({ name: 'web-pdb', disruptionsAllowed: 1 })]);
    expect(check(checks, 'single_replica_workloads:user')).toMatchObject({ verdict: 'warn', observed: { pods: [expect.objectContaining({ name: 'solo', owner: 'ReplicaSet/solo-1' })] } });
  });

  it('ignores budgets of pods on other pools, other namespaces and DaemonSet pods', () => {
    const checks = nodePrechecks(pool(), view({
      nodes,
      pods: [pod('web-a', 'n0'), pod('web-b', 'n1'), pod('sys', 'sys0', { labels: { app: 'core' } }), pod('proxy', 'n0', { labels: { app: 'core' }, owner: { kind: 'DaemonSet', name: 'kube-proxy' } })],
      pdbs: [pdb({ name: 'core', selector: { matchLabels: { app: 'core' } }, disruptionsAllowed: 0 }), pdb({ namespace: 'other', disruptionsAllowed: 0 })],
    }));
    expect(check(checks, 'pod_disruption_budgets:user').verdict).toBe('ok');
  });

  it('reports the pool nodes, and warns on NotReady, cordoned or missing nodes', () => {
    const ok = nodePrechecks(pool(), view({ nodes, pods: [pod('web-a', 'n0'), pod('web-b', 'n1')] }));
    expect(check(ok, 'nodes:user')).toMatchObject({ verdict: 'ok', observed: { nodes: 3, ready: 3, images: { [OLD]: 3 } } });
    const bad = nodePrechecks(pool(), view({ nodes: [node('n0', { ready: false }), node('n1', { unschedulable: true })] }));
    expect(check(bad, 'nodes:user')).toMatchObject({ verdict: 'warn', observed: { notReady: ['n0'], cordoned: ['n1'], armCount: 3, nodes: 2 } });
  });

  it('warns when the surge takes an autoscaled pool above its maximum', () => {
    const checks = nodePrechecks(pool({ enableAutoScaling: true, minCount: 1, maxCount: 3, upgradeSettings: { maxSurge: '1' } }), view({ nodes }));
    expect(check(checks, 'surge_capacity:user')).toMatchObject({ verdict: 'warn', observed: { surgeNodes: 1, nodesDuringUpgrade: 4, autoscalerMaxCount: 3 } });
    expect(check(nodePrechecks(pool({ enableAutoScaling: true, maxCount: 10 }), view({ nodes })), 'surge_capacity:user').verdict).toBe('ok');
  });

  it('records pods already Pending or crash-looping on the pool, or Pending on no node, before the run', () => {
    const pods = [
      pod('web-a', 'n0', { crashLooping: true }),
      pod('web-b', 'n1', { phase: 'Pending' }),
      { ...pod('unscheduled', 'x'), nodeName: null, phase: 'Pending' },
      pod('elsewhere', 'sys0', { crashLooping: true }),
      { ...pod('done', 'x'), nodeName: null, phase: 'Succeeded' },
    ];
    const checks = nodePrechecks(pool(), view({ nodes, pods }));
    expect(check(checks, 'unhealthy_pods_before:user').observed.pods).toEqual([
      { namespace: 'apps', name: 'web-a', nodeName: 'n0', reason: 'CrashLoopBackOff' },
      { namespace: 'apps', name: 'web-b', nodeName: 'n1', reason: 'Pending' },
      { namespace: 'apps', name: 'unscheduled', nodeName: null, reason: 'Pending' },
    ]);
  });
});

describe('surge nodes', () => {
  it.each([
    [undefined, 3, 1],
    ['10%', 30, 3],
    ['33%', 3, 1],
    ['50%', 5, 3],
    ['2', 10, 2],
    ['0', 10, 1],
  ])('maxSurge %s of %i nodes: %i', (maxSurge, count, expected) => {
    expect(surgeNodes(maxSurge, count)).toBe(expected);
  });
});

describe('node transitions and the post-check', () => {
  it('names every change between two reads of a pool', () => {
    const before = [node('n0'), node('n1'), node('n2', { ready: false })];
    const after = [node('n0', { unschedulable: true }), node('n2', { imageVersion: NEW }), node('n3', { imageVersion: NEW, ready: false })];
    expect(nodeTransitions(before, after)).toEqual([
      { type: 'node_cordoned', node: 'n0', image: OLD },
      { type: 'node_removed', node: 'n1', image: OLD },
      { type: 'node_ready', node: 'n2', image: NEW },
      { type: 'node_image_changed', node: 'n2', image: NEW, previousImage: OLD },
      { type: 'node_added', node: 'n3', image: NEW, ready: false },
    ]);
    expect(nodeTransitions(before, before)).toEqual([]);
  });

  it('is settled only when every node is Ready, schedulable and on the target image or newer', () => {
    expect(nodesSettled([node('a', { imageVersion: NEW }), node('b', { imageVersion: 'AKSUbuntu-2204gen2containerd-202412.01.0' })], NEW)).toEqual({ settled: true, stragglers: [] });
    expect(nodesSettled([node('a', { imageVersion: NEW }), node('b', { imageVersion: NEW, ready: false }), node('c')], NEW).stragglers).toEqual([
      { node: 'b', ready: false, image: NEW, cordoned: false },
      { node: 'c', ready: true, image: OLD, cordoned: false },
    ]);
    expect(nodesSettled([], NEW).settled).toBe(false);
  });

  it('counts only pods that became unhealthy during the run', () => {
    const before = [{ namespace: 'apps', name: 'old-crash', nodeName: 'n0', reason: 'CrashLoopBackOff' }];
    const after = [...before, { namespace: 'apps', name: 'new-pending', nodeName: null, reason: 'Pending' }];
    expect(newlyUnhealthy(before, after)).toEqual([{ namespace: 'apps', name: 'new-pending', nodeName: null, reason: 'Pending' }]);
  });
});

describe('the pool/node cross-check', () => {
  it('matches when every node label agrees with ARM, and counts the versions the nodes report', () => {
    expect(compareNodeLabels(OLD, [node('a'), node('b')])).toEqual({ verdict: 'match', poolVersion: OLD, nodeVersions: { [OLD]: 2 } });
    expect(compareNodeLabels(NEW, [node('a'), node('b', { imageVersion: NEW })])).toEqual({ verdict: 'mismatch', poolVersion: NEW, nodeVersions: { [OLD]: 1, [NEW]: 1 } });
    expect(compareNodeLabels(OLD, [node('a', { imageVersion: null })]).verdict).toBe('mismatch');
    expect(compareNodeLabels(OLD, []).verdict).toBe('no_nodes');
  });
});
