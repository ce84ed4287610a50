import { sameId } from '../arm-ids.js';
import type { FleetState } from '../fleet-state.js';
import type { FleetController, KubernetesFault } from '../types.js';

/**
 * Applies a fault plan's `kubernetes` entries through the fleet controller methods of the same faults, to every
 * cluster of that name (narrowed by `subscriptionId`). A name that matches no cluster throws: a typo in a plan
 * must not pass as "no fault".
 */
export function applyKubernetesFaults(faults: KubernetesFault[], state: FleetState, fleet: FleetController): void {
  for (const fault of faults) {
    const refs = state
      .clusters()
      .filter((ref) => sameId(ref.cluster.name, fault.clusterName) && (!fault.subscriptionId || sameId(ref.subscription.id, fault.subscriptionId)));
    if (refs.length === 0) throw new Error(`fault plan: kubernetes fault ${fault.fault}: the fleet has no cluster ${fault.clusterName}`);
    for (const { id } of refs) {
      switch (fault.fault) {
        case 'blocking-pdb':
          fleet.addBlockingPdb(id, fault.poolName!);
          break;
        case 'node-never-ready':
          fleet.setNodeNeverReady(id, fault.poolName!);
          break;
        case 'unreachable':
          fleet.setApiServerReachable(id, false);
          break;
        case 'label-mismatch':
          fleet.setNodeImageLabel(id, fault.poolName!, fault.version!);
          break;
      }
    }
  }
}
