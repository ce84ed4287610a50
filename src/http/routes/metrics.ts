import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createHash, timingSafeEqual } from 'node:crypto';
import Type from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { ErrorResponse, NoQuery } from '../schemas/common.js';

export interface MetricsRouteDeps {
  readonly metrics: { readonly contentType: string; render(): Promise<string> };
  /** IMAGEWARDEN_METRICS_TOKEN: when set, a scrape must present it as a bearer token. */
  readonly metricsToken: string | null;
}

/**
 * `GET /metrics`, the Prometheus text format. Declared `public` — Prometheus scrapes inside the cluster without an
 * API key, and no role fits a scraper — unless IMAGEWARDEN_METRICS_TOKEN is set: then this route checks that token
 * itself, before anything is computed.
 */
export const metricsRoutes =
  (deps: MetricsRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const expected = deps.metricsToken === null ? null : digest(deps.metricsToken);
    app.get(
      '/metrics',
      {
        config: { access: 'public' },
        ...(expected === null
          ? {}
          : {
              onRequest: async (request) => {
                const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
                // Digests of equal length: the comparison takes the same time whatever was sent.
                if (match === null || !timingSafeEqual(digest(match[1]!), expected)) {
                  throw new DomainError('unauthenticated', 'unauthenticated', 'send Authorization: Bearer <IMAGEWARDEN_METRICS_TOKEN>');
                }
              },
            }),
        schema: {
          summary: 'Prometheus metrics (text exposition format 0.0.4); needs the metrics token when IMAGEWARDEN_METRICS_TOKEN is set',
          querystring: NoQuery,
          response: {
            200: { description: 'The metrics', content: { 'text/plain': { schema: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) } } },
            401: ErrorResponse,
          },
        },
      },
      async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.render()),
    );
  };

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
