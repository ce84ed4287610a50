import { uuidFrom } from '../arm-ids.js';
import { fullKubernetesVersion } from '../arm-resources.js';
import { generatedSuffix, instanceSuffix, vmssNumber } from './identifiers.js';
import { nodeLabels } from './node-json.js';
import { disruptionStatus } from './pdb-json.js';
import { podIsReady, podLabels } from './pod-json.js';
import { fleetWorkload, poolWebWorkload, singletonWorkload, systemWorkloads } from './workloads.js';
import type { ClusterRef, FleetState, PoolState } from '../fleet-state.js';
import type { NodeView } from './node-json.js';
import type { PdbView } from './pdb-json.js';
import type { Rollout } from './rollout.js';
import type { Workload } from './workloads.js';

/**
 * What one cluster's API server knows: its nodes, the pods on them and the PDBs guarding them. It is built on first
 * use from the ARM view of the cluster and then kept, so names stay stable; `sync()` catches up with ARM changes
 * (pools added or removed, a pool image changed behind an upgrade's back), upgrades move nodes through the
 * rollout primitives below (rollout.ts). Controllers are modelled only as far as their pods go: a Deployment keeps
 * its replicas placed on Ready, schedulable nodes its nodeSelector allows, a DaemonSet one pod per matching node.
 */

export interface NodeRecord {
  name: string;
  poolName: string;
  /** The VMSS instance id; names never repeat within a pool. */
  instanceId: number;
  /** Creation order within the cluster. */
  serial: number;
  /** The node image the VM runs (ARM's view of the pool differs mid-upgrade and after a failed one). */
  image: string | null;
  uid: string;
  createdAt: Date;
  ready: boolean;
  readySince?: Date;
  /** Fault `node-never-ready`: the kubelet never posts Ready. */
  neverReady: boolean;
  cordoned: boolean;
  cordonedAt?: Date;
  resourceVersion: number;
  internalIp: string;
  podCidr: string;
  /** Pods given an address in `podCidr` so far. */
  podsPlaced: number;
}

export interface PodRecord {
  name: string;
  namespace: string;
  workload: Workload;
  /** Unset while no node can take the pod (Pending, Unschedulable). */
  nodeName?: string;
  uid: string;
  createdAt: Date;
  scheduledAt?: Date;
  ip?: string;
  resourceVersion: number;
}

interface WorkloadEntry {
  workload: Workload;
  uid: string;
  createdAt: Date;
  resourceVersion: number;
}

interface PoolNodes {
  vmssNumber: string;
  nextInstance: number;
  /** The ARM `nodeImageVersion` last seen: a change that the nodes did not go through replaces them. */
  armImage: string | null;
}

/** Pods a PDB kept on a node being drained. */
export interface BlockedDrain {
  node: string;
  pods: PodRecord[];
  pdbName: string;
  unreadyPods: number;
}

export type ClusterWorld = ReturnType<typeof createClusterWorld>;

export function createClusterWorld(state: FleetState, ref: ClusterRef, createdAt: Date) {
  let resourceVersion = 4000;
  let nodeSerial = 0;
  let podSerial = 0;
  const pools = new Map<string, PoolNodes>();
  const nodes = new Map<string, NodeRecord>();
  const pods = new Map<string, PodRecord>();
  const workloads = new Map<string, WorkloadEntry>();
  const rollouts = new Map<string, Rollout>();
  const faults = { reachable: true, neverReadyPools: new Set<string>(), imageLabels: new Map<string, string>() };
  const bump = (): number => ++resourceVersion;
  const poolKey = (name: string): string => name.toLowerCase();
  const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

  const version = fullKubernetesVersion(ref.cluster.currentKubernetesVersion ?? ref.cluster.kubernetesVersion);
  for (const workload of [...systemWorkloads(version), ...(ref.cluster.kubernetes?.workloads ?? []).map(fleetWorkload)]) {
    addWorkload(workload, createdAt);
  }

  function addWorkload(workload: Workload, at: Date): void {
    const key = keyOf(workload.namespace, workload.name);
    if (workloads.has(key)) return;
    workloads.set(key, { workload, uid: uuidFrom(`${ref.id.toLowerCase()}/workloads/${key}`), createdAt: at, resourceVersion: bump() });
  }

  function poolOf(node: NodeRecord): PoolState | undefined {
    return state.pool(ref, node.poolName);
  }

  function viewOf(node: NodeRecord, pool: PoolState): NodeView {
    return { ref, pool, node, imageLabel: faults.imageLabels.get(poolKey(pool.name)) ?? node.image };
  }

  function labelsOf(node: NodeRecord): Record<string, string> {
    const pool = poolOf(node);
    return pool ? nodeLabels(viewOf(node, pool)) : {};
  }

  function nodesOf(poolName: string): NodeRecord[] {
    return [...nodes.values()].filter((node) => poolKey(node.poolName) === poolKey(poolName)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A new VMSS instance: `aks-<pool>-<8 digits>-vmss<6>` (Windows: `aks<pool><6>`, 15-character computer names). */
  function createNode(pool: PoolState, image: string | null, at: Date, ready: boolean): NodeRecord {
    const key = poolKey(pool.name);
    const entry = pools.get(key)!;
    const instanceId = entry.nextInstance++;
    const name = pool.osType === 'Windows'
      ? `aks${pool.name}${instanceSuffix(instanceId)}`
      : `aks-${pool.name}-${entry.vmssNumber}-vmss${instanceSuffix(instanceId)}`;
    const serial = nodeSerial++;
    const node: NodeRecord = {
      name,
      poolName: pool.name,
      instanceId,
      serial,
      image,
      uid: uuidFrom(`${ref.id.toLowerCase()}/nodes/${name}/${serial}`),
      createdAt: at,
      ready: false,
      neverReady: faults.neverReadyPools.delete(key),
      cordoned: false,
      resourceVersion: bump(),
      internalIp: `10.224.${Math.floor((serial + 4) / 256) % 256}.${(serial + 4) % 256}`,
      podCidr: `10.244.${serial % 256}.0/24`,
      podsPlaced: 0,
    };
    nodes.set(name, node);
    if (ready) markReady(node, at);
    return node;
  }

  function markReady(node: NodeRecord, at: Date): void {
    if (node.neverReady || node.ready) return;
    node.ready = true;
    node.readySince = at;
    node.resourceVersion = bump();
  }

  function cordon(node: NodeRecord, at: Date): void {
    if (node.cordoned) return;
    node.cordoned = true;
    node.cordonedAt = at;
    node.resourceVersion = bump();
  }

  function deleteNode(node: NodeRecord): void {
    nodes.delete(node.name);
    bump();
  }

  function addPool(pool: PoolState, at: Date): void {
    pools.set(poolKey(pool.name), { vmssNumber: vmssNumber(ref.id, pool.name), nextInstance: 0, armImage: pool.nodeImageVersion });
    for (let i = 0; i < (pool.count ?? 3); i++) createNode(pool, pool.nodeImageVersion, at, true);
    if ((pool.mode ?? 'User') === 'User') addWorkload(poolWebWorkload(pool), at);
  }

  function removePool(key: string): void {
    pools.delete(key);
    for (const node of [...nodes.values()]) if (poolKey(node.poolName) === key) deleteNode(node);
    for (const [name, entry] of workloads) if (entry.workload.boundToPool && poolKey(entry.workload.boundToPool) === key) workloads.delete(name);
  }

  /** Catches up with ARM: new and removed pools, and pool images changed without an upgrade (nodes replaced at once). */
  function sync(at: Date): void {
    const armPools = new Map(ref.cluster.agentPools.map((pool) => [poolKey(pool.name), pool]));
    for (const key of [...pools.keys()]) if (!armPools.has(key)) removePool(key);
    for (const [key, pool] of armPools) {
      const entry = pools.get(key);
      if (!entry) {
        addPool(pool, at);
        continue;
      }
      if (pool.nodeImageVersion === entry.armImage) continue;
      entry.armImage = pool.nodeImageVersion;
      const current = nodesOf(pool.name);
      if (current.every((node) => node.image === pool.nodeImageVersion)) continue; // an upgrade got them there
      for (const node of current) deleteNode(node);
      for (let i = 0; i < (pool.count ?? 3); i++) createNode(pool, pool.nodeImageVersion, at, true);
    }
    reconcilePods(at);
  }

  function podsOf(workload: Workload): PodRecord[] {
    return [...pods.values()].filter((pod) => pod.workload === workload);
  }

  function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([key, value]) => labels[key] === value);
  }

  /**
   * The scheduler's choice: a Ready, schedulable node the selector allows, spreading replicas, then by load, then
   * the newest node (the emptiest in resources, as a fresh surge node is).
   */
  function placeFor(workload: Workload): NodeRecord | undefined {
    const load = new Map<string, { own: number; all: number }>();
    for (const pod of pods.values()) {
      if (!pod.nodeName) continue;
      const entry = load.get(pod.nodeName) ?? { own: 0, all: 0 };
      entry.all++;
      if (pod.workload === workload) entry.own++;
      load.set(pod.nodeName, entry);
    }
    const of = (node: NodeRecord) => load.get(node.name) ?? { own: 0, all: 0 };
    return [...nodes.values()]
      .filter((node) => node.ready && !node.cordoned && matches(workload.nodeSelector, labelsOf(node)))
      .sort((a, b) => of(a).own - of(b).own || of(a).all - of(b).all || b.serial - a.serial)[0];
  }

  function bind(pod: PodRecord, node: NodeRecord, at: Date): void {
    pod.nodeName = node.name;
    pod.scheduledAt = at;
    // Pod addresses come from the node's pod CIDR, from .2 on; host-network pods share the node's address.
    pod.ip = pod.workload.hostNetwork ? node.internalIp : `${node.podCidr.split('.').slice(0, 3).join('.')}.${2 + (node.podsPlaced++ % 250)}`;
    pod.resourceVersion = bump();
  }

  function createPod(workload: Workload, at: Date, node: NodeRecord | undefined): void {
    let name: string;
    do {
      const suffix = generatedSuffix(`${ref.id.toLowerCase()}/${workload.namespace}/${workload.name}/${podSerial++}`, 5);
      name = workload.kind === 'Deployment' ? `${workload.name}-${workload.revision}-${suffix}` : `${workload.name}-${suffix}`;
    } while (pods.has(keyOf(workload.namespace, name)));
    const pod: PodRecord = {
      name, namespace: workload.namespace, workload, uid: uuidFrom(`${ref.id.toLowerCase()}/pods/${workload.namespace}/${name}`), createdAt: at, resourceVersion: bump(),
    };
    if (node) bind(pod, node, at);
    pods.set(keyOf(pod.namespace, name), pod);
  }

  /** What the controllers and the scheduler do after any change: drop orphans, fill replicas, place pending pods. */
  function reconcilePods(at: Date): void {
    for (const [key, pod] of pods) {
      const orphan = workloads.get(keyOf(pod.namespace, pod.workload.name))?.workload !== pod.workload;
      if (orphan || (pod.nodeName !== undefined && !nodes.has(pod.nodeName))) pods.delete(key);
    }
    for (const { workload } of workloads.values()) {
      const own = podsOf(workload);
      if (workload.kind === 'DaemonSet') {
        const covered = new Set(own.map((pod) => pod.nodeName));
        for (const node of [...nodes.values()]) {
          if (!covered.has(node.name) && matches(workload.nodeSelector, labelsOf(node))) createPod(workload, at, node);
        }
        continue;
      }
      for (const pod of own) {
        const node = pod.nodeName ? undefined : placeFor(workload);
        if (node) bind(pod, node, at);
      }
      for (let i = own.length; i < workload.replicas; i++) createPod(workload, at, placeFor(workload));
    }
  }

  function pdbsSelecting(pod: PodRecord): WorkloadEntry[] {
    const labels = podLabels(pod);
    return [...workloads.values()].filter(({ workload }) => workload.pdb && workload.namespace === pod.namespace && matches(workload.labels, labels));
  }

  function podsSelectedBy(workload: Workload): PodRecord[] {
    return [...pods.values()].filter((pod) => pod.namespace === workload.namespace && matches(workload.labels, podLabels(pod)));
  }

  function readiness(list: PodRecord[]): boolean[] {
    return list.map((pod) => podIsReady(pod.nodeName ? nodes.get(pod.nodeName) : undefined));
  }

  /**
   * `kubectl drain --ignore-daemonsets` through the eviction API: every other pod is evicted (its controller
   * recreates it elsewhere) unless a PDB allows no disruption; those pods stay and are reported.
   */
  function drain(node: NodeRecord, at: Date): BlockedDrain | undefined {
    const blocked: PodRecord[] = [];
    let guard: Workload | undefined;
    const evictable = [...pods.values()].filter((pod) => pod.nodeName === node.name && pod.workload.kind !== 'DaemonSet');
    for (const pod of evictable.sort((a, b) => a.name.localeCompare(b.name))) {
      const denying = pdbsSelecting(pod).find(({ workload }) => {
        const selected = podsSelectedBy(workload);
        return disruptionStatus(workload.pdb!, workload.replicas, readiness(selected)).disruptionsAllowed <= 0;
      });
      if (denying) {
        blocked.push(pod);
        guard ??= denying.workload;
        continue;
      }
      pods.delete(keyOf(pod.namespace, pod.name));
      reconcilePods(at);
    }
    if (!guard) return undefined;
    const selected = readiness(podsSelectedBy(guard));
    return { node: node.name, pods: blocked, pdbName: guard.pdb!.name, unreadyPods: selected.filter((ready) => !ready).length };
  }

  return {
    ref,
    rollouts,
    sync,
    nodesOf,
    node: (name: string): NodeRecord | undefined => nodes.get(name),
    createNode,
    markReady,
    cordon,
    deleteNode,
    drain,
    reconcilePods,
    resourceVersion: (): number => resourceVersion,
    nodeCount: (): number => nodes.size,
    nodeViews(): NodeView[] {
      return [...nodes.values()].flatMap((node) => {
        const pool = poolOf(node);
        return pool ? [viewOf(node, pool)] : [];
      });
    },
    /** Every pod with the node it is bound to. */
    pods(): { pod: PodRecord; node?: NodeRecord }[] {
      return [...pods.values()].map((pod) => ({ pod, node: pod.nodeName ? nodes.get(pod.nodeName) : undefined }));
    },
    pdbs(): PdbView[] {
      return [...workloads.values()]
        .filter(({ workload }) => workload.pdb)
        .map((entry) => ({
          workload: entry.workload,
          pdb: entry.workload.pdb!,
          uid: uuidFrom(`${entry.uid}/pdb`),
          createdAt: entry.createdAt,
          resourceVersion: Math.max(entry.resourceVersion, ...podsSelectedBy(entry.workload).map((pod) => pod.resourceVersion)),
          podsReady: readiness(podsSelectedBy(entry.workload)),
        }));
    },
    /** Fault `blocking-pdb`. */
    addSingleton(poolName: string, at: Date): void {
      addWorkload(singletonWorkload(poolName), at);
      reconcilePods(at);
    },
    /** Fault `node-never-ready`: the pool's next new node. */
    neverReadyNext(poolName: string): void {
      faults.neverReadyPools.add(poolKey(poolName));
    },
    /** Fault `label-mismatch`; null lets the label follow the node's image again. */
    setImageLabel(poolName: string, version: string | null): void {
      if (version === null) faults.imageLabels.delete(poolKey(poolName));
      else faults.imageLabels.set(poolKey(poolName), version);
      for (const node of nodesOf(poolName)) node.resourceVersion = bump();
    },
    setReachable(reachable: boolean): void {
      faults.reachable = reachable;
    },
    reachable: (): boolean => faults.reachable,
  };
}
