import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash } from '../../src/evidence/merkle.js';
import {
  MAX_SIGNATURES,
  NoteError,
  ed25519KeyId,
  encodeVerifierKey,
  formatCheckpoint,
  noteVerifier,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  requireVerified,
  signNote,
  verifiedBy,
  type NoteErrorCode,
} from '../../src/evidence/signed-note.js';

// Golden values from golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen, TestNewVerifier).
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** The Ed25519 private key behind a sumdb/note signer key (its last field is base64(0x01 ‖ 32-byte seed)). */
function privateKeyOf(skey: string): KeyObject {
  const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1);
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

function codeOf(call: () => unknown): NoteErrorCode | 'no error' {
  try {
    call();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  return 'no error';
}
function messageOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

function newSigner(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, publicKey, verifier: noteVerifier(name, publicKey) };
}

describe('verifier keys', () => {
  it('parses the sumdb/note golden keys and encodes them back byte for byte', () => {
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId.toString('hex')).toBe('c74f20a3');
    expect(encodeVerifierKey(peter.name, peter.publicKey)).toBe(PETER_VKEY);
    expect(encodeVerifierKey(enoch.name, enoch.publicKey)).toBe(ENOCH_VKEY);
    expect(encodeVerifierKey('PeterNeumann', createPublicKey(privateKeyOf(PETER_SKEY)))).toBe(PETER_VKEY);
  });

  it('computes the key id as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw key)[:4]', () => {
    const { name, publicKey } = newSigner('example.com/log');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32); // SPKI ends with the raw key
    const expected = createHash('sha256').update('example.com/log').update(Buffer.of(0x0a, 0x01)).update(raw).digest().subarray(0, 4);
    expect(ed25519KeyId(name, publicKey)).toEqual(expected);
    expect(parseVerifierKey(encodeVerifierKey(name, publicKey)).keyId).toEqual(expected);
  });

  it('rejects every truncation and every single-byte change of a key (as TestNewVerifier)', () => {
    const accepted: string[] = [];
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if ((i !== 0 || j !== PETER_VKEY.length) && codeOf(() => parseVerifierKey(PETER_VKEY.slice(i, j))) !== 'malformed_key') {
          accepted.push(PETER_VKEY.slice(i, j));
        }
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      const mangled = PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1);
      if (codeOf(() => parseVerifierKey(mangled)) !== 'malformed_key') accepted.push(mangled);
    }
    expect(accepted).toEqual([]);
  });

  it.each([
    ['PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', 'not base64'], // non-canonical padding bits
    ['PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'not Ed25519'],
    ['PeterNeumann+8a03836b+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAAAA', 'not 32 bytes'], // id adjusted to the longer key
    ['PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'does not match'],
    ['Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'invalid name'],
    ['PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', '8 hex digits'],
  ])('rejects %s with a reason', (key, reason) => {
    expect(codeOf(() => parseVerifierKey(key))).toBe('malformed_key');
    expect(messageOf(() => parseVerifierKey(key))).toContain(reason);
  });

  it('refuses names with spaces, plus signs or newlines, and keys that are not Ed25519 public keys', () => {
    const { publicKey, privateKey } = newSigner('x');
    for (const name of ['', 'a b', 'a+b', 'a\nb', 'a\u00a0b']) expect(codeOf(() => encodeVerifierKey(name, publicKey))).toBe('malformed_key');
    expect(codeOf(() => encodeVerifierKey('x', privateKey))).toBe('malformed_key');
    expect(codeOf(() => encodeVerifierKey('x', generateKeyPairSync('x25519').publicKey))).toBe('malformed_key');
  });
});

describe('signNote / openNote', () => {
  it('reproduces the sumdb/note golden signature and opens it', () => {
    const signed = signNote(TEXT, [{ name: 'PeterNeumann', privateKey: privateKeyOf(PETER_SKEY) }]);
    expect(signed).toBe(`${TEXT}\n${PETER_SIG}`);
    const opened = openNote(signed, [peter]);
    expect(opened).toEqual({ text: TEXT, signatures: [{ name: 'PeterNeumann', keyId: 'c74f20a3', status: 'verified' }] });
    expect(requireVerified(opened, 'PeterNeumann')).toBe(TEXT);
  });

  it('reports known, unknown and repeated signatures as TestOpen expects', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(note, [peter]).signatures.map((s) => s.status)).toEqual(['verified', 'unknown_key']);
    expect(openNote(note, [peter, enoch]).signatures.map((s) => s.status)).toEqual(['verified', 'verified']);
    const none = openNote(note, []);
    expect(none.signatures).toEqual([
      { name: 'PeterNeumann', keyId: 'c74f20a3', status: 'unknown_key' },
      { name: 'EnochRoot', keyId: 'af0cfe78', status: 'unknown_key' },
    ]);
    expect(codeOf(() => requireVerified(none))).toBe('unknown_key');

    const enochABCD = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const repeated = openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochABCD}`, [peter]);
    expect(repeated.signatures.map((s) => `${s.name}:${s.status}`)).toEqual(['PeterNeumann:verified', 'EnochRoot:unknown_key', 'EnochRoot:unknown_key']);
  });

  it('flags a corrupted signature from a known key, and requireVerified rejects the note', () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [peter]);
    expect(opened.signatures[0]?.status).toBe('bad_signature');
    expect(codeOf(() => requireVerified(opened))).toBe('bad_signature');
    // The spec says a bad signature from a known key should sink the note even when another one verifies.
    const mixed = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`, [peter, enoch]);
    expect(mixed.signatures.map((s) => s.status)).toEqual(['verified', 'bad_signature']);
    expect(codeOf(() => requireVerified(mixed, 'PeterNeumann'))).toBe('bad_signature');
  });

  it.each([
    ['text only', TEXT],
    ['no signature lines', `${TEXT}\n`],
    ['no final newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['a control character', `\u0001${TEXT}\n${PETER_SIG}`],
    ['a name with a space', `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`],
    ['a line that is not a signature', `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ['a signature without base64', `${TEXT}\n— PeterNeumann\n`],
    ['a signature too short for a key id', `${TEXT}\n— PeterNeumann AAAA\n`],
    ['unpadded base64', `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n`],
    ['a lone surrogate', `\ud800${TEXT}\n${PETER_SIG}`],
    ['101 signatures', `${TEXT}\n${PETER_SIG.repeat(MAX_SIGNATURES + 1)}`],
  ])('rejects a note with %s as malformed', (_, note) => {
    expect(codeOf(() => openNote(note, [peter]))).toBe('malformed_note');
  });

  it('accepts bytes, and rejects bytes that are not UTF-8', () => {
    expect(openNote(Buffer.from(`${TEXT}\n${PETER_SIG}`), [peter]).signatures[0]?.status).toBe('verified');
    const bad = Buffer.concat([Buffer.of(0xff), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    expect(messageOf(() => openNote(bad, [peter]))).toBe('note is not valid UTF-8');
  });

  it('accepts 100 signatures', () => {
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(MAX_SIGNATURES)}`, [peter]).signatures).toHaveLength(1);
  });

  it('throws ambiguous_key only when a signature names a duplicated verifier', () => {
    expect(codeOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]))).toBe('ambiguous_key');
    expect(openNote(`${TEXT}\n${PETER_SIG}`, [enoch, peter, enoch]).signatures[0]?.status).toBe('verified');
  });

  it('refuses a verifier whose key id does not belong to its key', () => {
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}`, [{ ...peter, keyId: enoch.keyId }]))).toBe('malformed_key');
  });

  it('round-trips with fresh keys and several signers, each verified independently', () => {
    const log = newSigner('example.com/log');
    const witness = newSigner('witness.example/w1');
    const signed = signNote('hello\n\nworld\n', [log, witness]); // the text may itself hold blank lines
    const opened = openNote(signed, [log.verifier, witness.verifier]);
    expect(opened.text).toBe('hello\n\nworld\n');
    expect(opened.signatures.map((s) => s.status)).toEqual(['verified', 'verified']);
    expect(verifiedBy(opened, 'example.com/log')).toBe(true);
    expect(verifiedBy(openNote(signed, [witness.verifier]), 'example.com/log')).toBe(false);
    expect(openNote(signed, [witness.verifier]).signatures[0]).toEqual({
      name: 'example.com/log',
      keyId: log.verifier.keyId.toString('hex'),
      status: 'unknown_key',
    });
  });

  it('tells a wrong key (bad_signature) from an unknown name or key id (unknown_key)', () => {
    const log = newSigner('example.com/log');
    const impostor = newSigner('example.com/log');
    const signed = signNote('body\n', [log]);
    // An impostor signs, then claims the trusted key's name and key id: a known key whose signature fails.
    const forged = signNote('body\n', [impostor]);
    const raw = Buffer.from((forged.split(' ').pop() as string).trim(), 'base64');
    log.verifier.keyId.copy(raw);
    const claimed = openNote(`body\n\n— example.com/log ${raw.toString('base64')}\n`, [log.verifier]);
    expect(claimed.signatures).toEqual([{ name: 'example.com/log', keyId: log.verifier.keyId.toString('hex'), status: 'bad_signature' }]);
    expect(codeOf(() => requireVerified(claimed))).toBe('bad_signature');
    // Same name, another key, so another key id: ignored as unknown, never checked against the wrong key.
    expect(openNote(forged, [log.verifier]).signatures[0]?.status).toBe('unknown_key');
    expect(openNote(signed, [impostor.verifier]).signatures[0]?.status).toBe('unknown_key');
    // Another name with the same key id bytes would be unknown too: the key is the (name, id) pair.
    const renamed = signed.replace('— example.com/log ', '— example.com/other ');
    expect(openNote(renamed, [log.verifier]).signatures[0]?.status).toBe('unknown_key');
    expect(messageOf(() => requireVerified(openNote(renamed, [log.verifier])))).toBe('note has no signature from a known key');
    expect(messageOf(() => requireVerified(openNote(signed, [log.verifier]), 'example.com/other'))).toBe('note is not signed by example.com/other');
    // A verifier that pairs one key's id with another key is refused outright.
    const mismatched = { name: 'example.com/log', keyId: log.verifier.keyId, publicKey: impostor.publicKey };
    expect(codeOf(() => openNote(signed, [mismatched]))).toBe('malformed_key');
  });

  it('reports bad_signature when the body was altered after signing', () => {
    const log = newSigner('example.com/log');
    const opened = openNote(signNote('body\n', [log]).replace('body', 'bodY'), [log.verifier]);
    expect(opened.signatures[0]?.status).toBe('bad_signature');
    expect(messageOf(() => requireVerified(opened))).toMatch(/^signature by example\.com\/log\+[0-9a-f]{8} does not verify$/);
  });

  it('fails verification after any single body byte changes', () => {
    const log = newSigner('example.com/log');
    const body = formatCheckpoint({ origin: 'example.com/log', size: 42, rootHash: leafHash(Buffer.from('x')) });
    const signed = signNote(body, [log]);
    for (let i = 0; i < body.length - 1; i++) {
      const altered = body.slice(0, i) + (body[i] === 'A' ? 'B' : 'A') + body.slice(i + 1);
      expect(openNote(altered + signed.slice(body.length), [log.verifier]).signatures[0]?.status, `byte ${i}`).toBe('bad_signature');
    }
  });

  it.each([
    ['no final newline', 'abc', 'malformed_note'],
    ['a control character', 'a\u0007b\n', 'malformed_note'],
    ['a tab', 'a\tb\n', 'malformed_note'],
    ['a carriage return', 'a\r\n', 'malformed_note'],
    ['a lone surrogate', '\udc00\n', 'malformed_note'],
  ])('signNote refuses text with %s', (_, text, code) => {
    expect(codeOf(() => signNote(text, [newSigner('a')]))).toBe(code);
  });

  it('signNote refuses bad signers', () => {
    const good = newSigner('a');
    expect(codeOf(() => signNote('x\n', []))).toBe('invalid_signer');
    expect(codeOf(() => signNote('x\n', [{ name: 'a b', privateKey: good.privateKey }]))).toBe('invalid_signer');
    expect(codeOf(() => signNote('x\n', [{ name: 'a+b', privateKey: good.privateKey }]))).toBe('invalid_signer');
    expect(codeOf(() => signNote('x\n', [{ name: 'a', privateKey: good.publicKey }]))).toBe('invalid_signer');
    expect(codeOf(() => signNote('x\n', [{ name: 'a', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }]))).toBe('invalid_signer');
    expect(codeOf(() => signNote('x\n', [good, good]))).toBe('invalid_signer');
  });
});

describe('checkpoints', () => {
  const root = leafHash(Buffer.from('hello world'));
  const GOLDEN = 'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n'; // sumdb/tlog note_test.go

  it('formats and parses the sumdb/tlog golden tree', () => {
    expect(formatCheckpoint({ origin: 'go.sum database tree', size: 123456789012, rootHash: root })).toBe(GOLDEN);
    expect(parseCheckpoint(GOLDEN)).toEqual({ origin: 'go.sum database tree', size: 123456789012, rootHash: root, extensions: [] });
  });

  it('round-trips extension lines and the empty tree', () => {
    const body = formatCheckpoint({ origin: 'example.com/log', size: 0, rootHash: Buffer.alloc(32), extensions: ['ext one', '— two'] });
    expect(body).toBe(`example.com/log\n0\n${'A'.repeat(43)}=\next one\n— two\n`);
    expect(parseCheckpoint(body)).toMatchObject({ size: 0, extensions: ['ext one', '— two'] });
  });

  it('accepts any printable origin, including spaces and astral characters', () => {
    const body = formatCheckpoint({ origin: 'log 🪵 ünïcode', size: 1, rootHash: root });
    expect(parseCheckpoint(body).origin).toBe('log 🪵 ünïcode');
  });

  it('signs, opens and parses end to end', () => {
    const log = newSigner('example.com/log');
    const signed = signNote(formatCheckpoint({ origin: 'example.com/log', size: 7, rootHash: root }), [log]);
    expect(parseCheckpoint(requireVerified(openNote(signed, [log.verifier]), 'example.com/log'))).toMatchObject({ size: 7, rootHash: root });
  });

  const line2 = (size: string) => `example.com/log\n${size}\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n`;
  const withRoot = (b64: string) => `example.com/log\n1\n${b64}\n`;
  const cases: [string, string][] = [
    ['no final newline', GOLDEN.slice(0, -1)],
    ['only two lines', 'example.com/log\n1\n'],
    ['an empty origin', `\n${GOLDEN.split('\n').slice(1).join('\n')}`],
    ['a control character in the origin', `exa\u0001mple\n1\n${GOLDEN.split('\n')[2]}\n`],
    ['DEL in the origin', `exa\u007fmple\n1\n${GOLDEN.split('\n')[2]}\n`],
    ['a C1 control in the origin', `exa\u0085mple\n1\n${GOLDEN.split('\n')[2]}\n`],
    ['a lone surrogate in the origin', `exa\ud800mple\n1\n${GOLDEN.split('\n')[2]}\n`],
    ['a size with a leading zero', line2('0123')],
    ['a size of 00', line2('00')],
    ['a hex size', line2('0xabcdef')],
    ['a signed size', line2('+5')],
    ['a negative size', line2('-1')],
    ['an exponent size', line2('1e3')],
    ['an empty size', line2('')],
    ['a size past 2^53', line2('9007199254740993')],
    ['a root of 31 bytes', withRoot(Buffer.alloc(31).toString('base64'))],
    ['a root of 33 bytes', withRoot(Buffer.alloc(33).toString('base64'))],
    ['a root too long (sumdb/tlog)', withRoot('TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=')],
    ['a URL-safe base64 root', withRoot(Buffer.alloc(32, 0xfb).toString('base64url'))],
    ['an unpadded root', withRoot('TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0')],
    ['an empty extension line', `${GOLDEN}\n`],
    ['a control character in an extension line', `${GOLDEN}a\tb\n`],
  ];
  it.each(cases)('rejects a checkpoint with %s', (_, body) => {
    expect(codeOf(() => parseCheckpoint(body))).toBe('malformed_checkpoint');
  });

  it('gives distinct reasons for distinct faults', () => {
    const reasons = ['no final newline', 'only two lines', 'an empty origin', 'a control character in the origin', 'a size with a leading zero', 'a hex size', 'a size past 2^53', 'a root of 31 bytes', 'a URL-safe base64 root'];
    const messages = reasons.map((r) => messageOf(() => parseCheckpoint(cases.find(([d]) => d === r)?.[1] ?? '')));
    expect(new Set(messages).size).toBe(reasons.length);
  });

  it('refuses to format what it would refuse to parse', () => {
    const ok = { origin: 'example.com/log', size: 1, rootHash: root };
    for (const bad of [{ origin: '' }, { origin: 'a\nb' }, { size: -1 }, { size: 1.5 }, { size: 2 ** 53 }, { rootHash: Buffer.alloc(31) }, { extensions: [''] }, { extensions: ['a\nb'] }]) {
      expect(codeOf(() => formatCheckpoint({ ...ok, ...bad })), JSON.stringify(bad)).toBe('malformed_checkpoint');
    }
  });
});
