import Database from 'better-sqlite3';
import { retainForProcessLifetime } from './database.js';
import { join } from 'node:path';

export class ServeLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`another imagewarden serve is already running on data dir ${dataDir}`);
    this.name = 'ServeLockedError';
  }
}

export interface ServeLock {
  release(): void;
}

/**
 * One `serve` per data dir. The lock is an EXCLUSIVE transaction held open on a small side database:
 * the operating system drops it when the process dies, so a crash never leaves a stale lock behind
 * (a pid file would, and pid 1 in a container is always "alive").
 */
export function acquireServeLock(dataDir: string): ServeLock {
  const db = retainForProcessLifetime(new Database(join(dataDir, 'serve.lock'), { timeout: 0 }));
  try {
    db.pragma('journal_mode = DELETE');
    db.prepare('BEGIN EXCLUSIVE').run();
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new ServeLockedError(dataDir);
    throw error;
  }
  return {
    release() {
      if (db.inTransaction) db.prepare('ROLLBACK').run();
      db.close();
    },
  };
}
