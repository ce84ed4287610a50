import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { DomainError } from '../../domain/errors.js';
import { sessionCookieOf } from '../session-cookie.js';

export interface HardeningOptions {
  /** Requests per minute per credential (per client address without one); 0 switches the limit off. */
  readonly rateLimitPerMinute: number;
}

/** Probes and scrapes are not rate-limited: a load balancer or Prometheus must never be told to back off. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Security headers on every answer and a rate limit per credential. The API serves JSON and files, never a page:
 * its content security policy allows nothing (the OpenAPI viewer at /docs sets its own, narrower than a default).
 */
export async function registerHardening(app: FastifyInstance, options: HardeningOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
  if (options.rateLimitPerMinute <= 0) return;
  await app.register(rateLimit, {
    max: options.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: limitKey,
    allowList: (request) => UNLIMITED.has(request.url.split('?')[0]!),
    errorResponseBuilder: (_request, context) =>
      new DomainError('rate_limited', 'rate_limited', `more than ${context.max} requests per minute with this credential; retry after ${context.after}`, { limitPerMinute: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
  });
}

/**
 * The credential a request presents, hashed (the limit is per API key or token, and no secret is kept as a map key):
 * the bearer header, else the session cookie; the client address when it presents neither. Sign-in is limited by
 * the credential it presents, and failed sign-ins also by address (routes/session.ts).
 */
function limitKey(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header) return `credential:${createHash('sha256').update(header).digest('base64url')}`;
  const session = sessionCookieOf(request);
  return typeof session === 'string' && session !== 'ambiguous' ? `session:${createHash('sha256').update(session).digest('base64url')}` : `address:${request.ip}`;
}
