import { renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsyncPath } from '../lib/fsync.js';
import { openDatabase, type Db } from './database.js';

/**
 * A consistent copy while the service runs: `VACUUM INTO` reads one snapshot of the database through SQLite
 * (never a file copy of a live WAL database) into `<out>.tmp`, which is integrity-checked, fsynced, then renamed
 * into place, so a crash never leaves a torn file where the backup should be.
 */
export function backupDatabase(db: Db, out: string): { file: string; bytes: number; schemaVersion: number } {
  const file = resolve(out);
  const temporary = `${file}.tmp`;
  rmSync(temporary, { force: true });
  db.prepare('VACUUM INTO ?').run(temporary);
  const copy = openDatabase(temporary, { readonly: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`backup failed its integrity check: ${String(check)}`);
    const schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    copy.close();
    fsyncPath(temporary);
    renameSync(temporary, file);
    fsyncPath(dirname(file));
    return { file, bytes: statSync(file).size, schemaVersion };
  } finally {
    if (copy.open) copy.close();
  }
}
