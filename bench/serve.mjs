// The service as deployed, for the benches that drive it over loopback (api, dashboard).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `imagewarden serve` on a free loopback port; resolves once it listens. `profileDir`: write a --cpu-prof there. */
export async function startServe({ dataDir, profileDir = null, env: extra = {} }) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('IMAGEWARDEN_') && !name.startsWith('AZURE_')));
  const env = {
    ...inherited,
    IMAGEWARDEN_DATA_DIR: dataDir,
    IMAGEWARDEN_HOST: '127.0.0.1',
    IMAGEWARDEN_PORT: '0',
    // Never Azure: a static token, and an ARM endpoint on loopback that nothing listens on (no schedule calls it).
    IMAGEWARDEN_ARM_TOKEN: 'unused',
    IMAGEWARDEN_ARM_ENDPOINT: 'https://127.0.0.1:9',
    IMAGEWARDEN_SNAPSHOT_CRON: 'off',
    IMAGEWARDEN_NODE_CHECK_CRON: 'off',
    IMAGEWARDEN_RATE_LIMIT_PER_MINUTE: '0',
    IMAGEWARDEN_LOG_LEVEL: 'warn',
    ...extra,
  };
  const profile = profileDir !== null ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, join(root, 'dist', 'cli.js'), 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stderr });
  const stderr = [];
  const url = await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      stderr.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr.join('\n')}`)));
  });
  return {
    pid: child.pid,
    url,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function rssMB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

