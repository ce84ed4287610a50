import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Principal } from '../../domain/roles.js';
import { errorResponses, NoQuery } from '../schemas/common.js';

export const MeSchema = Type.Object({
  actor: Type.String(),
  role: Type.Union([Type.Literal('auditor'), Type.Literal('operator'), Type.Literal('admin')]),
  via: Type.Union([Type.Literal('api_key'), Type.Literal('entra')]),
  demo: Type.Boolean({ description: 'true when the service runs `imagewarden demo`: everything it reports is demo data' }),
  maxExceptionDays: Type.Integer({ minimum: 1, description: 'the longest an exception may run, counted from its approval (IMAGEWARDEN_MAX_EXCEPTION_DAYS)' }),
});

/** How the caller signed in: an Entra ID token's actor is `entra:<oid> …`, an API key's `key:<name>`. */
export function toMe(principal: Principal): { actor: string; role: Principal['role']; via: 'api_key' | 'entra' } {
  return { actor: principal.actor, role: principal.role, via: principal.actor.startsWith('entra:') ? 'entra' : 'api_key' };
}

/** `GET /api/v1/me`: the caller as imagewarden sees it (what a dashboard shows, and what evidence records it as). */
export const meRoutes = (options: { readonly demo: boolean; readonly maxExceptionDays: number }): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/api/v1/me',
    {
      config: { access: 'auditor' },
      schema: { summary: 'The caller: the actor recorded in evidence, its role, how it signed in, whether this is demo data, and the longest exception allowed', querystring: NoQuery, response: { 200: MeSchema, ...errorResponses } },
    },
    async (request) => ({ ...toMe(request.principal!), demo: options.demo, maxExceptionDays: options.maxExceptionDays }),
  );
};
