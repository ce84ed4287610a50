import type { ClusterObservation, PoolObservation } from '../../src/domain/inventory.js';

export const SUB_A = '11111111-2222-3333-4444-555555555555';
export const SUB_B = '66666666-7777-8888-9999-000000000000';

export function clusterId(subscriptionId: string, name: string, resourceGroup = 'rg-test'): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export function aCluster(overrides: Partial<ClusterObservation> & { name: string; subscriptionId?: string }): ClusterObservation {
  const subscriptionId = overrides.subscriptionId ?? SUB_A;
  return {
    id: clusterId(subscriptionId, overrides.name),
    subscriptionId,
    resourceGroup: 'rg-test',
    location: 'westeurope',
    kubernetesVersion: '1.32.6',
    upgradeChannel: null,
    nodeOSUpgradeChannel: 'NodeImage',
    provisioningState: 'Succeeded',
    powerState: 'Running',
    tags: {},
    poolCount: 1,
    ...overrides,
  };
}

export function aPool(overrides: Partial<PoolObservation> & { clusterName: string; poolName: string }): PoolObservation {
  const subscriptionId = overrides.subscriptionId ?? SUB_A;
  return {
    clusterId: clusterId(subscriptionId, overrides.clusterName),
    subscriptionId,
    resourceGroup: 'rg-test',
    location: 'westeurope',
    mode: 'User',
    osType: 'Linux',
    osSku: 'Ubuntu',
    vmSize: 'Standard_D4ds_v5',
    nodeCount: 3,
    nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202410.27.0',
    kubernetesVersion: '1.32.6',
    provisioningState: 'Succeeded',
    powerState: 'Running',
    enableFips: false,
    enableAutoScaling: false,
    minCount: null,
    maxCount: null,
    maxSurge: '10%',
    maxUnavailable: null,
    drainTimeoutInMinutes: null,
    nodeSoakDurationInMinutes: null,
    availabilityZones: [],
    tags: {},
    nodeLabels: {},
    ...overrides,
  };
}
