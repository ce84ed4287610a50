import { randomUUID } from 'node:crypto';
import { baseUrlOf } from './emulator-context.js';
import { json } from './http-types.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { TokenRegistry } from './token-registry.js';
import type { EmulatorClient } from './types.js';

/**
 * Just enough of the Microsoft Entra ID v2 endpoints for MSAL (through @azure/identity's ClientSecretCredential
 * with `authorityHost: <emulator url>`) to run the client-credentials flow against the emulator.
 */

export interface EntraContext {
  tokens: TokenRegistry;
  clients: EmulatorClient[];
  /** Tenants whose metadata is served (the fleet tenant and every client's tenant). */
  tenants: () => string[];
}

export function handleEntra(ctx: EntraContext, req: EmulatorRequest): EmulatorResponse {
  const base = baseUrlOf(req);
  switch (req.operation) {
    case 'instanceDiscovery':
      return instanceDiscovery(req, base);
    case 'openidConfiguration':
      return knownTenant(ctx, req.params.tenant) ? json(200, openidConfiguration(base, req.params.tenant!)) : tenantNotFound(req.params.tenant ?? '');
    case 'jwks':
      return json(200, ctx.tokens.jwks());
    default:
      return token(ctx, req, base);
  }
}

function knownTenant(ctx: EntraContext, tenant: string | undefined): boolean {
  const lower = (tenant ?? '').toLowerCase();
  return ['common', 'organizations'].includes(lower) || ctx.tenants().some((t) => t.toLowerCase() === lower);
}

function openidConfiguration(base: string, tenant: string): Record<string, unknown> {
  const authority = `${base}/${tenant}`;
  return {
    token_endpoint: `${authority}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${authority}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${authority}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid', 'roles'],
    tenant_region_scope: 'EU',
    cloud_instance_name: new URL(base).host,
    cloud_graph_host_name: new URL(base).host,
    msgraph_host: new URL(base).host,
  };
}

/** MSAL's cloud discovery (`/common/discovery/instance`): the emulator host is its own only alias. */
function instanceDiscovery(req: EmulatorRequest, base: string): EmulatorResponse {
  const host = new URL(base).host;
  const authorize = req.url.searchParams.get('authorization_endpoint') ?? `${base}/common/oauth2/v2.0/authorize`;
  const tenant = /\/\/[^/]+\/([^/]+)\//.exec(authorize)?.[1] ?? 'common';
  return json(200, {
    tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

function token(ctx: EntraContext, req: EmulatorRequest, base: string): EmulatorResponse {
  const tenant = req.params.tenant ?? '';
  const form = new URLSearchParams(req.rawBody);
  const basic = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
  const clientId = form.get('client_id') ?? (basicId ? decodeURIComponent(basicId) : '');
  const secret = form.get('client_secret') ?? (basicSecret ? decodeURIComponent(basicSecret) : '');
  const scope = form.get('scope') ?? '';

  if (form.get('grant_type') !== 'client_credentials') {
    return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`);
  }
  if (!scope) return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
  if (!scope.split(' ').every((s) => s.endsWith('/.default'))) {
    return aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const client = ctx.clients.find((c) => c.clientId.toLowerCase() === clientId.toLowerCase() && c.tenantId.toLowerCase() === tenant.toLowerCase());
  if (!client) {
    return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  if (secret !== client.clientSecret) {
    return aadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`);
  }
  const issued = ctx.tokens.issue(client, scope.split(' ')[0]!, `${base}/${client.tenantId}/v2.0`);
  return json(200, { token_type: 'Bearer', expires_in: issued.expiresInSeconds, ext_expires_in: issued.expiresInSeconds, access_token: issued.accessToken });
}

function tenantNotFound(tenant: string): EmulatorResponse {
  return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
}

/** Entra's OAuth error JSON: `AADSTS<code>: <text> Trace ID ... Correlation ID ... Timestamp ...`. */
function aadError(status: number, error: string, code: number, text: string): EmulatorResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}
