import Type from 'typebox';
import { DateTime, Nullable } from './common.js';

export const FindingSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('sla_breach'), Type.Literal('coverage_gap'), Type.Literal('node_mismatch')]),
  state: Type.Union([Type.Literal('open'), Type.Literal('risk_accepted'), Type.Literal('remediated'), Type.Literal('retired')]),
  clusterId: Nullable(Type.String()),
  poolName: Nullable(Type.String()),
  subscriptionId: Nullable(Type.String()),
  openedAt: DateTime,
  closedAt: Nullable(DateTime),
  timeToRemediateHours: Nullable(Type.Number()),
  exceptionId: Nullable(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

export const Statistics = Type.Object({
  total: Type.Integer(),
  slaBreaches: Type.Integer(),
  open: Type.Integer(),
  riskAccepted: Type.Integer(),
  remediated: Type.Integer(),
  retired: Type.Integer(),
  meanTimeToRemediateHours: Nullable(Type.Number()),
  p90TimeToRemediateHours: Nullable(Type.Number()),
});
