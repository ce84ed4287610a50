import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bundleLines } from '../../src/evidence/bundle.js';
import { createLedger } from '../../src/evidence/ledger.js';
import { encodeVerifierKey, noteVerifier } from '../../src/evidence/signed-note.js';
import type { SigningKey } from '../../src/evidence/signing-key.js';
import { createEvidenceRepository } from '../../src/store/evidence-repository.js';
import { openTestDatabase } from '../helpers/database.js';

/** A fixed Ed25519 key (RFC 8032 test vector 1's secret), so signatures — and the bundle — are reproducible. */
function fixedKey(name: string): SigningKey {
  const d = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex').toString('base64url');
  const x = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  return { name, privateKey, publicKey, keyId: Buffer.from(noteVerifier(name, publicKey).keyId).toString('hex'), verifierKey: encodeVerifierKey(name, publicKey) };
}

describe('evidence bundle format', () => {
  it('is byte-identical for a fixed ledger across releases (golden digest)', () => {
    const { db } = openTestDatabase();
    let tick = Date.parse('2026-01-01T00:00:00Z');
    const ledger = createLedger({ db, repo: createEvidenceRepository(db), key: fixedKey('golden/evidence'), witnesses: [], now: () => new Date((tick += 1000)) });
    for (let i = 0; i < 5; i++) ledger.record({ kind: 'golden_event', subject: `s${i}`, actor: 'test', body: { i, text: 'é ☃ "quoted"', nested: { b: [1, 2.5, null], a: true } } });
    const repo = createEvidenceRepository(db);
    const bundle = [...bundleLines({ origin: 'golden/evidence', exportedAt: '2026-01-02T00:00:00.000Z', keys: repo.keys(), checkpoints: repo.checkpoints(), entries: repo.entries() })].join('');
    // A change here breaks every verifier and bundle in the field: only ever change it with a new format version.
    expect(bundle.split('\n').find((line) => line.includes('"type":"entry"'))).toMatchInlineSnapshot(`"{"type":"entry","seq":1,"at":"2026-01-01T00:00:02.000Z","kind":"golden_event","subject":"s0","actor":"test","body":"{\\"i\\":0,\\"nested\\":{\\"a\\":true,\\"b\\":[1,2.5,null]},\\"text\\":\\"é ☃ \\\\\\"quoted\\\\\\"\\"}","bodySha256":"d14bb5aa326c5e4a9b3472c338fe8412d859c659970b47023558ec62f28cdf1e","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","entryHash":"6cffd0fabe7b035fbf05a26e10706241a9412e479a75741409df483584db722f"}"`);
    expect(createHash('sha256').update(bundle).digest('hex')).toMatchInlineSnapshot(`"4946c994c4df8b669aeabf64634aeb54f68657541c4a8c01c67f9b1a172bea45"`);
  });
});
