import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { fsyncPath } from '../lib/fsync.js';
import { dirname } from 'node:path';
import { openDatabase } from './database.js';
import { readMigrations } from './migrate.js';

export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

const SIDE_FILES = ['', '-wal', '-shm'] as const;

/**
 * Puts a backup (`imagewarden backup`) in place of the database, with `serve` stopped. The backup is checked first
 * (SQLite integrity, an imagewarden schema this version can open) and nothing changes if it fails. The database it
 * replaces is moved aside with its WAL and shared-memory files, never deleted: `<db>.before-restore-<time>`. The copy
 * is fsynced before it is renamed into place, so a crash leaves either the old database or the restored one.
 */
export function restoreDatabase(databaseFile: string, from: string, at: Date): { schemaVersion: number; previous: string | null } {
  if (!existsSync(from)) throw new RestoreRefusedError(`no backup at ${from}`);
  const schemaVersion = checkBackup(from);

  const staging = `${databaseFile}.restoring`;
  rmSync(staging, { force: true });
  copyFileSync(from, staging);
  fsyncPath(staging);
  let previous: string | null = null;
  if (existsSync(databaseFile)) {
    previous = `${databaseFile}.before-restore-${at.toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of SIDE_FILES) if (existsSync(databaseFile + suffix)) renameSync(databaseFile + suffix, previous + suffix);
  }
  renameSync(staging, databaseFile);
  fsyncPath(dirname(databaseFile));
  return { schemaVersion, previous };
}

/** The backup's schema version, once it is known to be a sound imagewarden database this version can open. */
function checkBackup(from: string): number {
  let backup;
  let check: unknown;
  try {
    backup = openDatabase(from, { readonly: true });
    check = backup.pragma('integrity_check', { simple: true });
  } catch (error) {
    backup?.close();
    throw new RestoreRefusedError(`${from} is not a readable SQLite database: ${(error as Error).message}`);
  }
  try {
    if (check !== 'ok') throw new RestoreRefusedError(`${from} fails its integrity check: ${String(check)}`);
    const schemaVersion = backup.pragma('user_version', { simple: true }) as number;
    const known = readMigrations().length;
    const tables = new Set((backup.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name));
    if (schemaVersion === 0 || !tables.has('snapshots')) throw new RestoreRefusedError(`${from} is not an imagewarden database`);
    if (schemaVersion > known) throw new RestoreRefusedError(`${from} has schema version ${schemaVersion}, newer than this imagewarden (${known}): restore it with the version that wrote it`);
    return schemaVersion;
  } finally {
    backup.close();
  }
}
