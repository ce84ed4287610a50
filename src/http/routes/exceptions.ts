import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ExceptionService } from '../../services/exception-service.js';
import { invalidInput } from '../../domain/errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, NoQuery, page, PageQuery } from '../schemas/common.js';
import { ExceptionSchema, ScopeSchema, Text } from '../schemas/exceptions.js';

const ActionBody = Type.Object({ reason: Type.Optional(Text(2000)) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ pattern: '^exc_[0-9a-f-]{36}$' }) });

/** The last exception served (request time and id: the listing's order) and the moment every page is taken at. */
type Cursor = { r: string; k: string; t: number; d: number };

export interface ExceptionRouteDeps {
  readonly exceptionService: ExceptionService;
}

export const exceptionRoutes =
  (deps: ExceptionRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/exceptions',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Exceptions as they stood at asOf (default now), oldest request first (order=desc: newest first)',
          querystring: Type.Object(
            {
              state: Type.Optional(ExceptionSchema.properties.state),
              asOf: Type.Optional(DateTime),
              subscriptionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only exceptions covering pools of this subscription (tag exceptions never match)' })),
              clusterId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'only exceptions covering pools of this cluster: its own, its pools\', its subscription\'s' })),
              poolName: Type.Optional(Type.String({ minLength: 1, maxLength: 12, description: 'with clusterId: only exceptions covering this pool' })),
              order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc', description: 'by request time: asc oldest first, desc newest first' })),
              ...PageQuery,
            },
            { additionalProperties: false },
          ),
          response: { 200: page(ExceptionSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { state, asOf, subscriptionId, clusterId, poolName, order = 'asc', cursor, limit = 100 } = request.query;
        if (poolName !== undefined && clusterId === undefined) throw invalidInput('pool_needs_cluster', 'poolName filters the pools of one cluster: give clusterId too');
        const position = decodeCursor<Cursor>(cursor, { r: 'string', k: 'string', t: 'number', d: 'number' });
        if (position !== null && position.d !== (order === 'desc' ? 1 : 0)) throw invalidInput('invalid_cursor', 'cursor is not one this API issued for this order');
        // Every page is taken at the first page's moment (an approval may lapse between two pages).
        const at = position ? new Date(position.t) : asOf ? new Date(asOf) : deps.exceptionService.now();
        const target = subscriptionId || clusterId ? { ...(subscriptionId ? { subscriptionId } : {}), ...(clusterId ? { clusterId } : {}), ...(poolName ? { poolName } : {}) } : undefined;
        const listed = deps.exceptionService.list({
          at,
          ...(state ? { state } : {}),
          ...(target ? { target } : {}),
          ...(position ? { after: { requestedAt: position.r, id: position.k } } : {}),
          newestFirst: order === 'desc',
        });
        const items = listed.slice(0, limit);
        const last = items.at(-1);
        return { items, nextCursor: listed.length > limit && last ? encodeCursor({ r: last.requestedAt, k: last.id, t: at.getTime(), d: order === 'desc' ? 1 : 0 }) : null };
      },
    );

    app.get(
      '/api/v1/exceptions/:id',
      {
        config: { access: 'auditor' },
        schema: { summary: 'One exception', params: IdParams, querystring: NoQuery, response: { 200: ExceptionSchema, ...errorResponses } },
      },
      async (request) => deps.exceptionService.get(request.params.id),
    );

    app.post(
      '/api/v1/exceptions',
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Request a time-boxed risk acceptance (an admin other than the requester approves it)',
          querystring: NoQuery,
          body: Type.Object(
            { scope: ScopeSchema, reason: Text(2000), compensatingControl: Text(2000), ticket: Text(256), expiresAt: DateTime },
            { additionalProperties: false },
          ),
          response: { 201: ExceptionSchema, ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(deps.exceptionService.request(request.body, request.principal!.actor)),
    );

    for (const action of ['approve', 'reject', 'revoke'] as const) {
      app.post(
        `/api/v1/exceptions/:id/${action}`,
        {
          config: { access: 'admin' },
          schema: {
            summary: `${action[0]!.toUpperCase()}${action.slice(1)} an exception`,
            params: IdParams,
            querystring: NoQuery,
            body: ActionBody,
            response: { 200: ExceptionSchema, ...errorResponses },
          },
        },
        async (request) => deps.exceptionService[action](request.params.id, request.principal!.actor, request.body.reason ?? null),
      );
    }
  };
