import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../domain/errors.js';
import type { SessionService } from '../../services/session-service.js';
import { authenticateBearer, type Authenticator } from '../plugins/auth.js';
import { clearedSessionCookie, isOwnOrigin, sessionCookie } from '../session-cookie.js';
import { DateTime, errorResponses, NoQuery } from '../schemas/common.js';
import type { EntraSignInSettings } from '../../auth/entra-sign-in.js';
import { sessionEntraRoutes } from './session-entra.js';

export const SessionSchema = Type.Object({
  actor: Type.String(),
  role: Type.Union([Type.Literal('auditor'), Type.Literal('operator'), Type.Literal('admin')]),
  expiresAt: DateTime,
  csrfToken: Type.String(),
  via: Type.Union([Type.Literal('api_key'), Type.Literal('entra')]),
});

export interface SessionRouteDeps {
  readonly authenticator: Authenticator;
  readonly sessionService: SessionService;
}

export interface SessionRouteOptions {
  /** Failed sign-ins per client address per minute, whatever credential each presented; 0: no limit. */
  readonly failedSignInsPerMinute: number;
  /** Dashboard sign-in with Entra ID (session-entra.ts); null or absent: not configured, API keys only. */
  readonly entraSignIn?: EntraSignInSettings | null;
}

/**
 * `POST /api/v1/session` exchanges a bearer credential for a session cookie; `GET` gives a page load its session
 * (and CSRF token) again; `DELETE` signs out. The credential is checked exactly as on every other route.
 */
export const sessionRoutes =
  (deps: SessionRouteDeps, options: SessionRouteOptions): FastifyPluginAsyncTypebox =>
  async (app) => {
    const failures = createFailureWindow(options.failedSignInsPerMinute);
    // Sign-in with Entra ID counts its failures in the same window.
    await app.register(sessionEntraRoutes(deps, { signIn: options.entraSignIn ?? null, failures }));

    app.post(
      '/api/v1/session',
      {
        // Public at the route: the handler checks the presented credential itself.
        config: { access: 'public' },
        schema: {
          summary: 'Sign in: exchange Authorization: Bearer <api key or Entra ID token> for a session cookie and its CSRF token',
          querystring: NoQuery,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 201: SessionSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        // A bearer header cannot be sent across sites without CORS (never allowed here); the Origin check is extra.
        if (!isOwnOrigin(request)) throw new DomainError('forbidden', 'csrf_failed', 'sign in from this service\'s own origin');
        failures.assertAllowed(request, reply);
        let signedIn;
        try {
          signedIn = await authenticateBearer(request, deps.authenticator);
        } catch (error) {
          if (error instanceof DomainError && error.kind !== 'unavailable') failures.count(request);
          throw error;
        }
        const { sessionId, view, maxAgeInSeconds } = deps.sessionService.start(signedIn.principal, signedIn.endsAt);
        return reply.status(201).header('cache-control', 'no-store').header('set-cookie', sessionCookie(request, sessionId, maxAgeInSeconds)).send(view);
      },
    );

    app.get(
      '/api/v1/session',
      {
        config: { access: 'session' },
        schema: { summary: 'The session the cookie names, with its CSRF token (a page load reads it here, not from storage)', querystring: NoQuery, response: { 200: SessionSchema, ...errorResponses } },
      },
      async (request, reply) => {
        const { record, id } = request.browserSession!;
        return reply.header('cache-control', 'no-store').send(deps.sessionService.view(record, id));
      },
    );

    app.delete(
      '/api/v1/session',
      {
        config: { access: 'session' },
        schema: { summary: 'Sign out: the session ends now and the cookie is cleared (needs X-CSRF-Token)', querystring: NoQuery, response: { 204: Type.Null({ description: 'Signed out' }), ...errorResponses } },
      },
      async (request, reply) => {
        deps.sessionService.end(request.browserSession!.record);
        return reply.status(204).header('set-cookie', clearedSessionCookie(request)).send(null);
      },
    );
  };

export type FailureWindow = ReturnType<typeof createFailureWindow>;

/**
 * Failed sign-ins per client address in a fixed one-minute window. The per-credential rate limit (hardening.ts)
 * counts each garbage key separately; this counts them all against the address that sends them.
 */
function createFailureWindow(perMinute: number) {
  const windows = new Map<string, { startedAt: number; failures: number }>();
  const current = (address: string, now: number) => {
    const window = windows.get(address);
    return window !== undefined && now - window.startedAt < 60_000 ? window : null;
  };
  const isLimited = (request: FastifyRequest): boolean => {
    if (perMinute <= 0) return false;
    const window = current(request.ip, Date.now());
    return window !== null && window.failures >= perMinute;
  };
  return {
    /** Whether the address has failed too often this minute (sign-in with Entra ID redirects instead of answering 429). */
    isLimited,
    assertAllowed(request: FastifyRequest, reply: FastifyReply): void {
      if (perMinute <= 0) return;
      const now = Date.now();
      const window = current(request.ip, now);
      if (window === null || window.failures < perMinute) return;
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + 60_000 - now) / 1000));
      void reply.header('retry-after', String(retryAfterSeconds));
      throw new DomainError('rate_limited', 'rate_limited', `more than ${perMinute} failed sign-ins per minute from this address; retry after ${retryAfterSeconds} s`, {
        limitPerMinute: perMinute,
        retryAfterSeconds,
      });
    },
    count(request: FastifyRequest): void {
      if (perMinute <= 0) return;
      const now = Date.now();
      // Old windows go as new failures come: the map holds at most the addresses that failed in the last minute.
      if (windows.size > 10_000) for (const [address, window] of windows) if (now - window.startedAt >= 60_000) windows.delete(address);
      const window = current(request.ip, now) ?? { startedAt: now, failures: 0 };
      window.failures += 1;
      windows.set(request.ip, window);
    },
  };
}
