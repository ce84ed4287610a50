import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, type ErrorKind } from '../../domain/errors.js';

const STATUS_OF: Record<ErrorKind, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** Gives every failure the CONTRACT.md shape `{ error: { code, message, details? } }`; 5xx text is never shown. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      if (error.kind === 'unauthenticated') void reply.header('www-authenticate', 'Bearer realm="imagewarden"');
      return reply.status(STATUS_OF[error.kind]).send({
        error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
      });
    }
    if (error.validation) {
      return reply.status(400).send({
        error: {
          code: 'invalid_request',
          message: `${error.validationContext ?? 'request'}${error.validation[0]?.instancePath ?? ''} ${error.validation[0]?.message ?? 'is invalid'}`,
          details: {
            in: error.validationContext,
            problems: error.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
          },
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (malformed JSON, body too large, unsupported media type, ...).
      return reply.status(status).send({ error: { code: toSnakeCase(error.code ?? 'bad_request'), message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'internal error; see the service log' } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'route_not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}

function toSnakeCase(code: string): string {
  return code.replace(/^FST_ERR_/, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'bad_request';
}
