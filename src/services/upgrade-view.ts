import type { UpgradeRunRecord } from '../store/upgrade-repository.js';

/** A run as the API and the reports show it (CONTRACT.md): the runner's bookkeeping (poller state, owner) left out. */
export function toRunResponse(run: UpgradeRunRecord) {
  return {
    id: run.id,
    status: run.status,
    clusterId: run.clusterId,
    requestedBy: run.requestedBy,
    approvedBy: run.approvedBy,
    abortRequestedBy: run.abortRequestedBy,
    reason: run.reason,
    changeTicket: run.changeTicket,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error,
    pools: run.pools.map(({ poolName, status, imageBefore, targetImage, imageAfter, kubernetesVersionBefore, kubernetesVersionAfter, operationId, error }) => ({
      poolName,
      status,
      imageBefore,
      targetImage,
      imageAfter,
      kubernetesVersionBefore,
      kubernetesVersionAfter,
      operationId,
      error,
    })),
    prechecks: run.prechecks,
  };
}
