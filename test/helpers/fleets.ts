import type { FleetAgentPool, FleetCluster, FleetFile } from '../../src/emulator/types.js';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const SUB_1 = '11111111-2222-3333-4444-555555555555';
export const SUB_2 = '66666666-7777-8888-9999-000000000000';
export const SUB_3 = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

export const UBUNTU = 'AKSUbuntu-2204gen2containerd';
export const UBUNTU_LATEST = `${UBUNTU}-202611.10.0`;
export const UBUNTU_OLD = `${UBUNTU}-202609.02.0`;

export function pool(name: string, overrides: Partial<FleetAgentPool> = {}): FleetAgentPool {
  return { name, mode: 'User', count: 3, vmSize: 'Standard_D4ds_v5', osType: 'Linux', osSKU: 'Ubuntu', nodeImageVersion: UBUNTU_OLD, ...overrides };
}

export function cluster(name: string, pools: FleetAgentPool[], overrides: Partial<FleetCluster> = {}): FleetCluster {
  return { name, resourceGroup: 'rg-test', location: 'westeurope', kubernetesVersion: '1.32', currentKubernetesVersion: '1.32.6', agentPools: pools, ...overrides };
}

/** `count` one-pool clusters in one subscription: for paging tests (one Resource Graph row per cluster). */
export function fleetOfClusters(count: number, subscriptionId = SUB_1): FleetFile {
  const width = String(count).length;
  return {
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: UBUNTU_LATEST } },
    subscriptions: [
      { id: subscriptionId, clusters: Array.from({ length: count }, (_, i) => cluster(`aks-${String(i).padStart(width, '0')}`, [pool('nodes')])) },
    ],
  };
}
