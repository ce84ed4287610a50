import type { PoolObservation } from '../domain/inventory.js';
import type { ArmClients } from './arm-clients.js';
import { withRetry, type RetryContext } from './retry.js';

/** Asks AKS for the newest node image it offers `pool` (agentPools.getUpgradeProfile → latestNodeImageVersion). */
export async function getLatestNodeImageVersion(
  clients: ArmClients,
  pool: Pick<PoolObservation, 'subscriptionId' | 'resourceGroup' | 'clusterName' | 'poolName'>,
  retry: RetryContext,
  onCall?: () => void,
): Promise<string | null> {
  const profile = await withRetry(`agentPools.getUpgradeProfile ${pool.clusterName}/${pool.poolName}`, retry, (abortSignal) => {
    onCall?.();
    return clients
      .containerService(pool.subscriptionId)
      .agentPools.getUpgradeProfile(pool.resourceGroup, pool.clusterName, pool.poolName, { abortSignal });
  });
  return profile.latestNodeImageVersion ?? null;
}
