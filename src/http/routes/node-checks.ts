import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../../domain/errors.js';
import type { NodeCheckService } from '../../services/node-check-service.js';
import type { NodeCheck, TimedNodeCheckResult } from '../../store/node-check-repository.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errorResponses, NoQuery, page, PageQuery } from '../schemas/common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const NodeCheckSchema = Type.Object({
  id: Type.Integer(),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('api'), Type.Literal('cli')]),
  requestedBy: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('partial'), Type.Literal('failed')]),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  clusters: Type.Integer(),
  unreachable: Type.Integer(),
  mismatches: Type.Integer(),
  error: Nullable(Type.String()),
});

const ResultSchema = Type.Object({
  clusterId: Type.String(),
  subscriptionId: Type.String(),
  poolName: Nullable(Type.String()),
  verdict: Type.Union([Type.Literal('match'), Type.Literal('mismatch'), Type.Literal('no_nodes'), Type.Literal('skipped'), Type.Literal('unreachable')]),
  poolVersion: Nullable(Type.String()),
  nodeVersions: Type.Record(Type.String(), Type.Integer()),
  detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

const toResponse = (check: NodeCheck) => ({ ...check });
const toResult = ({ checkId: _id, clusterKey: _key, finishedAt: _at, ...result }: TimedNodeCheckResult) => result;

export interface NodeCheckRouteDeps {
  readonly nodeChecks: Pick<NodeCheckService, 'start' | 'get' | 'list' | 'results'>;
}

/** The node-level cross-check: pool image as ARM says it against the image labels of the pool's nodes. */
export const nodeCheckRoutes =
  (deps: NodeCheckRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/v1/node-checks',
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Start a node-level cross-check now (or get the one already running)',
          querystring: NoQuery,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 202: Type.Object({ id: Type.Integer(), status: NodeCheckSchema.properties.status }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const check = deps.nodeChecks.start('api', request.principal!.actor);
        return reply.status(202).send({ id: check.id, status: check.status });
      },
    );

    app.get(
      '/api/v1/node-checks',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'List node-level cross-checks, newest first',
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: page(NodeCheckSchema), ...errorResponses },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 100;
        const cursor = decodeCursor<{ id: number }>(request.query.cursor, { id: 'number' });
        const items = deps.nodeChecks.list(cursor?.id ?? null, limit + 1);
        const shown = items.slice(0, limit);
        return { items: shown.map(toResponse), nextCursor: items.length > limit ? encodeCursor({ id: shown.at(-1)!.id }) : null };
      },
    );

    app.get(
      '/api/v1/node-checks/:id',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'One node-level cross-check with every result (pool by pool; cluster-level when unreachable)',
          querystring: NoQuery,
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          response: { 200: Type.Intersect([NodeCheckSchema, Type.Object({ results: Type.Array(ResultSchema) })]), ...errorResponses },
        },
      },
      async (request) => {
        const check = deps.nodeChecks.get(request.params.id);
        if (!check) throw notFound('node_check_not_found', `no node check ${request.params.id}`);
        return { ...toResponse(check), results: deps.nodeChecks.results(check.id).map(toResult) };
      },
    );
  };
