import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authentication.js';
import { DomainError } from '../../domain/errors.js';
import { roleAllows, type Principal, type Role } from '../../domain/roles.js';
import { sessionPrincipal, type SessionService } from '../../services/session-service.js';
import type { SessionRecord } from '../../store/session-repository.js';
import { CSRF_HEADER, isOwnOrigin, sessionCookieOf } from '../session-cookie.js';

export type { Authenticator } from '../../auth/authentication.js';

/**
 * Every route says who may call it, where it is defined: a role, `public` (health probes; sign-in, which checks the
 * credential itself), or `session` (the session routes: a browser session cookie, whatever its role).
 */
export type RouteAccess = Role | 'public' | 'session';

export type SessionAuthenticator = Pick<SessionService, 'find' | 'touch' | 'csrfMatches'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The browser session the request was authenticated with, and its id; null for a bearer credential. */
    browserSession: { readonly record: SessionRecord; readonly id: string } | null;
  }
}

/** Methods that change nothing: a cookie alone may make them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates `Authorization: Bearer <api key or Entra ID access token>`, or else the browser session cookie, and
 * enforces the route's declared role before any handler runs. A route that declares no access is refused outright
 * (and fails the route-walk test), so forgetting a role can never open a route.
 */
export function registerAuth(app: FastifyInstance, authenticator: Authenticator, sessions: SessionAuthenticator): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('browserSession', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (request.is404) return;
    if (access === 'public') return;
    if (access === undefined) throw new DomainError('forbidden', 'route_without_role', 'this route declares no role');
    // The bearer wins when both are sent; the session routes are about the cookie alone.
    const principal =
      access !== 'session' && request.headers.authorization !== undefined
        ? (await authenticateBearer(request, authenticator)).principal
        : authenticateSession(request, sessions);
    if (access !== 'session' && !roleAllows(principal.role, access)) {
      throw new DomainError('forbidden', 'forbidden', `this action needs the ${access} role; ${principal.actor} has ${principal.role}`, {
        requiredRole: access,
        role: principal.role,
      });
    }
    request.principal = principal;
  });
}

/**
 * The principal a bearer credential stands for, and when the credential itself ends (a token's `exp`), or the
 * error the API answers with. Also what sign-in (POST /api/v1/session) checks the presented credential with.
 */
export async function authenticateBearer(request: FastifyRequest, authenticator: Authenticator): Promise<{ principal: Principal; endsAt: Date | null }> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) {
    throw new DomainError('unauthenticated', 'unauthenticated', 'send Authorization: Bearer <api key or Entra ID access token>');
  }
  // The credential itself never goes into an error or a log line: only the authenticator's general reason does.
  const result = await authenticator.authenticate(match[1]!);
  switch (result.outcome) {
    case 'authenticated':
      return { principal: result.principal, endsAt: result.endsAt ?? null };
    case 'no_role':
      throw new DomainError('forbidden', 'no_role', `${result.actor} is signed in but holds no imagewarden role: ${result.reason}`, { actor: result.actor });
    case 'unavailable':
      request.log.warn({ detail: result.detail }, 'could not check a bearer token');
      throw new DomainError('unavailable', 'identity_provider_unavailable', result.reason);
    case 'rejected':
      throw new DomainError('unauthenticated', 'invalid_credentials', result.reason);
  }
}

/**
 * The session cookie's principal. A change (any method but GET, HEAD, OPTIONS) must also carry the session's CSRF
 * token in X-CSRF-Token and, when the browser sends an Origin, come from this service's own origin: SameSite=Strict
 * already keeps other sites' requests from carrying the cookie, these two hold where it does not (older browsers,
 * a sibling subdomain).
 */
function authenticateSession(request: FastifyRequest, sessions: SessionAuthenticator): Principal {
  const id = sessionCookieOf(request);
  if (id === null) {
    throw new DomainError('unauthenticated', 'unauthenticated', 'send Authorization: Bearer <api key or Entra ID access token>, or sign in with POST /api/v1/session');
  }
  const session = id === 'ambiguous' ? null : sessions.find(id);
  if (session === null) throw new DomainError('unauthenticated', 'unauthenticated', 'the session has ended or expired; sign in again');
  if (!SAFE_METHODS.has(request.method)) {
    if (!isOwnOrigin(request)) throw new DomainError('forbidden', 'csrf_failed', 'a change with a session cookie must come from this service\'s own origin');
    const token = request.headers[CSRF_HEADER];
    if (!sessions.csrfMatches(session, typeof token === 'string' ? token : undefined)) {
      throw new DomainError('forbidden', 'csrf_failed', 'a change with a session cookie needs the session\'s CSRF token in X-CSRF-Token (GET /api/v1/session gives it)');
    }
  }
  // Only a request that passed every check keeps the session alive.
  const record = sessions.touch(session);
  request.browserSession = { record, id: id as string };
  return sessionPrincipal(record);
}
