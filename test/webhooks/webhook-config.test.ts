import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { signatureHeader } from '../../src/lib/webhook-signature.js';
import { tempDir } from '../helpers/temp-dir.js';
import { capturedLogger, SECRET } from './webhook-kit.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('webhook configuration', () => {
  it('is off unless IMAGEWARDEN_WEBHOOK_URL is set; https anywhere, http on loopback only', () => {
    expect(loadConfig({}).webhook).toBeNull();
    expect(loadConfig({ IMAGEWARDEN_WEBHOOK_URL: 'https://hooks.example.com/iw?token=abc', IMAGEWARDEN_WEBHOOK_SECRET: SECRET }).webhook).toEqual({
      url: 'https://hooks.example.com/iw?token=abc',
      secret: SECRET,
    });
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000']) {
      expect(loadConfig({ IMAGEWARDEN_WEBHOOK_URL: `http://${host}/x`, IMAGEWARDEN_WEBHOOK_SECRET: SECRET }).webhook?.url).toBe(`http://${host}/x`);
    }
  });

  it.each([
    [{ IMAGEWARDEN_WEBHOOK_URL: 'https://hooks.example.com/iw' }, 'IMAGEWARDEN_WEBHOOK_SECRET: required when IMAGEWARDEN_WEBHOOK_URL is set'],
    [{ IMAGEWARDEN_WEBHOOK_SECRET: SECRET }, 'IMAGEWARDEN_WEBHOOK_SECRET: set without IMAGEWARDEN_WEBHOOK_URL'],
    [{ IMAGEWARDEN_WEBHOOK_URL: 'http://hooks.example.com/iw/s3cr3t-path', IMAGEWARDEN_WEBHOOK_SECRET: SECRET }, 'IMAGEWARDEN_WEBHOOK_URL: use https:// (plain http only on loopback), got http://hooks.example.com/…'],
    [{ IMAGEWARDEN_WEBHOOK_URL: 'ftp://hooks.example.com', IMAGEWARDEN_WEBHOOK_SECRET: SECRET }, 'IMAGEWARDEN_WEBHOOK_URL: not an http(s) URL'],
    [{ IMAGEWARDEN_WEBHOOK_URL: 'not a url', IMAGEWARDEN_WEBHOOK_SECRET: SECRET }, 'IMAGEWARDEN_WEBHOOK_URL: not an http(s) URL'],
  ])('refuses %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('refuses a short secret (or one with spaces) at start-up without repeating it', () => {
    const short = 'hunter2-but-longer-1234567890';
    const problems = problemsOf({ IMAGEWARDEN_WEBHOOK_URL: 'https://hooks.example.com/iw', IMAGEWARDEN_WEBHOOK_SECRET: short });
    expect(problems).toEqual([
      `IMAGEWARDEN_WEBHOOK_SECRET: expected 32 to 1024 printable ASCII characters without spaces (e.g. openssl rand -hex 32), got ${short.length} characters`,
    ]);
    expect(problems.join('\n')).not.toContain(short);
    expect(problemsOf({ IMAGEWARDEN_WEBHOOK_URL: 'https://hooks.example.com/iw', IMAGEWARDEN_WEBHOOK_SECRET: `${SECRET} ${SECRET}` })).toHaveLength(1);
  });

  it('the logger redacts the secret wherever the config is logged', () => {
    const config = loadConfig({ IMAGEWARDEN_WEBHOOK_URL: 'https://hooks.example.com/iw', IMAGEWARDEN_WEBHOOK_SECRET: SECRET });
    const { logger, text } = capturedLogger();
    logger.info({ config }, 'config');
    logger.info({ webhook: config.webhook }, 'webhook');
    logger.info(config, 'flat');
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain(SECRET);
  });

  it('the verification example in docs/webhooks.md works as written', async () => {
    const docs = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(docs.slice(docs.indexOf('## Verifying the signature')))![1]!;
    const file = join(tempDir(), 'verify.mjs');
    writeFileSync(file, `${example}\nexport { verifySignature };\n`);
    const { verifySignature } = (await import(pathToFileURL(file).href)) as { verifySignature: (header: string, body: string, secret: string) => boolean };
    const body = JSON.stringify({ id: 'd', event: 'snapshot_stale', status: 'firing' });
    const header = signatureHeader(SECRET, body, Date.now() / 1000);
    expect(verifySignature(header, body, SECRET)).toBe(true);
    expect(verifySignature(header, body, `${SECRET}x`)).toBe(false);
    expect(verifySignature(header, body.replace('firing', 'resolved'), SECRET)).toBe(false);
    expect(verifySignature(signatureHeader(SECRET, body, Date.now() / 1000 - 600), body, SECRET)).toBe(false);
  });
});
