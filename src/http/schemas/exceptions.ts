import Type from 'typebox';
import { DateTime, Nullable } from './common.js';

export const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });

export const ScopeSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('pool'), Type.Literal('cluster'), Type.Literal('subscription'), Type.Literal('tag')]),
    clusterId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    poolName: Type.Optional(Type.String({ minLength: 1, maxLength: 12 })),
    subscriptionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    tag: Type.Optional(Type.String({ minLength: 3, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const ExceptionSchema = Type.Object({
  id: Type.String(),
  state: Type.Union([Type.Literal('requested'), Type.Literal('approved'), Type.Literal('expired'), Type.Literal('revoked'), Type.Literal('rejected')]),
  scope: ScopeSchema,
  reason: Type.String(),
  compensatingControl: Type.String(),
  ticket: Type.String(),
  expiresAt: DateTime,
  requestedBy: Type.String(),
  requestedAt: DateTime,
  approvedBy: Nullable(Type.String()),
  approvedAt: Nullable(DateTime),
  revokedBy: Nullable(Type.String()),
  revokedAt: Nullable(DateTime),
  rejectedBy: Nullable(Type.String()),
  rejectedAt: Nullable(DateTime),
});
