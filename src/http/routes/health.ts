import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { NoQuery } from '../schemas/common.js';

export interface HealthDeps {
  /** Whether the database is writable and migrated; nothing else decides readiness. */
  readonly isReady: () => { ready: boolean; reason?: string };
}

export const healthRoutes =
  (deps: HealthDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { querystring: NoQuery, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config: { access: 'public' },
        schema: {
          querystring: NoQuery,
          response: {
            200: Type.Object({ status: Type.Literal('ready') }),
            503: Type.Object({ status: Type.Literal('not_ready'), reason: Type.String() }),
          },
        },
      },
      async (_request, reply) => {
        const { ready, reason } = deps.isReady();
        return ready ? { status: 'ready' as const } : reply.status(503).send({ status: 'not_ready' as const, reason: reason ?? 'unknown' });
      },
    );
  };
