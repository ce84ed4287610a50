import Type from 'typebox';
import { Nullable } from './common.js';

// `T | null` as a type list rather than Nullable's anyOf: the same values, but fast-json-stringify writes a type list
// directly, where each anyOf costs a schema validation per value. A 100-pool page (30 fields a pool) serialises in
// about a third of the time (bench/api).
const NStr = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const NInt = Type.Unsafe<number | null>({ type: ['integer', 'null'] });
const NDateTime = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });

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
  imageReleaseDate: NDateTime,
  imageAgeDays: NInt,
  latestReleaseDate: NDateTime,
  daysBehindLatest: NInt,
  releasesBehind: NInt,
  supersededAt: NDateTime,
  supersededAtSource: Nullable(Type.Union([Type.Literal('observed'), Type.Literal('own_release'), Type.Literal('regional_availability')])),
  exposureDays: NInt,
  firstSeenBehindAt: NDateTime,
  status: PoolStatus,
  policyRule: Type.String(),
  slaDays: Type.Integer(),
  exceptionId: NStr,
  findingId: NStr,
  observedAt: NDateTime,
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
  observedAt: NDateTime,
});

const HistoryField = Type.Union([Type.Literal('nodeImageVersion'), Type.Literal('latestNodeImageVersion'), Type.Literal('kubernetesVersion'), Type.Literal('nodeCount')]);

/** One entry of GET /api/v1/pools/{id}/history: the pool as a snapshot observed it where an image field changed. */
export const PoolHistoryItemSchema = Type.Object({
  observedAt: Type.String({ format: 'date-time', description: 'when the snapshot that observed the change finished' }),
  snapshotId: Type.Integer(),
  change: Type.Union([Type.Literal('appeared'), Type.Literal('changed'), Type.Literal('deleted')], {
    description: 'appeared: first observed, or observed again after it was gone; deleted: not observed from this snapshot on (the values are null)',
  }),
  changedFields: Type.Array(HistoryField, { description: 'the fields that differ from the entry before it' }),
  nodeImageVersion: NStr,
  latestNodeImageVersion: NStr,
  kubernetesVersion: NStr,
  nodeCount: NInt,
  imageFamily: NStr,
  status: Type.Union([PoolStatus, Type.Null()], { description: "the pool's status at observedAt, with the policy and exceptions in force then (null when deleted); it also moves between entries, e.g. at the SLA's end" }),
});
