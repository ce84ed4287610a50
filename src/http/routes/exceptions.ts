import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ExceptionService } from '../../services/exception-service.js';
import { DateTime, errorResponses, NoQuery } from '../schemas/common.js';
import { ExceptionSchema, ScopeSchema, Text } from '../schemas/exceptions.js';

const ActionBody = Type.Object({ reason: Type.Optional(Text(2000)) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ pattern: '^exc_[0-9a-f-]{36}$' }) });

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
          summary: 'Exceptions as they stood at asOf (default now)',
          querystring: Type.Object(
            { state: Type.Optional(ExceptionSchema.properties.state), asOf: Type.Optional(DateTime) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(ExceptionSchema), nextCursor: Type.Null() }), ...errorResponses },
        },
      },
      async (request) => {
        const { state, asOf } = request.query;
        const items = deps.exceptionService.list({ ...(state ? { state } : {}), ...(asOf ? { at: new Date(asOf) } : {}) });
        return { items, nextCursor: null };
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
