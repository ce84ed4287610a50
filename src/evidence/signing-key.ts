import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeVerifierKey, noteVerifier } from './signed-note.js';

export const SIGNING_KEY_FILE = 'evidence-signing-key.pem';

export interface SigningKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** 8 hex digits: the signed-note key id. */
  readonly keyId: string;
  /** The verifier key text (name+id+base64), as GET /api/v1/evidence/public-key serves it. */
  readonly verifierKey: string;
}

export class SigningKeyFileError extends Error {
  override name = 'SigningKeyFileError';
}

export function signingKeyPath(dataDir: string): string {
  return join(dataDir, SIGNING_KEY_FILE);
}

/** The key in the data dir, created (mode 0600, PKCS#8 PEM) the first time. `name` is the checkpoint origin. */
export function loadOrCreateSigningKey(dataDir: string, name: string): SigningKey {
  const file = signingKeyPath(dataDir);
  if (!existsSync(file)) writeNewKey(file);
  return readSigningKey(file, name);
}

export function readSigningKey(file: string, name: string): SigningKey {
  const mode = statSync(file).mode & 0o777;
  // Like ssh: a signing key others can read is not a secret any more.
  if ((mode & 0o077) !== 0) {
    throw new SigningKeyFileError(`signing key ${file} is accessible to other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new SigningKeyFileError(`signing key ${file} is unreadable: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyFileError(`signing key ${file} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const verifier = noteVerifier(name, publicKey);
  return { name, privateKey, publicKey, keyId: Buffer.from(verifier.keyId).toString('hex'), verifierKey: encodeVerifierKey(name, publicKey) };
}

/** Writes a fresh key to `file` atomically (temp file, then rename), never readable by others. */
export function writeNewKey(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}
