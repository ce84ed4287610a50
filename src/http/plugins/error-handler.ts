import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorKind } from '../../domain/errors.js';
import { REQUEST_ID_HEADER } from '../../observability/request-id.js';

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

const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than 1024 characters',
  FST_ERR_BAD_URL: 'the URL is not valid: a path parameter has a bad percent-encoding',
};

/** The headers helmet and the request-id hook would have set: these answers come before any hook runs. */
const FRAMEWORK_ANSWER_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Fastify's `frameworkErrors`: a URL the router cannot take (a path parameter over 1024 characters, a bad percent
 * escape) is answered before any route or error handler runs, and by default in Fastify's own body shape.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message = FRAMEWORK_MESSAGES[error.code] ?? error.message;
  void reply
    .headers({ ...FRAMEWORK_ANSWER_HEADERS, [REQUEST_ID_HEADER]: request.id })
    .status(error.statusCode ?? 400)
    .send({ error: { code: toSnakeCase(error.code), message } });
}

/** Our names for Fastify's client errors, so no framework name reaches the API's callers. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_json_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

function toSnakeCase(code: string): string {
  return FRAMEWORK_CODES[code] ?? (code.replace(/^FST_ERR_(CTP_)?/, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'bad_request');
}
