import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { readFileSync } from 'node:fs';
import Type from 'typebox';
import { NoQuery } from '../schemas/common.js';

/** The bearer scheme every /api/ route takes (auth.ts). */
const SECURITY_SCHEME = 'bearer';
/** The browser session cookie (POST /api/v1/session), which every /api/ route also takes. */
const SESSION_SCHEME = 'session';

/** One tag per area of the API, by the first path segment after /api/v1/. */
const TAGS: readonly { name: string; description: string; segments: readonly string[] }[] = [
  { name: 'snapshots', description: 'Fleet and cluster snapshots: what was observed, when, and how completely', segments: ['snapshots'] },
  { name: 'inventory', description: 'Clusters and node pools with their drift, at any moment', segments: ['clusters', 'pools'] },
  { name: 'compliance', description: 'Compliance summaries by status and subscription', segments: ['compliance'] },
  { name: 'findings', description: 'SLA breaches, coverage gaps and node mismatches, with remediation statistics', segments: ['findings'] },
  { name: 'exceptions', description: 'Time-boxed risk acceptances (four eyes)', segments: ['exceptions'] },
  { name: 'reports', description: 'Audit reports, their population and samples, and the report schema', segments: ['reports', 'schemas'] },
  { name: 'questionnaire', description: 'Answers to standard audit questionnaire questions', segments: ['questionnaire'] },
  { name: 'upgrades', description: 'Recorded node-image-only upgrades: plans, approval, progress and evidence', segments: ['upgrades'] },
  { name: 'node-checks', description: "Node-level cross-checks against each cluster's own API", segments: ['node-checks'] },
  { name: 'evidence', description: 'The tamper-evident evidence ledger: verification, export, keys, checkpoints', segments: ['evidence'] },
  { name: 'keys', description: 'API keys (admin)', segments: ['keys'] },
  { name: 'session', description: 'Browser sign-in: a bearer credential exchanged for an HttpOnly session cookie; changes made with the cookie need X-CSRF-Token', segments: ['session'] },
  { name: 'webhooks', description: 'Signed webhook deliveries of alert transitions (admin)', segments: ['webhooks'] },
  { name: 'operations', description: 'Probes and metrics for the platform running imagewarden; no key needed', segments: [] },
];

const PACKAGE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string; description?: string };

export interface ApiDocs {
  /** Registers `GET /openapi.json` and the viewer at `/docs`: after every route the document describes. */
  serve(): Promise<void>;
}

/**
 * Collects every route's schemas into an OpenAPI 3.1 document (dynamic mode). Registered before any route: it
 * learns them as they are added. TypeBox 1.x emits JSON Schema 2020-12 (`const`, `type: "null"`,
 * `patternProperties`), which OpenAPI 3.1 takes as it is; 3.0 would need each construct rewritten.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<ApiDocs> {
  const emptyBodyAccepted = emptyBodyCheck();
  /** Whether each operation's body may be left out (the app reads an absent body as `{}`), by "method /path". */
  const optionalBodies = new Map<string, boolean>();
  // swagger-ui declares no access for its routes: exactly the routes it adds (while `addingViewer`) are made public,
  // hidden from the document and given schemas like every route. Added first, so any later onRoute hook sees them so.
  let addingViewer = false;
  app.addHook('onRoute', (route) => {
    if (!addingViewer) return;
    route.config = { ...route.config, access: 'public' };
    route.schema = { querystring: NoQuery, response: { 200: Type.Unknown() }, ...route.schema, hide: true };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: PACKAGE.name,
        version: PACKAGE.version,
        ...(PACKAGE.description ? { description: `${PACKAGE.description}. Errors: { "error": { "code", "message", "details"? } }.` } : {}),
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: 'An imagewarden API key, or an Entra ID access token carrying an ImageWarden.Auditor, .Operator or .Admin app role',
          },
          [SESSION_SCHEME]: {
            type: 'apiKey',
            in: 'cookie',
            name: 'imagewarden_session',
            description: 'A browser session from POST /api/v1/session. With it, POST, PUT, PATCH and DELETE also need header X-CSRF-Token (the session\'s csrfToken) and, when an Origin is sent, this service\'s own origin',
          },
        },
      },
      tags: TAGS.map(({ name, description }) => ({ name, description })),
    },
    // Only the document sees what this returns: Fastify validates and serializes with the route's own schemas.
    transform: ({ schema, url, route }) => {
      const own = (schema ?? {}) as FastifySchema & { response?: Record<string, unknown> };
      if (own.body !== undefined) for (const method of [route.method].flat()) optionalBodies.set(`${method.toLowerCase()} ${openApiPath(url)}`, emptyBodyAccepted(own.body));
      return {
        url,
        schema: {
          ...own,
          ...Object.fromEntries((['body', 'querystring', 'params', 'headers'] as const).filter((part) => own[part] !== undefined).map((part) => [part, forDocument(own[part])])),
          response: documentedResponses(own.response ?? {}),
          tags: [tagOf(url)],
          // Explicit on every operation: the API's routes need a bearer credential or a session cookie (sign-in the
          // former, the session's own routes the latter), the probes, /metrics and the Entra ID sign-in routes none.
          security: securityOf([route.method].flat()[0] ?? '', url, (route.config as { access?: string } | undefined)?.access),
        } as FastifySchema,
      };
    },
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      for (const [path, item] of Object.entries(document.openapiObject.paths ?? {})) {
        for (const [method, operation] of Object.entries(item ?? {})) {
          const requestBody = (operation as { requestBody?: { required?: boolean } }).requestBody;
          if (requestBody && optionalBodies.get(`${method} ${path}`) === true) requestBody.required = false;
        }
      }
      return document.openapiObject;
    },
  });

  return {
    /**
     * `GET /openapi.json` and the viewer at `GET /docs` (its assets are served from the package, nothing from a CDN,
     * under a strict CSP). Both public — they describe the API, not its data — and left out of the document itself.
     */
    async serve() {
      app.get(
        '/openapi.json',
        {
          config: { access: 'public' },
          schema: { hide: true, querystring: NoQuery, response: { 200: Type.Unknown({ description: 'the OpenAPI 3.1 document' }) } },
        },
        async () => app.swagger(),
      );
      addingViewer = true;
      try {
        await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, validatorUrl: null }, staticCSP: DOCS_CSP });
      } finally {
        addingViewer = false;
      }
    },
  };
}

/** The viewer loads its scripts, styles and images from here only, and calls nothing but this API. */
const DOCS_CSP = [
  "default-src 'none'",
  "base-uri 'none'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
].join('; ');

const STATUS_TEXT: Readonly<Record<string, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: the work goes on in the background',
  204: 'No content',
  400: 'Invalid request: unknown or malformed parameters or body fields (`invalid_request`), or a value the operation refuses',
  401: 'No credential, or one that is unknown, revoked or expired',
  403: "The credential's role is below the operation's, or a change made with a session cookie failed its CSRF check (`csrf_failed`)",
  404: 'No such resource',
  409: 'Conflicts with the current state',
  422: 'Well-formed but unprocessable (for example an Idempotency-Key reused with another body)',
  429: 'Too many requests',
  500: 'Internal error: see the service log',
  503: 'Unavailable for now: not ready, or the identity provider could not be reached to check a token',
};

/**
 * Each answer with a description (the document requires one), its schema in document form; a route that answers by
 * streaming on its own (Server-Sent Events) declares no success schema: it is documented as a 200 without one
 * (unless it answers with a redirect, as the Entra ID sign-in routes do).
 */
function documentedResponses(responses: Record<string, unknown>): Record<string, unknown> {
  const documented: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(responses)) {
    const plain = forDocument(schema) as Record<string, unknown>;
    // @fastify/swagger's key for the answer's description: the schema itself stays as it is.
    if (plain.description === undefined) plain['x-response-description'] = STATUS_TEXT[status] ?? 'Answer';
    documented[status] = plain;
  }
  if (!Object.keys(documented).some((status) => status.startsWith('2') || status.startsWith('3'))) {
    documented[200] = { type: 'null', description: 'OK: the answer is a stream (see the summary)' };
  }
  return documented;
}

/**
 * A route schema as the document shows it: a plain copy (TypeBox's own markers are not enumerable and stay behind),
 * with each union of string literals — TypeBox's `Union([Literal('a'), Literal('b')])` — as one `enum`.
 */
function forDocument(schema: unknown): unknown {
  return collapseLiteralUnions(JSON.parse(JSON.stringify(schema ?? {})) as unknown);
}

function collapseLiteralUnions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(collapseLiteralUnions);
  if (node === null || typeof node !== 'object') return node;
  const object = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, collapseLiteralUnions(value)])) as Record<string, unknown>;
  const members = object.anyOf;
  if (Array.isArray(members) && members.length > 0 && members.every(isStringLiteral)) {
    const { anyOf: _anyOf, ...rest } = object;
    return { ...rest, type: 'string', enum: members.map((member) => (member as { const: string }).const) };
  }
  return object;
}

function isStringLiteral(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  const keys = Object.keys(node);
  return typeof (node as { const?: unknown }).const === 'string' && keys.every((key) => key === 'const' || key === 'type');
}

function securityOf(method: string, url: string, access: string | undefined): Record<string, string[]>[] {
  if (!url.startsWith('/api/')) return [];
  // Sign-in is public at the route but takes a bearer credential; the other public routes take none.
  if (access === 'public') return method === 'POST' && url === '/api/v1/session' ? [{ [SECURITY_SCHEME]: [] }] : [];
  if (access === 'session') return [{ [SESSION_SCHEME]: [] }];
  return [{ [SECURITY_SCHEME]: [] }, { [SESSION_SCHEME]: [] }];
}

function tagOf(url: string): string {
  const segment = /^\/api\/v\d+\/([^/]+)/.exec(url)?.[1];
  return TAGS.find((tag) => segment !== undefined && tag.segments.includes(segment))?.name ?? 'operations';
}

/** Fastify's `/reports/:id` as OpenAPI's `/reports/{id}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Whether a body schema accepts `{}`: what the service sees when a POST comes without a body. */
function emptyBodyCheck(): (schema: unknown) => boolean {
  const ajv = addFormats.default(new Ajv({ strict: false, allErrors: false }));
  return (schema) => {
    try {
      return ajv.validate(schema as object, {}) === true;
    } catch {
      return false;
    }
  };
}
