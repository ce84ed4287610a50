import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dir.js';
import { afterEach } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const children: ChildProcess[] = [];

afterEach(() => {
  while (children.length > 0) children.pop()!.kill('SIGKILL');
});

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ...args` to completion (`npm test` builds dist first). */
export function runCli(args: string[], env: Record<string, string | undefined>, timeoutInMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => reject(new Error(`imagewarden ${args.join(' ')} timed out\n${stderr}`)), timeoutInMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `serve` and resolves with its URL once it listens. */
export function startServe(env: Record<string, string | undefined>): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /imagewarden listening on (\S+)/.exec(stderr);
      if (match) resolve({ url: match[1]!, child, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
  });
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/** The environment of a `serve` (or CLI) child against `emulator`, data in a fresh temp dir, no schedule. */
export function serveEnv(emulator: { url: string; token: string }): Record<string, string> {
  return {
    IMAGEWARDEN_DATA_DIR: join(tempDir(), 'data'),
    IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
    IMAGEWARDEN_ARM_TOKEN: emulator.token,
    IMAGEWARDEN_PORT: '0',
    IMAGEWARDEN_SNAPSHOT_CRON: 'off',
    IMAGEWARDEN_LOG_LEVEL: 'warn',
  };
}
