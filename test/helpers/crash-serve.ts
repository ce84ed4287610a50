import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI } from './cli.js';

/** mulberry32: a small seeded PRNG, so a run's kill moments are reproducible from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Resolves with the API's URL once serve listens; rejects if it exits first. */
  readonly listening: Promise<string>;
  readonly stderr: () => string;
  /** SIGKILL now (if still running); resolves once the process is gone. */
  kill(): Promise<void>;
  /** This serve's own child processes (report workers), read from /proc. */
  children(): { pid: number; args: string }[];
}

const launched = new Set<ChildProcess>();

/** Starts `node dist/cli.js serve` without waiting for it to listen (a kill may land during start-up). */
export function launchServe(env: Record<string, string | undefined>): ServeProcess {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  launched.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => launched.delete(child));
  let stderr = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /imagewarden listening on (\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code, signal) => reject(new Error(`serve exited (${code ?? signal}) before listening:\n${stderr}`)));
  });
  listening.catch(() => undefined); // a kill during start-up is expected; callers that await it see the rejection
  return {
    child,
    listening,
    stderr: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    children: () => childPids(child.pid!),
  };
}

/** SIGKILLs every serve this module started that still runs (afterEach / finally). */
export async function killLaunched(): Promise<void> {
  await Promise.all(
    [...launched].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

function childPids(pid: number): { pid: number; args: string }[] {
  let pids: number[];
  try {
    pids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return pids.map((child) => {
    try {
      return { pid: child, args: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim() };
    } catch {
      return { pid: child, args: '?' };
    }
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A small JSON client for one serve: never throws on HTTP status, only on a connection that failed. */
export function apiClient(url: string, key: string) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  async function call<T = unknown>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${url}${path}`, { method, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }
  return {
    get: <T = unknown>(path: string) => call<T>('GET', path),
    post: <T = unknown>(path: string, body: unknown, extra?: Record<string, string>) => call<T>('POST', path, body, extra),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** One request the emulator answered, as its `log` option reports it, stamped when the answer went out. */
export interface ArmExchange {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly operation: string;
}

/**
 * Watches the emulator's request log: keeps every exchange and lets a test wait for (or act synchronously on) the
 * first exchange that matches — e.g. SIGKILL serve the moment Azure has accepted an upgrade it has not yet recorded.
 */
export function createArmWatch() {
  const exchanges: ArmExchange[] = [];
  const waiters = new Set<{ match: (e: ArmExchange) => boolean; resolve: (e: ArmExchange) => void }>();
  return {
    exchanges,
    log(line: string): void {
      const match = /^(\S+) (\S+) -> (\d+) (\S+)/.exec(line);
      if (!match) return;
      const exchange = { at: performance.now(), method: match[1]!, path: match[2]!.split('?')[0]!.toLowerCase(), status: Number(match[3]), operation: match[4]! };
      exchanges.push(exchange);
      for (const waiter of [...waiters]) {
        if (!waiter.match(exchange)) continue;
        waiters.delete(waiter);
        waiter.resolve(exchange);
      }
    },
    /** Resolves with the first exchange from now on that matches, or null after `timeoutInMs`. */
    next(match: (e: ArmExchange) => boolean, timeoutInMs: number): Promise<ArmExchange | null> {
      return new Promise((resolve) => {
        const waiter = {
          match,
          resolve: (e: ArmExchange) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(null);
        }, timeoutInMs);
        waiters.add(waiter);
      });
    },
  };
}

export type ArmWatch = ReturnType<typeof createArmWatch>;
