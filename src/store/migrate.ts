import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeTransaction, type Db } from './database.js';

/** migrations/ sits beside src/ and dist/, so one relative path serves both. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export class DatabaseTooNewError extends Error {
  constructor(readonly databaseVersion: number, readonly codeVersion: number) {
    super(
      `database schema version ${databaseVersion} is newer than this imagewarden (knows up to ${codeVersion}); ` +
        'refusing to start: run a release that knows this schema',
    );
    this.name = 'DatabaseTooNewError';
  }
}

/** Reads `NNNN-description.sql` files, in order; numbering must be contiguous from 1. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d{4})-([a-z0-9-]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name must be NNNN-description.sql: ${file}`);
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(`${dir}/${file}`, 'utf8') };
    });
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migration ${migration.version} is out of sequence`);
  });
  return migrations;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies pending migrations, each in its own immediate transaction together with its user_version bump,
 * so a crash leaves the schema at a whole version. Refuses a database newer than the code.
 */
export function migrate(db: Db, migrations: Migration[] = readMigrations()): { from: number; to: number } {
  const latest = migrations.length;
  const from = schemaVersion(db);
  if (from > latest) throw new DatabaseTooNewError(from, latest);
  for (const migration of migrations.slice(from)) {
    writeTransaction(db, () => {
      // Re-check inside the lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
  }
  return { from, to: schemaVersion(db) };
}
