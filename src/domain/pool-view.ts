import type { ClusterObservation, PoolObservation } from './inventory.js';
import { compareNodeImageVersions, parseNodeImageVersion } from './node-image.js';

const DAY_IN_MS = 86_400_000;

export type PoolStatus = 'current' | 'within_policy' | 'non_compliant' | 'excepted' | 'unknown';

/** A pool as the API returns it (CONTRACT.md pool fields). Policy-driven fields stay null until drift is evaluated. */
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
  supersededAtSource: string | null;
  exposureDays: number | null;
  firstSeenBehindAt: string | null;
  status: PoolStatus | null;
  policyRule: string | null;
  slaDays: number | null;
  exceptionId: string | null;
  findingId: string | null;
  observedAt: string | null;
}

export interface PoolViewInput {
  readonly pool: PoolObservation;
  readonly cluster: ClusterObservation | null;
  readonly latestNodeImageVersion: string | null;
  readonly observedAt: string | null;
  /** The moment asked for. */
  readonly at: Date;
}

/** The image facts of a pool at `at`: pure arithmetic on its own and its latest version string. */
export function toPoolView(input: PoolViewInput): PoolView {
  const { pool, at } = input;
  const image = parseNodeImageVersion(pool.nodeImageVersion);
  const latest = parseNodeImageVersion(input.latestNodeImageVersion);
  const comparable = image !== null && latest !== null && compareNodeImageVersions(image.raw, latest.raw) !== null;
  const imageRelease = image ? Date.parse(`${image.releaseDate}T00:00:00Z`) : null;
  const latestRelease = latest ? Date.parse(`${latest.releaseDate}T00:00:00Z`) : null;
  const isCurrent = comparable && compareNodeImageVersions(image.raw, latest.raw)! >= 0;
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
    latestNodeImageVersion: input.latestNodeImageVersion,
    kubernetesVersion: pool.kubernetesVersion,
    nodeOSUpgradeChannel: input.cluster?.nodeOSUpgradeChannel ?? null,
    imageFamily: image?.family ?? null,
    imageReleaseDate: imageRelease === null ? null : new Date(imageRelease).toISOString(),
    imageAgeDays: imageRelease === null ? null : Math.floor((at.getTime() - imageRelease) / DAY_IN_MS),
    latestReleaseDate: latestRelease === null ? null : new Date(latestRelease).toISOString(),
    daysBehindLatest: !comparable ? null : isCurrent ? 0 : Math.floor((latestRelease! - imageRelease!) / DAY_IN_MS),
    releasesBehind: null,
    supersededAt: null,
    supersededAtSource: null,
    exposureDays: null,
    firstSeenBehindAt: null,
    status: null,
    policyRule: null,
    slaDays: null,
    exceptionId: null,
    findingId: null,
    observedAt: input.observedAt,
  };
}
