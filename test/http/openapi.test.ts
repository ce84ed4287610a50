import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

interface Operation {
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
type Document = { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string; scheme: string }> }; tags: { name: string }[] };

async function appWithRoutes() {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const { services, db } = createTestServices(testConfig(emulator));
  const routes: { method: string; url: string; access: string | undefined; schema: Record<string, unknown> }[] = [];
  const app = await buildApp({
    services,
    onRoute: (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access: route.access, schema: route.schema ?? {} });
    },
  });
  return { app, routes, close: async () => (await app.close(), db.close()) };
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const propertiesOf = (schema: unknown) => Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, public, titled and versioned from package.json', async () => {
    const h = await appWithRoutes();
    const response = await h.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json() as Document;
    await SwaggerParser.validate(structuredClone(document) as never);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: pkg.name, version: pkg.version });
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'imagewarden_session' });
    // Neither the document nor its viewer describes itself.
    expect(Object.keys(document.paths).filter((path) => path === '/openapi.json' || path.startsWith('/docs'))).toEqual([]);
    await h.close();
  });

  it('has every /api/ route with its method, parameters, request body and answers, a tag and its schemes (bearer or session cookie; sign-in bearer only, the session routes the cookie only, Entra ID sign-in none)', async () => {
    const h = await appWithRoutes();
    const document = (await h.app.inject({ url: '/openapi.json' })).json() as Document;
    const tags = new Set(document.tags.map((tag) => tag.name));
    const api = h.routes.filter((route) => route.url.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(30);
    for (const route of api) {
      const name = `${route.method} ${route.url}`;
      const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, name).toBeDefined();
      // Public routes take no credential, but sign-in, which takes the bearer credential it exchanges.
      const signIn = route.method === 'POST' && route.url === '/api/v1/session';
      const security = route.access === 'public' ? (signIn ? [{ bearer: [] }] : []) : route.access === 'session' ? [{ session: [] }] : [{ bearer: [] }, { session: [] }];
      expect(operation!.security, name).toEqual(security);
      expect(operation!.tags?.length, name).toBe(1);
      expect(tags, name).toContain(operation!.tags![0]);
      const parameters = operation!.parameters ?? [];
      for (const param of propertiesOf(route.schema.params)) expect(parameters, `${name} path ${param}`).toContainEqual(expect.objectContaining({ name: param, in: 'path', required: true }));
      for (const param of propertiesOf(route.schema.querystring)) expect(parameters, `${name} query ${param}`).toContainEqual(expect.objectContaining({ name: param, in: 'query' }));
      for (const header of propertiesOf(route.schema.headers)) expect(parameters, `${name} header ${header}`).toContainEqual(expect.objectContaining({ name: header, in: 'header' }));
      if (route.schema.body) expect(operation!.requestBody?.content['application/json']?.schema, `${name} body`).toBeDefined();
      else expect(operation!.requestBody, `${name} body`).toBeUndefined();
      const answers = Object.keys(route.schema.response as object);
      expect(Object.keys(operation!.responses), name).toEqual(expect.arrayContaining(answers));
      expect(Object.keys(operation!.responses).some((status) => status.startsWith('2') || status.startsWith('3')), `${name} success`).toBe(true);
      for (const [status, answer] of Object.entries(operation!.responses)) expect(answer.description, `${name} ${status}`).toMatch(/\S/);
    }
    // Every operation in the document is a registered route.
    const registered = new Set(h.routes.map((route) => `${route.method.toLowerCase()} ${openApiPath(route.url)}`));
    for (const [path, item] of Object.entries(document.paths)) for (const method of Object.keys(item)) expect(registered, `${method} ${path}`).toContain(`${method} ${path}`);
    await h.close();
  });

  it('marks a body the service accepts empty as optional, and one it needs as required', async () => {
    const h = await appWithRoutes();
    const { paths } = (await h.app.inject({ url: '/openapi.json' })).json() as Document;
    expect(paths['/api/v1/exceptions/{id}/approve']!.post!.requestBody!.required).toBe(false);
    expect(paths['/api/v1/exceptions']!.post!.requestBody!.required).toBe(true);
    expect(paths['/api/v1/keys']!.post!.requestBody!.required).toBe(true);
    // A union of literals reads as one enum; the probes and /metrics need no credential.
    const state = paths['/api/v1/exceptions']!.get!.parameters!.find((p) => p.name === 'state') as unknown as { schema: unknown };
    expect(state.schema).toEqual({ type: 'string', enum: ['requested', 'approved', 'expired', 'revoked', 'rejected'] });
    expect(paths['/metrics']!.get!.security).toEqual([]);
    expect(paths['/metrics']!.get!.responses['200']!.content).toHaveProperty('text/plain');
    expect(paths['/readyz']!.get!.responses).toHaveProperty('503');
    await h.close();
  });
});

describe('GET /docs', () => {
  it('serves the viewer without a key, from local assets only, under a strict content security policy', async () => {
    const h = await appWithRoutes();
    for (const url of ['/docs', '/docs/']) {
      const page = await h.app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/https?:|unsafe-inline|unsafe-eval/);
      // Every script and stylesheet comes from this service.
      const references = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(references.length).toBeGreaterThan(3);
      for (const reference of references) expect(reference, reference).toMatch(/^(\.\/|\/docs\/)static\//);
    }
    const initializer = await h.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    // No URL outside this service (comment lines aside: one cites a Stack Overflow answer).
    expect(initializer.body.replace(/^\s*\/\/.*$/gm, '')).not.toMatch(/https?:\/\//);
    const bundle = await h.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    // The viewer reads the same document.
    expect((await h.app.inject({ url: '/docs/json' })).json()).toEqual((await h.app.inject({ url: '/openapi.json' })).json());
    await h.close();
  });
});
