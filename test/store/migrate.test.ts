import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { DatabaseTooNewError, migrate, readMigrations, schemaVersion } from '../../src/store/migrate.js';
import { openTestDatabase } from '../helpers/database.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('migrations', () => {
  it('apply in order, once, and leave the durability pragmas in force', () => {
    const { db } = openTestDatabase();
    expect(schemaVersion(db)).toBe(readMigrations().length);
    expect(migrate(db)).toEqual({ from: readMigrations().length, to: readMigrations().length });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(5000);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('refuses a database newer than the code', () => {
    const { db } = openTestDatabase();
    db.pragma(`user_version = ${readMigrations().length + 1}`);
    expect(() => migrate(db)).toThrow(DatabaseTooNewError);
  });

  it('rolls a failing migration back whole, keeping the version it had', () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '0001-good.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(migrations, '0002-bad.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);');
    const db = openDatabase(join(dir, 'db.sqlite'));
    expect(() => migrate(db, readMigrations(migrations))).toThrow(/missing/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'`).get()).toEqual({ n: 0 });
  });

  it('refuses migration files out of sequence', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '0001-a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '0003-c.sql'), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(/out of sequence/);
  });

  it('keeps observation rows append-only: only an open interval may be closed, once', () => {
    const { db } = openTestDatabase();
    db.prepare(`INSERT INTO snapshots (id, status, trigger, scope, requested_by, owner, started_at) VALUES (1, 'succeeded', 'cli', 'fleet', 't', 'h:1', '2026-01-01T00:00:00Z')`).run();
    db.prepare(`INSERT INTO snapshots (id, status, trigger, scope, requested_by, owner, started_at) VALUES (2, 'succeeded', 'cli', 'fleet', 't', 'h:1', '2026-01-01T01:00:00Z')`).run();
    db.prepare(
      `INSERT INTO pool_states (id, pool_key, cluster_key, subscription_id, location, image_family, valid_from, content_hash, data)
       VALUES (1, 'p', 'c', 's', 'l', 'f', 1, 'h', '{}')`,
    ).run();
    expect(() => db.prepare(`UPDATE pool_states SET data = '{"x":1}' WHERE id = 1`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM pool_states WHERE id = 1').run()).toThrow(/cannot be deleted/);
    db.prepare('UPDATE pool_states SET valid_to = 2 WHERE id = 1').run();
    expect(() => db.prepare('UPDATE pool_states SET valid_to = 1 WHERE id = 1').run()).toThrow(/append-only/);
    db.prepare(`INSERT INTO audit_events (at, actor, action) VALUES ('2026-01-01T00:00:00Z', 'x', 'y')`).run();
    expect(() => db.prepare(`UPDATE audit_events SET actor = 'z'`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
  });

  it('0013: browser sessions take known roles and ways in, a key session names its key, and an end has its reason', () => {
    const { db } = openTestDatabase();
    const insert = db.prepare(
      `INSERT INTO browser_sessions (session_hash, csrf_hash, actor, role, via, key_name, created_at, last_seen_at, expires_at, absolute_expires_at, ended_at, end_reason)
       VALUES (?, 'c', 'key:k', ?, ?, ?, 't0', 't0', 't1', 't2', ?, ?)`,
    );
    insert.run('a', 'auditor', 'api_key', 'k', null, null);
    expect(() => insert.run('a', 'auditor', 'api_key', 'k', null, null)).toThrow(/UNIQUE/);
    expect(() => insert.run('b', 'root', 'api_key', 'k', null, null)).toThrow(/CHECK/);
    expect(() => insert.run('c', 'auditor', 'password', 'k', null, null)).toThrow(/CHECK/);
    expect(() => insert.run('d', 'auditor', 'api_key', null, null, null)).toThrow(/CHECK/);
    expect(() => insert.run('e', 'auditor', 'api_key', 'k', 't1', null)).toThrow(/CHECK/);
    insert.run('f', 'admin', 'entra', null, 't1', 'signed_out');
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM browser_sessions WHERE key_name = 'k' AND ended_at IS NULL`).all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/browser_sessions_open_by_key/);
  });
});
