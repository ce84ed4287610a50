import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from './temp-dir.js';

/** A real SQLite file in a temp dir, migrated, with production pragmas. */
export function openTestDatabase(): { db: Db; file: string; dir: string } {
  const dir = tempDir();
  const file = join(dir, 'imagewarden.db');
  const db = openDatabase(file);
  migrate(db);
  return { db, file, dir };
}
