import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Anchor } from './verify-ledger.js';

/** What a witness receives: one signed checkpoint. */
export interface WitnessedCheckpoint {
  readonly size: number;
  readonly rootHash: string;
  readonly signedAt: string;
  readonly note: string;
}

/** A place outside the database that keeps every checkpoint: whoever rewrites the database cannot rewrite it. */
export interface Witness {
  readonly name: string;
  deliver(checkpoint: WitnessedCheckpoint): Promise<void>;
}

/** Appends one JSON line per checkpoint to a file (on other storage), synced before the delivery counts. */
export function fileWitness(path: string): Witness {
  return {
    name: path,
    async deliver(checkpoint) {
      const fd = openSync(path, 'a', 0o644);
      try {
        writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** POSTs each checkpoint as JSON; any 2xx answer is a delivery. Failures are recorded and retried later. */
export function httpWitness(url: string, timeoutInMs = 10_000): Witness {
  return {
    name: url,
    async deliver(checkpoint) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(checkpoint),
        signal: AbortSignal.timeout(timeoutInMs),
        redirect: 'error',
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`witness ${url} answered ${response.status}`);
    },
  };
}

export function createWitness(target: string): Witness {
  return target.startsWith('/') ? fileWitness(target) : httpWitness(target);
}

/** The checkpoints a file witness holds, as anchors to verify the ledger against. Unreadable lines are refused. */
export function readFileWitness(path: string): Anchor[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const parsed = JSON.parse(line) as Partial<WitnessedCheckpoint>;
      if (typeof parsed.size !== 'number' || typeof parsed.rootHash !== 'string') {
        throw new Error(`${path}: line ${index + 1} is not a witnessed checkpoint`);
      }
      return { source: `${path}:${index + 1}`, size: parsed.size, rootHash: parsed.rootHash };
    });
}
