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
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  const values = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${SESSION_COOKIE}=`))
    .map((pair) => pair.slice(SESSION_COOKIE.length + 1));
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
  return withoutDefaultPort(origin) === withoutDefaultPort(`${request.protocol}://${request.host}`);
}

const withoutDefaultPort = (origin: string) => origin.toLowerCase().replace(/^(http:\/\/[^/]+):80$|^(https:\/\/[^/]+):443$/, '$1$2');
