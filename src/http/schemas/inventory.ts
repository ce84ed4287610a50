import Type from 'typebox';
import { DateTime, Nullable } from './common.js';

const NStr = Nullable(Type.String());
const NInt = Nullable(Type.Integer());

export const PoolStatus = Type.Union([
  Type.Literal('current'),
  Type.Literal('within_policy'),
  Type.Literal('non_compliant'),
  Type.Literal('excepted'),
  Type.Literal('unknown'),
]);

export const PoolSchema = Type.Object({
  clusterId: Type.String(),
  clusterName: Type.String(),
  subscriptionId: Type.String(),
  resourceGroup: Type.String(),
  location: Type.String(),
  poolName: Type.String(),
  mode: NStr,
  osType: NStr,
  osSku: NStr,
  nodeCount: NInt,
  nodeImageVersion: NStr,
  latestNodeImageVersion: NStr,
  kubernetesVersion: NStr,
  nodeOSUpgradeChannel: NStr,
  imageFamily: NStr,
  imageReleaseDate: Nullable(DateTime),
  imageAgeDays: NInt,
  latestReleaseDate: Nullable(DateTime),
  daysBehindLatest: NInt,
  releasesBehind: NInt,
  supersededAt: Nullable(DateTime),
  supersededAtSource: Nullable(Type.Union([Type.Literal('observed'), Type.Literal('own_release'), Type.Literal('regional_availability')])),
  exposureDays: NInt,
  firstSeenBehindAt: Nullable(DateTime),
  status: PoolStatus,
  policyRule: Type.String(),
  slaDays: Type.Integer(),
  exceptionId: NStr,
  findingId: NStr,
  observedAt: Nullable(DateTime),
});

export const ClusterSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  subscriptionId: Type.String(),
  resourceGroup: Type.String(),
  location: Type.String(),
  kubernetesVersion: NStr,
  nodeOSUpgradeChannel: NStr,
  provisioningState: NStr,
  powerState: NStr,
  poolCount: Type.Integer(),
  tags: Type.Record(Type.String(), Type.String()),
  observedAt: Nullable(DateTime),
});
