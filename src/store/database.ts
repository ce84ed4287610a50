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
  const db = retainForProcessLifetime(
    new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false }),
  );
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

const retained: Db[] = [];

/**
 * better-sqlite3 12 wraps databases and statements in the legacy `node::ObjectWrap`. From Node 24.19 on, such a
 * wrapper destroyed by a garbage collection that runs outside any JavaScript context aborts the whole process
 * (`RemoveEnvironmentCleanupHook: Assertion failed: (env) != nullptr`); better-sqlite3 13 fixes it but needs
 * Node 22+. So no wrapper may ever become garbage: every statement is prepared once per SQL text and kept on its
 * database (which also spares re-preparing hot queries), `pragma` goes through that cache, and databases stay
 * referenced for the life of the process. Commands end with `process.exit`, which skips heap teardown.
 */
export function retainForProcessLifetime(db: Db): Db {
  retained.push(db);
  const statements = new Map<string, Database.Statement>();
  const prepareOnce = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = Database.prototype.prepare.call(db, sql) as Database.Statement;
      statements.set(sql, statement);
    }
    return statement;
  };
  db.prepare = prepareOnce as Db['prepare'];
  db.pragma = ((source: string, options?: { simple?: boolean }) => {
    const statement = prepareOnce(`PRAGMA ${source}`);
    if (!statement.reader) {
      statement.run();
      return options?.simple ? undefined : [];
    }
    return options?.simple ? statement.pluck(true).get() : statement.pluck(false).all();
  }) as Db['pragma'];
  return db;
}
