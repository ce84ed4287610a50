import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { ErrorResponse } from '../schemas/common.js';

/** Where `npm run build` puts the pages (scripts/build-web.mjs): the same path from src/ (tests) and from dist/. */
export const WEB_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/**
 * The pages' own policy, replacing the API's `default-src 'none'` on these routes only: scripts, styles, fonts and
 * images from this service (images also as data: URIs), requests to this service's API, nothing inline, no framing.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Asset names carry their content's hash: a browser may keep them for a year. index.html is asked for every time. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface File {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

interface WebAssets {
  readonly index: File;
  /** By file name under assets/: a request names one of these or nothing; no path from a request reaches the disk. */
  readonly assets: ReadonlyMap<string, File>;
}

function file(body: Buffer, type: string): File {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
}

/** The built pages, read once into memory (tens of KB); null while the build has not produced them. */
function readWebAssets(root: string): WebAssets | null {
  const indexPath = join(root, 'index.html');
  if (!existsSync(indexPath)) return null;
  const assetDir = join(root, 'assets');
  const assets = new Map<string, File>();
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const type = TYPES[extname(name)];
      if (type !== undefined) assets.set(name, file(readFileSync(join(assetDir, name)), type));
    }
  }
  return { index: file(readFileSync(indexPath), 'text/html; charset=utf-8'), assets };
}

export interface WebPagesOptions {
  /** The built pages (default: dist/web of this package). */
  readonly root?: string;
}

/** The page's own state (filters and the like) may ride in the query: the server ignores it. */
const PageQuery = Type.Object({}, { additionalProperties: true });
const Redirect = Type.Unknown({ description: 'to /ui/' });
const schemaOf = (success: Record<string, unknown>) => ({
  hide: true,
  querystring: PageQuery,
  response: { ...success, 404: ErrorResponse, 503: ErrorResponse },
});

/**
 * The web dashboard at /ui/ (a single-page app: every /ui/ path that is not an asset answers index.html, and the page
 * picks what to show), and `/` redirecting to it. Public: the pages hold no data; everything they show comes from the
 * API, which authenticates every request. Without a build (dist/web missing) these routes answer 503
 * `web_assets_missing`, and the rest of the service is unaffected.
 */
export const webPages =
  (options: WebPagesOptions = {}): FastifyPluginAsync =>
  async (app) => {
    const root = options.root ?? WEB_ROOT;
    let loaded: WebAssets | null = null;
    const assets = (): WebAssets => {
      loaded ??= readWebAssets(root);
      if (loaded === null) throw new DomainError('unavailable', 'web_assets_missing', 'the web dashboard is not built: run `npm run build` (it writes dist/web)');
      return loaded;
    };

    const send = (request: FastifyRequest, reply: FastifyReply, content: File, cacheControl: string) => {
      void reply.header('content-security-policy', PAGE_CSP).header('cache-control', cacheControl).header('etag', content.etag);
      if (request.headers['if-none-match'] === content.etag) return reply.code(304).send();
      return reply.type(content.type).send(content.body);
    };

    const toDashboard = { config: { access: 'public' as const }, schema: schemaOf({ 302: Redirect }) };
    app.get('/', toDashboard, async (_request, reply) => reply.redirect('/ui/', 302));
    app.get('/ui', toDashboard, async (_request, reply) => reply.redirect('/ui/', 302));

    app.get(
      '/ui/*',
      {
        config: { access: 'public' },
        schema: { ...schemaOf({ 200: Type.Unknown({ description: 'a page (index.html) or an asset' }), 304: Type.Unknown({ description: 'not modified' }) }), params: Type.Object({ '*': Type.String() }) },
      },
      async (request, reply) => {
        const path = (request.params as { '*': string })['*'];
        const web = assets();
        if (path.startsWith('assets/')) {
          const asset = web.assets.get(path.slice('assets/'.length));
          if (asset === undefined) throw new DomainError('not_found', 'asset_not_found', 'no such asset of the web dashboard');
          return send(request, reply, asset, IMMUTABLE);
        }
        return send(request, reply, web.index, REVALIDATE);
      },
    );
  };
