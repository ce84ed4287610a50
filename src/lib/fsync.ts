import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Flushes a file — or a directory, making a rename in it durable — to disk before the caller relies on it. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
