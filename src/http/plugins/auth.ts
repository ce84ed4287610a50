import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authentication.js';
import { DomainError } from '../../domain/errors.js';
import { roleAllows, type Principal, type Role } from '../../domain/roles.js';

export type { Authenticator } from '../../auth/authentication.js';

/** Every route says who may call it, where it is defined: a role, or `public` (health probes only). */
export type RouteAccess = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * Authenticates `Authorization: Bearer <api key or Entra ID access token>` and enforces the route's declared role
 * before any handler runs. A route that declares no access is refused outright (and fails the route-walk test), so
 * forgetting a role can never open a route.
 */
export function registerAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (request.is404) return;
    if (access === 'public') return;
    if (access === undefined) throw new DomainError('forbidden', 'route_without_role', 'this route declares no role');
    const principal = await authenticateRequest(request, authenticator);
    if (!roleAllows(principal.role, access)) {
      throw new DomainError('forbidden', 'forbidden', `this action needs the ${access} role; ${principal.actor} has ${principal.role}`, {
        requiredRole: access,
        role: principal.role,
      });
    }
    request.principal = principal;
  });
}

async function authenticateRequest(request: FastifyRequest, authenticator: Authenticator): Promise<Principal> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) {
    throw new DomainError('unauthenticated', 'unauthenticated', 'send Authorization: Bearer <api key or Entra ID access token>');
  }
  // The credential itself never goes into an error or a log line: only the authenticator's general reason does.
  const result = await authenticator.authenticate(match[1]!);
  switch (result.outcome) {
    case 'authenticated':
      return result.principal;
    case 'no_role':
      throw new DomainError('forbidden', 'no_role', `${result.actor} is signed in but holds no imagewarden role: ${result.reason}`, { actor: result.actor });
    case 'unavailable':
      request.log.warn({ detail: result.detail }, 'could not check a bearer token');
      throw new DomainError('unavailable', 'identity_provider_unavailable', result.reason);
    case 'rejected':
      throw new DomainError('unauthenticated', 'invalid_credentials', result.reason);
  }
}
