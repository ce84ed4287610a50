import Fastify from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../src/http/plugins/error-handler.js';
import { registerHardening } from '../../src/http/plugins/hardening.js';
import { PAGE_CSP, webPages } from '../../src/http/plugins/web-pages.js';
import { tempDir } from '../helpers/temp-dir.js';

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
});

/** The plugin as buildApp registers it (behind helmet's API policy and the error handler), over `root`. */
async function serve(root: string) {
  const app = Fastify();
  registerErrorHandler(app);
  await registerHardening(app, { rateLimitPerMinute: 0 });
  await app.register(webPages({ root }));
  apps.push(app);
  return app;
}

/** A build as scripts/build-web.mjs lays it out. */
function fakeBuild(): string {
  const root = tempDir();
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>imagewarden</title><script type="module" src="/ui/assets/app-ABC123.js"></script>');
  writeFileSync(join(root, 'assets', 'app-ABC123.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'app-DEF456.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'notes.txt'), 'not a served type');
  return root;
}

describe('the web dashboard routes', () => {
  it('redirect / to /ui/, answer index.html for every page path, and serve hashed assets for a year', async () => {
    const app = await serve(fakeBuild());
    for (const url of ['/', '/ui', '/?from=bookmark']) {
      const redirect = await app.inject({ url });
      expect(redirect.statusCode, url).toBe(302);
      expect(redirect.headers.location, url).toBe('/ui/');
    }
    for (const url of ['/ui/', '/ui/pools', '/ui/pools/some/deep/link?status=non_compliant']) {
      const page = await app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(page.body, url).toContain('<title>imagewarden</title>');
      expect(page.headers['content-security-policy'], url).toBe(PAGE_CSP);
      expect(page.headers['cache-control'], url).toBe('no-cache');
      expect(page.headers['x-content-type-options'], url).toBe('nosniff');
    }
    const script = await app.inject({ url: '/ui/assets/app-ABC123.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log(1)');
    expect((await app.inject({ url: '/ui/assets/app-DEF456.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    // A conditional request for an unchanged index.html is answered without the body.
    const index = await app.inject({ url: '/ui/' });
    const again = await app.inject({ url: '/ui/', headers: { 'if-none-match': String(index.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answer 404 in the API error shape for an asset that is not in the build, whatever the path asks', async () => {
    const app = await serve(fakeBuild());
    expect((await app.inject({ url: '/ui/assets/app-000000.js' })).json()).toEqual({ error: { code: 'asset_not_found', message: expect.any(String) } });
    for (const url of ['/ui/%2e%2e/etc/passwd', '/ui/assets/app-000000.js', '/ui/assets/notes.txt', '/ui/assets/../index.html', '/ui/assets/%2e%2e%2findex.html', '/ui/assets/', '/ui/assets/sub/app-ABC123.js']) {
      const missing = await app.inject({ url });
      if (missing.statusCode === 200) {
        // `..` resolved by the URL parser itself: a page path, answered with index.html, never a file off the disk.
        expect(missing.body, url).toContain('<title>imagewarden</title>');
        continue;
      }
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json(), url).toEqual({ error: { code: expect.stringMatching(/^(asset|route)_not_found$/), message: expect.any(String) } });
    }
  });

  it('keep the API policy everywhere else: the page policy is for these routes only', async () => {
    const app = await serve(fakeBuild());
    const other = await app.inject({ url: '/api/v1/anything' });
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(other.headers['content-security-policy']).not.toContain('script-src');
  });

  it('answer 503 web_assets_missing when the pages were never built, and keep serving', async () => {
    const app = await serve(join(tempDir(), 'no-build'));
    for (const url of ['/ui/', '/ui/overview', '/ui/assets/app-ABC123.js']) {
      const missing = await app.inject({ url });
      expect(missing.statusCode, url).toBe(503);
      expect(missing.json(), url).toEqual({ error: { code: 'web_assets_missing', message: expect.stringContaining('npm run build') } });
    }
    expect((await app.inject({ url: '/' })).statusCode).toBe(302);
  });
});
