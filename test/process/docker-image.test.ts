import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitOf } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

/**
 * Docker cannot run here, so the image's steps are replayed: the runtime stage's files copied into a clean folder,
 * production dependencies installed there from the lockfile (no dev dependency can hide a missing runtime one),
 * then the image's own CMD and HEALTHCHECK run against it.
 */
describe('the Docker image', () => {
  it('is a multi-stage Node 24 slim build that runs as a non-root user with a /data volume', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(runtimeStage).toMatch(/^\s*FROM node:24[\w.-]*-slim\s*$/m);
    expect(runtimeStage).toMatch(/^USER node$/m);
    expect(runtimeStage).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(runtimeStage).toMatch(/IMAGEWARDEN_DATA_DIR=\/data/);
    expect(runtimeStage).toMatch(/^HEALTHCHECK /m);
    expect(runtimeStage).toMatch(/^CMD \["npm", "start"\]$/m);
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(packageJson.scripts.start).toBe('node dist/cli.js serve');
  });

  it('starts from its production dependencies alone and passes its own health check', async () => {
    const app = join(tempDir(), 'app');
    // The runtime stage's COPY lines, replayed (node_modules comes from the install below instead).
    const copies = [...runtimeStage.matchAll(/^COPY (?:--from=build \/app\/)?(\S+) \.\/(\S*)$/gm)].map((m) => m[1]!);
    expect(copies).toEqual(expect.arrayContaining(['dist', 'package.json', 'migrations', 'templates']));
    for (const source of [...copies.filter((c) => c !== 'node_modules'), 'package-lock.json']) {
      cpSync(join(ROOT, source), join(app, source), { recursive: true });
    }
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe' });
    expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    // The image compiles better-sqlite3 in its build stage; here the addon built for this Node stands in for that step.
    cpSync(join(ROOT, 'node_modules', 'better-sqlite3', 'build'), join(app, 'node_modules', 'better-sqlite3', 'build'), { recursive: true });

    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      IMAGEWARDEN_DATA_DIR: join(app, 'data'),
      IMAGEWARDEN_HOST: '127.0.0.1',
      IMAGEWARDEN_PORT: port,
      IMAGEWARDEN_SNAPSHOT_CRON: 'off',
    };
    // Its own process group: npm does not pass SIGTERM on to the node it starts, so the group is signalled.
    const child = spawn('npm', ['start'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitFor(() => /listening on/.test(stderr), () => stderr);
      const healthcheck = JSON.parse(/^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(runtimeStage.replace(/\\\n\s*/g, ''))![1]!) as string[];
      const [command, ...args] = healthcheck;
      const result = spawn(command === 'node' ? process.execPath : command!, args, { env, stdio: 'ignore' });
      expect(await exitOf(result)).toBe(0);
      expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready' });
      // The web dashboard ships in dist/web (built in the build stage).
      const dashboard = await fetch(`http://127.0.0.1:${port}/ui/`);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toMatch(/<script type="module" src="\/ui\/assets\/app-\w+\.js">/);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exitOf(child);
    }
  }, 120_000);
});

async function waitFor(condition: () => boolean, context: () => string, timeoutInMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
