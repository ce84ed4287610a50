import { describe, expect, it } from 'vitest';
import { openTestDatabase } from '../helpers/database.js';

describe('openDatabase', () => {
  it('prepares each SQL text once, so no statement wrapper ever becomes garbage (Node 24 + better-sqlite3 12)', () => {
    const { db } = openTestDatabase();
    const first = db.prepare('SELECT count(*) AS n FROM snapshots');
    expect(db.prepare('SELECT count(*) AS n FROM snapshots')).toBe(first);
    expect(first.get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT 1 AS one')).not.toBe(first);
  });

  it('serves pragmas through the same cache, simple or not, reading or setting', () => {
    const { db } = openTestDatabase();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('cache_size = -4000')).toEqual([]);
    expect(db.pragma('cache_size', { simple: true })).toBe(-4000);
    expect((db.pragma('table_info(snapshots)') as unknown[]).length).toBeGreaterThan(10);
  });
});
