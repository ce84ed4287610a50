import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openNote, parseCheckpoint, parseVerifierKey } from '../../src/evidence/signed-note.js';
import { signingKeyPath } from '../../src/evidence/signing-key.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { FAST_RETRY, silentLogger } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

async function recordedDataDir(extraEnv: Record<string, string> = {}) {
  const emulator = await startTestEmulator({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: `${UBUNTU}-202610.01.0` } },
    subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: `${UBUNTU}-202607.01.0` })])] }],
  });
  const env = { IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_LOG_LEVEL: 'silent', ...extraEnv };
  const config = loadConfig(env);
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const services = createServices({ config, db, logger: silentLogger, snapshotOptions: { retryPolicy: FAST_RETRY } });
  await services.snapshotService.run('cli', 'test');
  const auditor = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key;
  await services.ledger.flushWitnesses();
  return { env, config, db, services, auditor };
}

describe('imagewarden verify', () => {
  it('exits 0 on an intact data dir (beside a live writer), 1 when tampered, 2 when there is nothing to read', async () => {
    const { env, db } = await recordedDataDir();
    const intact = await runCli(['verify', '--json'], env);
    expect(intact.stderr).toMatch(/^intact: \d+ entries/m);
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ intact: true, firstBrokenSequence: null });

    db.exec('DROP TRIGGER evidence_entries_no_update');
    db.prepare(`UPDATE evidence_entries SET actor = 'key:mallory' WHERE seq = 2`).run();
    const tampered = await runCli(['verify'], env);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/seq=2 INVALID: entry hash does not match its fields/);
    expect(tampered.stderr).toMatch(/TAMPERED: first broken sequence 2/);

    expect((await runCli(['verify'], { ...env, IMAGEWARDEN_DATA_DIR: tempDir() })).code).toBe(2);
    const garbage = join(tempDir(), 'bundle.ndjson');
    writeFileSync(garbage, 'not a bundle\n');
    expect((await runCli(['verify', '--bundle', garbage], env)).code).toBe(2);
  });

  it('keeps the signing key in the data dir with mode 0600, serves its public key, and signs C2SP checkpoints with it', async () => {
    const { config, services, auditor } = await recordedDataDir();
    expect(statSync(signingKeyPath(config.dataDir)).mode & 0o777).toBe(0o600);
    const app = await buildApp({ services });
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${auditor}` } });
    const published = (await get('/api/v1/evidence/public-key')).json() as { active: { verifierKey: string; publicKeyPem: string; name: string } };
    expect(published.active.name).toBe('imagewarden/evidence');
    expect(published.active.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const verifier = parseVerifierKey(published.active.verifierKey);
    const checkpoints = (await get('/api/v1/evidence/checkpoints?limit=1000')).json() as { items: { size: number; rootHash: string; note: string }[] };
    expect(checkpoints.items.length).toBeGreaterThan(1);
    for (const checkpoint of checkpoints.items) {
      const opened = openNote(checkpoint.note, [verifier]);
      expect(opened.signatures.map((s) => s.status)).toEqual(['verified']);
      const parsed = parseCheckpoint(opened.text);
      expect(parsed).toMatchObject({ origin: 'imagewarden/evidence', size: checkpoint.size });
      expect(parsed.rootHash.toString('hex')).toBe(checkpoint.rootHash);
    }
    const verified = (await get('/api/v1/evidence/verify')).json() as { intact: boolean; entries: number };
    expect(verified).toMatchObject({ intact: true });
    expect(verified.entries).toBeGreaterThan(2);
    await app.close();
  });

  it('exports a bundle that verifies offline with a pinned key, and refuses one with another origin, key or a cut', async () => {
    const { env, services, auditor } = await recordedDataDir();
    const app = await buildApp({ services });
    const headers = { authorization: `Bearer ${auditor}` };
    const exported = await app.inject({ method: 'GET', url: '/api/v1/evidence/export', headers });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/application\/x-ndjson/);
    const bundle = join(tempDir(), 'bundle.ndjson');
    writeFileSync(bundle, exported.body);
    const verifierKey = ((await app.inject({ method: 'GET', url: '/api/v1/evidence/public-key', headers })).json() as { active: { verifierKey: string } }).active.verifierKey;
    await app.close();

    // Offline: no data dir, no database.
    const offline = { IMAGEWARDEN_DATA_DIR: tempDir() };
    const ok = await runCli(['verify', '--bundle', bundle, '--public-key', verifierKey], offline);
    expect(ok.stderr).toMatch(/^intact:/m);
    expect(ok.code).toBe(0);

    const lines = readFileSync(bundle, 'utf8').trimEnd().split('\n');
    const otherKey = 'imagewarden/evidence+00000000+AAAA';
    expect((await runCli(['verify', '--bundle', bundle, '--public-key', otherKey], offline)).code).toBe(1);

    const moved = join(tempDir(), 'moved.ndjson');
    writeFileSync(moved, `${lines.map((line) => line.replace(/"origin":"imagewarden\/evidence"/, '"origin":"contoso/prod/evidence"')).join('\n')}\n`);
    const movedResult = await runCli(['verify', '--bundle', moved], offline);
    expect(movedResult.code).toBe(1);
    expect(movedResult.stderr).toMatch(/origin imagewarden\/evidence is not the expected contoso\/prod\/evidence/);

    const cut = join(tempDir(), 'cut.ndjson');
    writeFileSync(cut, `${lines.slice(0, -2).join('\n')}\n`);
    expect((await runCli(['verify', '--bundle', cut], offline)).code).toBe(2);
    void env;
  });

  it('rotates the signing key: old checkpoints verify with the old key in its window, new ones with the new key', async () => {
    const { env, services, auditor } = await recordedDataDir();
    const rotated = await runCli(['rotate-signing-key'], env);
    expect(rotated.code).toBe(0);
    const newKey = rotated.stdout.trim();
    const app = await buildApp({ services });
    const headers = { authorization: `Bearer ${auditor}` };
    const keys = ((await app.inject({ method: 'GET', url: '/api/v1/evidence/public-key', headers })).json() as { active: { verifierKey: string }; keys: { verifierKey: string; notAfter: string | null }[] });
    expect(keys.active.verifierKey).toBe(newKey);
    expect(keys.keys).toHaveLength(2);
    expect(keys.keys.find((k) => k.verifierKey !== newKey)!.notAfter).not.toBeNull();
    await app.close();
    const verified = await runCli(['verify', '--json'], env);
    expect(verified.code).toBe(0);
    // A second process with the old key file is refused: a swapped key would sign a rewritten history.
    expect(() => createServices({ config: loadConfig({ ...env, IMAGEWARDEN_EVIDENCE_ORIGIN: 'contoso/prod' }), db: services.ledger && openDatabase(loadConfig(env).databaseFile), logger: silentLogger })).toThrow(
      /IMAGEWARDEN_EVIDENCE_ORIGIN is contoso\/prod/,
    );
  });

  it('appends every checkpoint to a file witness and checks the ledger against it', async () => {
    const witness = join(tempDir(), 'witness.ndjson');
    const { env } = await recordedDataDir({ IMAGEWARDEN_EVIDENCE_WITNESS: witness });
    const lines = readFileSync(witness, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { size: number; note: string });
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)!.note).toMatch(/^imagewarden\/evidence\n\d+\n/);
    const result = await runCli(['verify', '--json'], env);
    expect(JSON.parse(result.stdout)).toMatchObject({ intact: true, anchors: lines.length });
  });
});

describe('an interrupted key rotation', () => {
  it('is completed at start when the new key was registered, and discarded when it never was', async () => {
    const { config, db, services } = await recordedDataDir();
    const { writeNewKey, readSigningKey } = await import('../../src/evidence/signing-key.js');
    const { rotateSigningKey } = await import('../../src/evidence/ledger.js');
    const pending = `${signingKeyPath(config.dataDir)}.next`;
    // Crash after the registration committed, before the file moved.
    writeNewKey(pending);
    rotateSigningKey({ db, repo: services.evidenceRepo, now: () => new Date() }, readSigningKey(pending, config.evidenceOrigin));
    const restarted = createServices({ config, db, logger: silentLogger });
    expect(restarted.ledger.key.verifierKey).toBe(services.evidenceRepo.activeKey()!.publicKey);
    expect(existsSync(pending)).toBe(false);
    expect(restarted.evidence.verify().intact).toBe(true);
    // Crash before the registration: the pending key is thrown away, the registered key stays.
    writeNewKey(pending);
    const again = createServices({ config, db, logger: silentLogger });
    expect(again.ledger.key.verifierKey).toBe(restarted.ledger.key.verifierKey);
    expect(existsSync(pending)).toBe(false);
  });
});
