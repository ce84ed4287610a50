import { managedClusterJson } from './arm-resources.js';
import { expandTemplatesDeep } from './version-template.js';
import type { ClusterRef, FleetState } from './fleet-state.js';
import type { KubernetesClusters } from './kubernetes/kubernetes-clusters.js';
import type { OperationStore } from './upgrade-operations.js';
import type { FleetAgentPool, FleetController, PowerStateCode, SubscriptionAccess } from './types.js';

/**
 * Test hooks that change the live fleet. Changes are visible at once through every endpoint (ARG rows, AKS GETs,
 * upgrade profiles, the clusters' Kubernetes APIs). Unknown clusters or pools throw: a typo in a test should fail
 * loudly, not silently no-op.
 */
export function createFleetController(state: FleetState, operations: OperationStore, kubernetes: KubernetesClusters, now: () => Date): FleetController {
  const poolOf = (clusterId: string, poolName: string) => {
    const ref = state.requireCluster(clusterId);
    const pool = state.pool(ref, poolName);
    if (!pool) throw new Error(`emulator cluster ${ref.cluster.name} has no agent pool ${poolName}`);
    return { ref, pool };
  };
  /** The cluster's Kubernetes side with running upgrades caught up first, so a fault lands on today's nodes. */
  const worldOf = (ref: ClusterRef) => {
    operations.settle();
    return kubernetes.world(ref);
  };

  return {
    setLatestImage(location: string, family: string, version: string): void {
      state.setLatestImage(location, family, version);
    },
    setPoolImage(clusterId: string, poolName: string, version: string | null): void {
      const { pool } = poolOf(clusterId, poolName);
      pool.nodeImageVersion = version === null ? null : state.expand(version);
      state.touch(pool);
    },
    removePool(clusterId: string, poolName: string): void {
      const { ref, pool } = poolOf(clusterId, poolName);
      ref.cluster.agentPools = ref.cluster.agentPools.filter((p) => p !== pool);
    },
    addPool(clusterId: string, pool: FleetAgentPool): void {
      const ref = state.requireCluster(clusterId);
      if (state.pool(ref, pool.name)) throw new Error(`emulator cluster ${ref.cluster.name} already has agent pool ${pool.name}`);
      const copy = expandTemplatesDeep(structuredClone(pool), now());
      state.touch(copy);
      ref.cluster.agentPools.push(copy);
    },
    getCluster(clusterId: string): Record<string, unknown> | undefined {
      operations.settle();
      const ref = state.clusterById(clusterId);
      return ref ? managedClusterJson(state, ref) : undefined;
    },
    setKubernetesVersion(clusterId: string, version: string, poolName?: string): void {
      if (poolName === undefined) {
        const ref = state.requireCluster(clusterId);
        ref.cluster.kubernetesVersion = version;
        ref.cluster.currentKubernetesVersion = version;
        return;
      }
      const { pool } = poolOf(clusterId, poolName);
      pool.orchestratorVersion = version;
      pool.currentOrchestratorVersion = version;
      state.touch(pool);
    },
    setClusterPowerState(clusterId: string, power: PowerStateCode): void {
      state.requireCluster(clusterId).cluster.powerState = power;
    },
    setSubscriptionAccess(subscriptionId: string, access: SubscriptionAccess): void {
      const sub = state.subscription(subscriptionId);
      if (!sub) throw new Error(`emulator fleet has no subscription ${subscriptionId}`);
      sub.access = access;
    },
    listClusterIds(): string[] {
      return state.clusters().map((ref) => ref.id);
    },
    addBlockingPdb(clusterId: string, poolName: string): void {
      const { ref, pool } = poolOf(clusterId, poolName);
      worldOf(ref).addSingleton(pool.name, now());
    },
    setNodeNeverReady(clusterId: string, poolName: string): void {
      const { ref, pool } = poolOf(clusterId, poolName);
      worldOf(ref).neverReadyNext(pool.name);
    },
    setApiServerReachable(clusterId: string, reachable: boolean): void {
      worldOf(state.requireCluster(clusterId)).setReachable(reachable);
    },
    setNodeImageLabel(clusterId: string, poolName: string, version: string | null): void {
      const { ref, pool } = poolOf(clusterId, poolName);
      worldOf(ref).setImageLabel(pool.name, version === null ? null : state.expand(version));
    },
  };
}
