import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { parseVerifierKey } from '../../evidence/signed-note.js';
import type { AccessRecorder } from '../../services/access-record.js';
import type { EvidenceService } from '../../services/evidence-service.js';
import { invalidInput } from '../../domain/errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, NoQuery, Nullable, PageQuery } from '../schemas/common.js';

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });

const VerifyResultSchema = Type.Object({
  intact: Type.Boolean(),
  entries: Type.Integer(),
  checkpoints: Type.Integer(),
  anchors: Type.Integer(),
  firstBrokenSequence: Nullable(Type.Integer()),
  head: Type.Object({ size: Type.Integer(), entryHash: Nullable(Type.String()), rootHash: Type.String() }),
  problems: Type.Array(Type.Object({ sequence: Nullable(Type.Integer()), code: Type.String(), message: Type.String() })),
});

const KeySchema = Type.Object({
  keyId: Type.String(),
  name: Type.String(),
  verifierKey: Type.String({ description: 'signed-note verifier key: name+keyid+base64(0x01 || Ed25519 public key)' }),
  publicKeyPem: Type.String(),
  notBefore: DateTime,
  notAfter: Nullable(DateTime),
});

const CheckpointSchema = Type.Object({
  id: Type.Integer(),
  size: Type.Integer(),
  rootHash: Hex64,
  signedAt: DateTime,
  keyId: Type.String(),
  note: Type.String(),
  consistencyProof: Type.Array(Hex64, { description: 'RFC 9162 consistency proof from the previous checkpoint' }),
});

export interface EvidenceRouteDeps {
  readonly evidence: EvidenceService;
  readonly recordAccess: AccessRecorder;
}

export const evidenceRoutes =
  (deps: EvidenceRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/evidence/verify',
      {
        config: { access: 'auditor' },
        schema: { summary: 'Recompute the ledger hash chain, Merkle roots, checkpoint signatures and observation digests', querystring: NoQuery, response: { 200: VerifyResultSchema, ...errorResponses } },
      },
      async () => deps.evidence.verifyInBackground(),
    );

    app.get(
      '/api/v1/evidence/export',
      {
        config: { access: 'auditor' },
        schema: { summary: 'A self-contained NDJSON bundle (keys, checkpoints, entries) for `imagewarden verify --bundle`', querystring: NoQuery, response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'NDJSON, one object per line' }), ...errorResponses } },
      },
      async (request, reply) => {
        deps.recordAccess({ kind: 'evidence_exported', subject: 'ledger', actor: request.principal!.actor, body: { export: 'ledger', format: 'imagewarden-evidence-bundle' } });
        return reply
          .type('application/x-ndjson')
          .header('content-disposition', `attachment; filename="imagewarden-evidence.ndjson"`)
          .send(Readable.from(deps.evidence.exportLines()));
      },
    );

    app.get(
      '/api/v1/evidence/public-key',
      {
        config: { access: 'auditor' },
        schema: { summary: 'The checkpoint signing keys, the active one first, each with its validity window', querystring: NoQuery, response: { 200: Type.Object({ active: Nullable(KeySchema), keys: Type.Array(KeySchema) }), ...errorResponses } },
      },
      async () => {
        const keys = deps.evidence.keys().map((key) => ({
          keyId: key.keyId,
          name: key.name,
          verifierKey: key.publicKey,
          publicKeyPem: parseVerifierKey(key.publicKey).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          notBefore: key.notBefore,
          notAfter: key.notAfter,
        }));
        return { active: keys.find((key) => key.notAfter === null) ?? null, keys: keys.reverse() };
      },
    );

    app.get(
      '/api/v1/evidence/checkpoints',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Signed checkpoints, oldest first (order=desc: newest first; limit=1 reads the newest)',
          querystring: Type.Object(
            { order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' })), ...PageQuery },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(CheckpointSchema), nextCursor: Nullable(Type.String()) }), ...errorResponses },
        },
      },
      async (request) => {
        const { order = 'asc', limit = 100 } = request.query;
        // The cursor names its order: a page of one order cannot continue the other.
        const position = decodeCursor<{ id: number; d: number }>(request.query.cursor, { id: 'number', d: 'number' });
        if (position !== null && position.d !== (order === 'desc' ? 1 : 0)) throw invalidInput('invalid_cursor', 'cursor is not one this API issued for this order');
        const page = order === 'desc' ? deps.evidence.checkpointsNewestFirst(position?.id ?? null, limit + 1) : deps.evidence.checkpoints(position?.id ?? 0, limit + 1);
        const items = page.slice(0, limit).map(({ frontier: _frontier, consistency, ...checkpoint }) => ({ ...checkpoint, consistencyProof: consistency }));
        return { items, nextCursor: page.length > limit ? encodeCursor({ id: items.at(-1)!.id, d: order === 'desc' ? 1 : 0 }) : null };
      },
    );
  };
