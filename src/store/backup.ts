import { closeSync, fsyncSync, openSync, renameSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './database.js';

/**
 * A consistent copy through SQLite's online backup API (never a file copy of a live WAL database): written to
 * `<out>.tmp`, checked with integrity_check, fsynced, then renamed into place so a crash never leaves a torn file.
 */
export async function backupDatabase(db: Db, out: string): Promise<{ file: string; bytes: number; schemaVersion: number }> {
  const file = resolve(out);
  const temporary = `${file}.tmp`;
  await db.backup(temporary);
  const copy = new Database(temporary, { readonly: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`backup failed its integrity check: ${String(check)}`);
    const schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    copy.close();
    const fd = openSync(temporary, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, file);
    return { file, bytes: statSync(file).size, schemaVersion };
  } finally {
    if (copy.open) copy.close();
  }
}
