import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, LogLevel } from 'fastify';
import { decodeJwt } from 'jose';
import Type from 'typebox';
import { createAuthorizationCodeClient, TokenExchangeRefused, type AuthorizationCodeClient } from '../../auth/entra-authorization-code.js';
import { authorizeUrl, createPendingSignIns, newPendingSignIn, sameToken, type EntraSignInSettings } from '../../auth/entra-sign-in.js';
import { JWT_SHAPE } from '../../auth/create-authenticator.js';
import { AuthorityUnavailable } from '../../auth/entra-signing-keys.js';
import { DomainError } from '../../domain/errors.js';
import { clearedSignInCookie, ownOrigin, sessionCookie, signInCookie, signInCookieOf } from '../session-cookie.js';
import { errorResponses, NoQuery } from '../schemas/common.js';
import type { FailureWindow, SessionRouteDeps } from './session.js';

export const ENTRA_SIGN_IN_PATH = '/api/v1/session/entra';
const CALLBACK_PATH = `${ENTRA_SIGN_IN_PATH}/callback`;
/** Where the browser lands: the dashboard, signed in, or told why not (`signin_error`, read by the sign-in page). */
const DASHBOARD = '/ui/';


const Redirect = Type.Unknown({ description: 'to the authorize endpoint, or to /ui/ (with ?signin_error=<code> when sign-in failed)' });
const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
/** What Entra ID sends back (RFC 6749 §4.1.2, OpenID Connect); it adds parameters of its own, e.g. `session_state`. */
const CallbackQuery = Type.Object(
  { code: text(8192), state: text(256), error: text(256), error_description: text(4096), error_uri: text(2048), session_state: text(256) },
  { additionalProperties: true },
);
const Methods = Type.Object({
  apiKey: Type.Literal(true),
  entra: Type.Union([Type.Object({ signInPath: Type.String() }), Type.Null()]),
});

export interface SessionEntraRouteOptions {
  /** Null: Entra ID sign-in is not configured, and these routes answer 404 entra_not_configured. */
  readonly signIn: EntraSignInSettings | null;
  /** The failed sign-ins window POST /api/v1/session counts in too. */
  readonly failures: FailureWindow;
  /** Tests: another client (default: the tenant's real endpoints). */
  readonly client?: AuthorizationCodeClient;
}

/** A sign-in that did not end in a session: the `signin_error` code the page explains, and whether it counts as failed. */
interface Refusal {
  readonly code: string;
  readonly counts: boolean;
  readonly log?: Record<string, unknown>;
}
const refusal = (code: string, counts: boolean, log?: Record<string, unknown>): Refusal => (log ? { code, counts, log } : { code, counts });

/**
 * Dashboard sign-in with Entra ID: the OAuth 2.0 authorization code flow with PKCE, run by the service. The browser
 * only ever carries the code (to the callback, once); the tokens stay in this process, and the session is started
 * exactly as POST /api/v1/session starts one — same token checks, same ledger entry, same cookie.
 */
export const sessionEntraRoutes =
  (deps: SessionRouteDeps, options: SessionEntraRouteOptions): FastifyPluginAsyncTypebox =>
  async (app) => {
    const settings = options.signIn;
    const client = settings === null ? null : (options.client ?? createAuthorizationCodeClient(settings));
    const pending = createPendingSignIns();
    const { failures } = options;
    const configured = (): { settings: EntraSignInSettings; client: AuthorizationCodeClient } => {
      if (settings === null || client === null) throw new DomainError('not_found', 'entra_not_configured', 'sign-in with Entra ID is not configured (IMAGEWARDEN_ENTRA_CLIENT_ID)');
      return { settings, client };
    };
    const toDashboard = (request: FastifyRequest, reply: FastifyReply, failed: Refusal | null) => {
      if (failed !== null) {
        if (failed.counts) failures.count(request);
        request.log.warn({ signinError: failed.code, ...failed.log }, 'Entra ID sign-in failed');
      }
      return reply.redirect(failed === null ? DASHBOARD : `${DASHBOARD}?signin_error=${failed.code}`, 302);
    };

    app.get(
      '/api/v1/session/methods',
      {
        config: { access: 'public' },
        schema: { summary: 'How the dashboard may sign in: an API key always, Entra ID when configured', querystring: NoQuery, response: { 200: Methods, ...errorResponses } },
      },
      async (_request, reply) => reply.header('cache-control', 'no-store').send({ apiKey: true, entra: settings === null ? null : { signInPath: ENTRA_SIGN_IN_PATH } }),
    );

    app.get(
      ENTRA_SIGN_IN_PATH,
      {
        config: { access: 'public' },
        schema: { summary: 'Sign in with Entra ID: redirects the browser to the tenant\'s sign-in page (authorization code flow with PKCE)', querystring: NoQuery, response: { 302: Redirect, ...errorResponses } },
      },
      async (request, reply) => {
        const { settings, client } = configured();
        void reply.header('cache-control', 'no-store');
        if (failures.isLimited(request)) return toDashboard(request, reply, refusal('rate_limited', false));
        let authorizationEndpoint: string;
        try {
          ({ authorizationEndpoint } = await client.endpoints());
        } catch (error) {
          return toDashboard(request, reply, refusal('identity_provider_unavailable', false, { detail: (error as Error).message }));
        }
        const entry = newPendingSignIn(`${ownOrigin(request)}${CALLBACK_PATH}`, Date.now());
        pending.add(entry);
        // The cookie outlives the pending entry, so a late callback hears "expired" rather than "not this browser".
        return reply.header('set-cookie', signInCookie(request, entry.state, (2 * pending.ttlInMs) / 1000)).redirect(authorizeUrl(authorizationEndpoint, settings, entry), 302);
      },
    );

    app.get(
      CALLBACK_PATH,
      {
        config: { access: 'public' },
        // Fastify's request lines would log the URL, and with it the authorization code: this route logs warnings only.
        logLevel: atLeastWarn(app.log),
        schema: { summary: 'Where Entra ID sends the browser back: redeems the code, starts the session, redirects to /ui/', querystring: CallbackQuery, response: { 302: Redirect, ...errorResponses } },
      },
      async (request, reply) => {
        const { client } = configured();
        void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('set-cookie', clearedSignInCookie(request));
        const result = await complete(request, client);
        if ('code' in result) return toDashboard(request, reply, result);
        // Fastify appends Set-Cookie headers: the sign-in cookie is cleared and the session cookie set.
        void reply.header('set-cookie', sessionCookie(request, result.sessionId, result.maxAgeInSeconds));
        return toDashboard(request, reply, null);
      },
    );

    /** The callback's checks, in order; the first that fails decides the `signin_error`. */
    async function complete(request: FastifyRequest, client: AuthorizationCodeClient): Promise<Refusal | { sessionId: string; maxAgeInSeconds: number }> {
      const query = request.query as { code?: string; state?: string; error?: string; error_description?: string };
      if (failures.isLimited(request)) return refusal('rate_limited', false);
      // The browser that comes back must be the one that started: its cookie names the state (login CSRF otherwise).
      const bound = signInCookieOf(request);
      if (query.state === undefined || bound === null || !sameToken(query.state, bound)) return refusal('signin_state_mismatch', true, { cookie: bound === null ? 'absent' : 'other state' });
      const entry = pending.take(query.state);
      if (entry === null || entry === 'expired') return refusal('signin_expired', true, { pending: entry ?? 'unknown or used' });
      if (query.error !== undefined || query.code === undefined) {
        // The user's (or the tenant's) answer, not a guess at anything: not counted as a failed sign-in.
        const entraError = query.error !== undefined && /^[a-z_]{1,64}$/.test(query.error) ? query.error : 'none';
        return refusal(entraError === 'access_denied' ? 'access_denied' : 'entra_error', false, { entraError, description: query.error_description?.slice(0, 300) });
      }
      let tokens: { accessToken: string; idToken: string | null };
      try {
        tokens = await client.redeem(entry, query.code);
      } catch (error) {
        if (error instanceof TokenExchangeRefused) return refusal('token_exchange_failed', true, { entraError: error.entraError, detail: error.message });
        if (error instanceof AuthorityUnavailable) return refusal('identity_provider_unavailable', false, { detail: error.message });
        throw error;
      }
      // The ID token came straight from the token endpoint over TLS (OpenID Connect Core §3.1.3.7): its nonce must be ours.
      if (tokens.idToken !== null && nonceOf(tokens.idToken) !== entry.nonce) return refusal('signin_nonce_mismatch', true);
      // Only a JWT goes to the authenticator: an opaque token must never be tried as an API key.
      if (!JWT_SHAPE.test(tokens.accessToken)) return refusal('token_rejected', true, { reason: 'the access token is not a JWT: check IMAGEWARDEN_ENTRA_SCOPE' });
      // Exactly the checks a bearer token gets: issuer, tenant, audience, lifetime, app roles.
      const checked = await deps.authenticator.authenticate(tokens.accessToken);
      switch (checked.outcome) {
        case 'no_role':
          return refusal('no_role', true, { actor: checked.actor });
        case 'rejected':
          return refusal('token_rejected', true, { reason: checked.reason });
        case 'unavailable':
          return refusal('identity_provider_unavailable', false, { detail: checked.detail });
      }
      try {
        const { sessionId, maxAgeInSeconds } = deps.sessionService.start(checked.principal, checked.endsAt ?? null);
        return { sessionId, maxAgeInSeconds };
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'unauthenticated') return refusal('token_rejected', true, { reason: error.message });
        throw error;
      }
    }
  };

/** The app's log level, raised to `warn` when it is lower (a route's level may also lower it: never wanted here). */
function atLeastWarn(log: { level?: string; levels?: { values: Record<string, number> } }): LogLevel {
  const values = log.levels?.values;
  if (values === undefined || log.level === undefined || log.level === 'silent') return (log.level ?? 'warn') as LogLevel;
  return ((values[log.level] ?? 0) >= (values.warn ?? 40) ? log.level : 'warn') as LogLevel;
}

function nonceOf(idToken: string): unknown {
  try {
    return decodeJwt(idToken).nonce;
  } catch {
    return undefined;
  }
}
