import Type from 'typebox';
import type { Snapshot } from '../../domain/snapshot.js';
import { DateTime, Nullable } from './common.js';

export const SnapshotSchema = Type.Object({
  id: Type.Integer(),
  status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('partial'), Type.Literal('failed')]),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('api'), Type.Literal('cli'), Type.Literal('upgrade')]),
  scope: Type.Union([Type.Literal('fleet'), Type.Literal('cluster')]),
  requestedBy: Type.String(),
  startedAt: DateTime,
  finishedAt: Nullable(DateTime),
  clusterCount: Nullable(Type.Integer()),
  poolCount: Nullable(Type.Integer()),
  armCalls: Nullable(Type.Integer()),
  subscriptions: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
      error: Type.Optional(Type.String()),
    }),
  ),
  warnings: Type.Array(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true })),
  error: Type.Optional(Type.String()),
});

/** The API shape of a snapshot (CONTRACT.md): `error` only when there is one. */
export function toSnapshotResponse(snapshot: Snapshot) {
  const { error, subscriptions, warnings, ...rest } = snapshot;
  const view = { ...rest, subscriptions: [...subscriptions], warnings: [...warnings] };
  return error === null ? view : { ...view, error };
}
