import type { Drift } from './drift.js';
import type { ClusterObservation, PoolObservation } from './inventory.js';

export type { PoolStatus } from './drift.js';

/** A pool as the API returns it: the CONTRACT.md pool fields, in CONTRACT.md order. */
export interface PoolView {
  clusterId: string;
  clusterName: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  poolName: string;
  mode: string | null;
  osType: string | null;
  osSku: string | null;
  nodeCount: number | null;
  nodeImageVersion: string | null;
  latestNodeImageVersion: string | null;
  kubernetesVersion: string | null;
  nodeOSUpgradeChannel: string | null;
  imageFamily: string | null;
  imageReleaseDate: string | null;
  imageAgeDays: number | null;
  latestReleaseDate: string | null;
  daysBehindLatest: number | null;
  releasesBehind: number | null;
  supersededAt: string | null;
  supersededAtSource: Drift['supersededAtSource'];
  exposureDays: number | null;
  firstSeenBehindAt: string | null;
  status: Drift['status'];
  policyRule: string;
  slaDays: number;
  exceptionId: string | null;
  findingId: string | null;
  observedAt: string | null;
}

export function toPoolView(
  observed: { pool: PoolObservation; cluster: ClusterObservation | null; latestNodeImageVersion: string | null },
  drift: Drift,
  observedAt: string | null,
): PoolView {
  const { pool } = observed;
  return {
    clusterId: pool.clusterId,
    clusterName: pool.clusterName,
    subscriptionId: pool.subscriptionId,
    resourceGroup: pool.resourceGroup,
    location: pool.location,
    poolName: pool.poolName,
    mode: pool.mode,
    osType: pool.osType,
    osSku: pool.osSku,
    nodeCount: pool.nodeCount,
    nodeImageVersion: pool.nodeImageVersion,
    latestNodeImageVersion: observed.latestNodeImageVersion,
    kubernetesVersion: pool.kubernetesVersion,
    nodeOSUpgradeChannel: observed.cluster?.nodeOSUpgradeChannel ?? null,
    imageFamily: drift.imageFamily,
    imageReleaseDate: drift.imageReleaseDate,
    imageAgeDays: drift.imageAgeDays,
    latestReleaseDate: drift.latestReleaseDate,
    daysBehindLatest: drift.daysBehindLatest,
    releasesBehind: drift.releasesBehind,
    supersededAt: drift.supersededAt,
    supersededAtSource: drift.supersededAtSource,
    exposureDays: drift.exposureDays,
    firstSeenBehindAt: drift.firstSeenBehindAt,
    status: drift.status,
    policyRule: drift.policyRule,
    slaDays: drift.slaDays,
    exceptionId: drift.exceptionId,
    findingId: null,
    observedAt,
  };
}
