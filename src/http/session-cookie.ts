import type { FastifyRequest } from 'fastify';

/** The browser session cookie (POST /api/v1/session). Its value is the session id; nothing else is in it. */
export const SESSION_COOKIE = 'imagewarden_session';

/** The header a cookie-authenticated change must carry, with the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The session id the request's Cookie header carries: null when there is none. Two cookies of that name (one planted
 * for a narrower path or a parent domain) make the request ambiguous: neither is taken.
 */
export function sessionCookieOf(request: FastifyRequest): string | null | 'ambiguous' {
  return cookieOf(request, SESSION_COOKIE);
}

/** The value of the cookie `name` in the request's Cookie header: null when absent, 'ambiguous' when sent twice. */
function cookieOf(request: FastifyRequest, name: string): string | null | 'ambiguous' {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  const values = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${name}=`))
    .map((pair) => pair.slice(name.length + 1));
  if (values.length > 1) return 'ambiguous';
  return values[0] ?? null;
}

/**
 * `Set-Cookie` for a session: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Path=/, Max-Age, and Secure when the request came over https (as Fastify sees it: behind a TLS-terminating proxy
 * that takes IMAGEWARDEN_TRUST_PROXY, so that X-Forwarded-Proto counts).
 */
export function sessionCookie(request: FastifyRequest, sessionId: string, maxAgeInSeconds: number): string {
  return `${SESSION_COOKIE}=${sessionId}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.max(0, maxAgeInSeconds)}${request.protocol === 'https' ? '; Secure' : ''}`;
}

/** The same cookie, cleared. */
export function clearedSessionCookie(request: FastifyRequest): string {
  return sessionCookie(request, '', 0);
}

/**
 * Whether an `Origin` header, when the browser sent one, names this service itself: scheme and host as Fastify sees
 * them (port included; a scheme's default port may be written or left out).
 */
export function isOwnOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return withoutDefaultPort(origin) === withoutDefaultPort(ownOrigin(request));
}

/** This service's origin as the request reached it (behind a proxy: as X-Forwarded-* say, with IMAGEWARDEN_TRUST_PROXY). */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * The Entra ID sign-in cookie (GET /api/v1/session/entra → its callback): binds the browser that started a sign-in
 * to its `state`. SameSite=Lax, not Strict: the callback is a top-level navigation from Entra ID, another site, and
 * a Strict cookie would not come with it. Only the sign-in's own two routes see it.
 */
export const SIGNIN_COOKIE = 'imagewarden_signin';
const SIGNIN_COOKIE_PATH = '/api/v1/session/entra';

export function signInCookie(request: FastifyRequest, state: string, maxAgeInSeconds: number): string {
  return `${SIGNIN_COOKIE}=${state}; HttpOnly; SameSite=Lax; Path=${SIGNIN_COOKIE_PATH}; Max-Age=${Math.max(0, maxAgeInSeconds)}${request.protocol === 'https' ? '; Secure' : ''}`;
}

export function clearedSignInCookie(request: FastifyRequest): string {
  return signInCookie(request, '', 0);
}

/** The state the sign-in cookie carries; null when there is none (or two). */
export function signInCookieOf(request: FastifyRequest): string | null {
  const value = cookieOf(request, SIGNIN_COOKIE);
  return value === 'ambiguous' || value === '' ? null : value;
}

const withoutDefaultPort = (origin: string) => origin.toLowerCase().replace(/^(http:\/\/[^/]+):80$|^(https:\/\/[^/]+):443$/, '$1$2');
