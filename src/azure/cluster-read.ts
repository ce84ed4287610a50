import type { ClusterObservation, PoolObservation } from '../domain/inventory.js';
import { parseClusterId } from '../domain/inventory.js';
import type { ArmClients } from './arm-clients.js';
import { toObservations } from './inventory.js';
import { withRetry, type RetryContext } from './retry.js';

/**
 * One cluster, read straight from the AKS API rather than Resource Graph (whose copy can lag an upgrade by minutes):
 * the wire JSON of `managedClusters.get` is shaped into the same row the inventory query returns and goes through
 * the same validation and mapping. Null when the cluster no longer exists.
 */
export async function readClusterObservation(clients: ArmClients, clusterId: string, retry: RetryContext, onCall?: () => void): Promise<{ cluster: ClusterObservation; pools: PoolObservation[] } | null> {
  const id = parseClusterId(clusterId);
  if (id === null) return null;
  let wire: Record<string, any> | undefined;
  try {
    await withRetry(`managedClusters.get ${id.name}`, retry, (abortSignal) => {
      onCall?.();
      return clients.containerService(id.subscriptionId).managedClusters.get(id.resourceGroup, id.name, {
        abortSignal,
        onResponse: (response) => {
          wire = JSON.parse(response.bodyAsText ?? 'null') as Record<string, any>;
        },
      });
    });
  } catch (error) {
    if ((error as { failure?: { statusCode?: number } }).failure?.statusCode === 404) return null;
    throw error;
  }
  const p = (wire?.properties ?? {}) as Record<string, any>;
  return toObservations({
    id: wire?.id,
    name: wire?.name,
    subscriptionId: id.subscriptionId,
    resourceGroup: id.resourceGroup,
    location: wire?.location,
    tags: wire?.tags ?? null,
    provisioningState: p.provisioningState ?? null,
    powerState: p.powerState?.code ?? null,
    kubernetesVersion: p.kubernetesVersion ?? null,
    currentKubernetesVersion: p.currentKubernetesVersion ?? null,
    upgradeChannel: p.autoUpgradeProfile?.upgradeChannel ?? null,
    nodeOSUpgradeChannel: p.autoUpgradeProfile?.nodeOSUpgradeChannel ?? null,
    agentPoolProfiles: p.agentPoolProfiles ?? [],
  });
}
