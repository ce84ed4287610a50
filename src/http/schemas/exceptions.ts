import Type from 'typebox';
import { DateTime, Nullable } from './common.js';

/**
 * Free text kept in evidence (reasons, tickets): not blank, and no control characters (tab and line breaks aside)
 * or lone surrogates, which would corrupt the PDF, CSV and log lines it is copied into.
 */
export const FREE_TEXT_PATTERN = '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\uD800-\\uDFFF]*$';
export const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: FREE_TEXT_PATTERN });

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
