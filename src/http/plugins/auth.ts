import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { roleAllows, type Principal, type Role } from '../../domain/roles.js';

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

export interface Authenticator {
  authenticate(presented: string): Principal | null;
}

/**
 * Authenticates `Authorization: Bearer <key>` and enforces the route's declared role before any handler runs.
 * A route that declares no access is refused outright (and fails the route-walk test), so forgetting a role
 * can never open a route.
 */
export function registerAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (request.is404) return;
    if (access === 'public') return;
    if (access === undefined) throw new DomainError('forbidden', 'route_without_role', 'this route declares no role');
    const principal = authenticateRequest(request, authenticator);
    if (!roleAllows(principal.role, access)) {
      throw new DomainError('forbidden', 'forbidden', `this action needs the ${access} role; ${principal.actor} has ${principal.role}`, {
        requiredRole: access,
        role: principal.role,
      });
    }
    request.principal = principal;
  });
}

function authenticateRequest(request: FastifyRequest, authenticator: Authenticator): Principal {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) {
    throw new DomainError('unauthenticated', 'unauthenticated', 'send Authorization: Bearer <api key>');
  }
  const principal = authenticator.authenticate(match[1]!);
  if (!principal) throw new DomainError('unauthenticated', 'invalid_credentials', 'the API key is unknown, revoked or expired');
  return principal;
}
