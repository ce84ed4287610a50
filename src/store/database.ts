import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  readonly readonly?: boolean;
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. */
  readonly busyTimeoutInMs?: number;
}

/**
 * Opens the SQLite database with the durability settings every imagewarden process relies on:
 * WAL (readers never block the writer), synchronous=FULL (a commit survives power loss, not just a crash),
 * foreign keys on, and a busy timeout so CLI writers queue behind `serve` through SQLite's own locking.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma(`busy_timeout = ${options.busyTimeoutInMs ?? 10_000}`);
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Runs `work` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so a transaction that reads
 * then writes can never fail half-way with SQLITE_BUSY_SNAPSHOT.
 */
export function writeTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(work).immediate();
}
