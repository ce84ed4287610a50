import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { KeyService } from '../../services/key-service.js';
import { DateTime, errorResponses, NoQuery, Nullable } from '../schemas/common.js';

const RoleSchema = Type.Union([Type.Literal('auditor'), Type.Literal('operator'), Type.Literal('admin')]);

const KeySchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  keyPrefix: Type.String(),
  createdAt: DateTime,
  createdBy: Type.String(),
  expiresAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
  revokedBy: Nullable(Type.String()),
});

export interface KeyRouteDeps {
  readonly keyService: KeyService;
}

export const keyRoutes =
  (deps: KeyRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/keys',
      {
        config: { access: 'admin' },
        schema: { summary: 'API keys (never their secrets)', querystring: NoQuery, response: { 200: Type.Object({ items: Type.Array(KeySchema), nextCursor: Type.Null() }), ...errorResponses } },
      },
      async () => ({ items: deps.keyService.list(), nextCursor: null }),
    );

    app.post(
      '/api/v1/keys',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Create an API key; the secret is in this answer only',
          querystring: NoQuery,
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 64 }), role: RoleSchema, expiresAt: Type.Optional(Nullable(DateTime)) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ key: Type.String(), apiKey: KeySchema }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { key, record } = deps.keyService.create({
          name: request.body.name,
          role: request.body.role,
          expiresAt: request.body.expiresAt ?? null,
          actor: request.principal!.actor,
        });
        return reply.status(201).header('cache-control', 'no-store').send({ key, apiKey: record });
      },
    );

    app.post(
      '/api/v1/keys/:name/revoke',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Revoke an API key',
          querystring: NoQuery,
          params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
          response: { 200: KeySchema, ...errorResponses },
        },
      },
      async (request) => deps.keyService.revoke(request.params.name, request.principal!.actor),
    );
  };
