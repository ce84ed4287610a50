import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../../domain/errors.js';
import type { SnapshotService } from '../../services/snapshot-service.js';
import type { SnapshotRepository } from '../../store/snapshot-repository.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errorResponses, NoQuery, page, PageQuery } from '../schemas/common.js';
import { SnapshotSchema, toSnapshotResponse } from '../schemas/snapshot.js';

export interface SnapshotRouteDeps {
  readonly snapshotService: Pick<SnapshotService, 'start'>;
  readonly snapshots: Pick<SnapshotRepository, 'get' | 'list'>;
}

export const snapshotRoutes =
  (deps: SnapshotRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/v1/snapshots',
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Start a fleet snapshot (or get the one already running)',
          querystring: NoQuery,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 202: Type.Object({ id: Type.Integer(), status: SnapshotSchema.properties.status }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { snapshot, completion } = deps.snapshotService.start('api', request.principal!.actor);
        // Outcomes are recorded on the snapshot itself; nothing waits on the promise here.
        completion.catch((error: unknown) => request.log.error({ err: error }, 'snapshot failed'));
        return reply.status(202).send({ id: snapshot.id, status: snapshot.status });
      },
    );

    app.get(
      '/api/v1/snapshots',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'List snapshots, newest first',
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: page(SnapshotSchema), ...errorResponses },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 100;
        const cursor = decodeCursor<{ id: number }>(request.query.cursor, { id: 'number' });
        const items = deps.snapshots.list({ afterId: cursor?.id ?? null, limit: limit + 1 });
        const more = items.length > limit;
        const shown = items.slice(0, limit);
        return { items: shown.map(toSnapshotResponse), nextCursor: more ? encodeCursor({ id: shown.at(-1)!.id }) : null };
      },
    );

    app.get(
      '/api/v1/snapshots/:id',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'One snapshot, with per-subscription results and warnings',
          querystring: NoQuery,
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          response: { 200: SnapshotSchema, ...errorResponses },
        },
      },
      async (request) => {
        const snapshot = deps.snapshots.get(request.params.id);
        if (!snapshot) throw notFound('snapshot_not_found', `no snapshot ${request.params.id}`);
        return toSnapshotResponse(snapshot);
      },
    );
  };
