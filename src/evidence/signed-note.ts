/**
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519, and tlog-checkpoint bodies (c2sp.org/tlog-checkpoint).
 * Wire-compatible with golang.org/x/mod/sumdb/note. Pure: keys come in as Node KeyObjects, nothing is read or stored.
 */
import { createPublicKey, hash, sign, verify, type KeyObject } from 'node:crypto';

export type NoteErrorCode =
  | 'malformed_note' // the note text or its signature block breaks the format
  | 'malformed_checkpoint' // a checkpoint body breaks tlog-checkpoint
  | 'malformed_key' // a verifier key (encoded or given) is unusable
  | 'invalid_signer' // signNote was given a bad key name, key type or duplicate
  | 'ambiguous_key' // two verifiers share a name and key id, so a signature cannot be attributed
  | 'bad_signature' // a signature from a known key does not verify (requireVerified)
  | 'unknown_key'; // no signature comes from a known key (requireVerified)

/** Every failure of this module, with a stable code for programs and a specific message for people. */
export class NoteError extends Error {
  readonly code: NoteErrorCode;
  constructor(code: NoteErrorCode, message: string) {
    super(message);
    this.name = 'NoteError';
    this.code = code;
  }
}

const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 '; // em dash, space
/** Go's sumdb/note refuses notes with more signature lines than this; so do we. */
export const MAX_SIGNATURES = 100;

const C0_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f]/;
const CONTROL_OR_LONE_SURROGATE = /[\p{Cc}\p{Cs}]/u; // \p{Cs} matches only unpaired halves in u-mode
const LONE_SURROGATE = /\p{Cs}/u;
// Go's unicode.IsSpace set (JS \s plus NEL), and the '+' that separates fields of an encoded key.
const BAD_NAME_CHAR = /[\s\u0085+]/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isValidKeyName = (name: string): boolean => name !== '' && !BAD_NAME_CHAR.test(name) && !LONE_SURROGATE.test(name);

/** Standard, padded, canonical base64 only: Buffer.from(…, 'base64') alone would accept almost anything. */
function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
    throw new NoteError('malformed_key', 'expected an Ed25519 public key');
  }
  return Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
}

/** Key id of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4]. */
export function ed25519KeyId(name: string, publicKey: KeyObject): Buffer {
  const material = Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.of(ALG_ED25519), rawPublicKey(publicKey)]);
  return hash('sha256', material, 'buffer').subarray(0, 4);
}

/** A key trusted to sign notes, as encodeVerifierKey/parseVerifierKey describe it. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: KeyObject;
}

/** A NoteVerifier for a name and Ed25519 public key, with its key id computed. */
export function noteVerifier(name: string, publicKey: KeyObject): NoteVerifier & { keyId: Buffer } {
  if (!isValidKeyName(name)) throw new NoteError('malformed_key', `invalid key name ${JSON.stringify(name)}`);
  return { name, keyId: ed25519KeyId(name, publicKey), publicKey };
}

/** `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>`, as sumdb/note's NewEd25519VerifierKey. */
export function encodeVerifierKey(name: string, publicKey: KeyObject): string {
  const { keyId } = noteVerifier(name, publicKey);
  const key = Buffer.concat([Buffer.of(ALG_ED25519), rawPublicKey(publicKey)]).toString('base64');
  return `${name}+${Buffer.from(keyId).toString('hex')}+${key}`;
}

/** Parse an encoded verifier key; NoteError 'malformed_key' says which part is wrong. */
export function parseVerifierKey(text: string): NoteVerifier & { keyId: Buffer } {
  const [name = '', id = ''] = text.split('+', 2);
  const key64 = text.slice(name.length + id.length + 2);
  if (!isValidKeyName(name)) throw new NoteError('malformed_key', 'verifier key has an invalid name');
  if (!/^[0-9a-f]{8}$/i.test(id)) throw new NoteError('malformed_key', 'verifier key id is not 8 hex digits');
  const key = decodeBase64(key64);
  if (key === null || key.length === 0) throw new NoteError('malformed_key', 'verifier key is not base64');
  const keyId = hash('sha256', Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), key]), 'buffer').subarray(0, 4);
  if (keyId.toString('hex') !== id.toLowerCase()) throw new NoteError('malformed_key', 'verifier key id does not match the key');
  if (key[0] !== ALG_ED25519) throw new NoteError('malformed_key', `verifier key algorithm ${key[0]} is not Ed25519 (1)`);
  if (key.length !== 33) throw new NoteError('malformed_key', 'Ed25519 verifier key is not 32 bytes');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.subarray(1).toString('base64url') }, format: 'jwk' });
  } catch {
    throw new NoteError('malformed_key', 'verifier key is not a valid Ed25519 public key');
  }
  return { name, keyId, publicKey };
}

function checkNoteText(text: string): void {
  if (LONE_SURROGATE.test(text)) throw new NoteError('malformed_note', 'note text is not valid Unicode (lone surrogate)');
  if (C0_EXCEPT_NEWLINE.test(text)) throw new NoteError('malformed_note', 'note text contains a control character');
}

/** Sign `text` (ending in "\n") with each Ed25519 signer; returns text, blank line, one signature line per signer. */
export function signNote(text: string, signers: readonly { name: string; privateKey: KeyObject }[]): string {
  if (!text.endsWith('\n')) throw new NoteError('malformed_note', 'note text must end with a newline');
  checkNoteText(text);
  if (signers.length === 0 || signers.length > MAX_SIGNATURES) {
    throw new NoteError('invalid_signer', `a note needs 1 to ${MAX_SIGNATURES} signers, got ${signers.length}`);
  }
  const message = Buffer.from(text, 'utf8');
  const seen = new Set<string>();
  let block = '';
  for (const { name, privateKey } of signers) {
    if (!isValidKeyName(name)) throw new NoteError('invalid_signer', `invalid signer name ${JSON.stringify(name)}`);
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new NoteError('invalid_signer', `signer ${name} does not hold an Ed25519 private key`);
    }
    const keyId = ed25519KeyId(name, createPublicKey(privateKey));
    const id = `${name}+${keyId.toString('hex')}`;
    if (seen.has(id)) throw new NoteError('invalid_signer', `signer ${id} is listed twice`);
    seen.add(id);
    const signature = sign(null, message, privateKey); // Ed25519 takes no digest name
    block += `${SIG_PREFIX}${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
  }
  return `${text}\n${block}`;
}

export type SignatureStatus = 'verified' | 'unknown_key' | 'bad_signature';
export interface NoteSignature {
  readonly name: string;
  /** Key id as 8 lowercase hex digits. */
  readonly keyId: string;
  readonly status: SignatureStatus;
}
export interface OpenedNote {
  /** The signed text, ending in "\n". Trust it only if requireVerified (or your own check) says so. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

function decodeNote(note: string | Uint8Array): string {
  if (typeof note === 'string') return note;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
  } catch {
    throw new NoteError('malformed_note', 'note is not valid UTF-8');
  }
}

/**
 * Parse a signed note and check every signature from a known key (matched by name AND key id).
 * Throws NoteError 'malformed_note' for any format error, 'malformed_key'/'ambiguous_key' for a bad verifier list.
 * Unknown keys and bad signatures are reported per line, not thrown: see requireVerified.
 * Repeats are dropped as sumdb/note does: later lines of an already-seen known key, identical unknown lines.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  for (const v of verifiers) {
    if (Buffer.from(v.keyId).toString('hex') !== ed25519KeyId(v.name, v.publicKey).toString('hex')) {
      throw new NoteError('malformed_key', `verifier ${v.name} has a key id that does not match its key`);
    }
  }
  const message = decodeNote(note);
  checkNoteText(message);
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed_note', 'note has no blank line before its signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '') throw new NoteError('malformed_note', 'note has no signature lines');
  if (!block.endsWith('\n')) throw new NoteError('malformed_note', 'signature block does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed_note', `note has more than ${MAX_SIGNATURES} signatures`);

  const body = Buffer.from(text, 'utf8');
  const signatures: NoteSignature[] = [];
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed_note', `signature line ${i + 1} does not start with "— "`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const raw = space < 0 ? null : decodeBase64(rest.slice(space + 1));
    if (!isValidKeyName(name)) throw new NoteError('malformed_note', `signature line ${i + 1} has an invalid key name`);
    if (raw === null || raw.length < 5) throw new NoteError('malformed_note', `signature line ${i + 1} has a malformed signature`);
    const keyId = raw.subarray(0, 4);
    const matches = verifiers.filter((v) => v.name === name && keyId.equals(v.keyId));
    const id = `${name}+${keyId.toString('hex')}`;
    if (matches.length > 1) throw new NoteError('ambiguous_key', `more than one verifier for key ${id}`);
    const dedupeKey = matches.length === 0 ? `line:${line}` : `key:${id}`;
    if (seen.has(dedupeKey)) return;
    seen.add(dedupeKey);
    const verifier = matches[0];
    const status: SignatureStatus =
      verifier === undefined ? 'unknown_key' : verifies(body, raw.subarray(4), verifier.publicKey) ? 'verified' : 'bad_signature';
    signatures.push({ name, keyId: keyId.toString('hex'), status });
  });
  return { text, signatures };
}

function verifies(body: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, body, publicKey, signature);
  } catch {
    return false; // e.g. a signature of the wrong length
  }
}

/** Whether a signature by the known key named `name` verified. */
export function verifiedBy(result: OpenedNote, name: string): boolean {
  return result.signatures.some((s) => s.name === name && s.status === 'verified');
}

/**
 * The note's text if it is trustworthy, per the spec: no known key's signature may fail ('bad_signature'),
 * and at least one known key (the one named `name`, if given) must have signed it ('unknown_key').
 */
export function requireVerified(result: OpenedNote, name?: string): string {
  const bad = result.signatures.find((s) => s.status === 'bad_signature');
  if (bad !== undefined) throw new NoteError('bad_signature', `signature by ${bad.name}+${bad.keyId} does not verify`);
  const ok = name === undefined ? result.signatures.some((s) => s.status === 'verified') : verifiedBy(result, name);
  if (!ok) throw new NoteError('unknown_key', name === undefined ? 'note has no signature from a known key' : `note is not signed by ${name}`);
  return result.text;
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

function checkLine(line: string, what: string): void {
  if (line === '') throw new NoteError('malformed_checkpoint', `checkpoint ${what} is empty`);
  if (CONTROL_OR_LONE_SURROGATE.test(line)) throw new NoteError('malformed_checkpoint', `checkpoint ${what} has a non-printable character`);
}

/** The note text of a checkpoint: origin, decimal size, base64 root hash, then extension lines, each ending "\n". */
export function formatCheckpoint({ origin, size, rootHash, extensions = [] }: Checkpoint): string {
  checkLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError('malformed_checkpoint', `tree size ${size} is not a non-negative integer`);
  if (rootHash.length !== 32) throw new NoteError('malformed_checkpoint', `root hash is ${rootHash.length} bytes, want 32`);
  extensions.forEach((line, i) => checkLine(line, `extension line ${i + 1}`));
  return [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions].map((l) => `${l}\n`).join('');
}

/** Parse a checkpoint's note text (already verified by openNote/requireVerified); NoteError 'malformed_checkpoint'. */
export function parseCheckpoint(body: string): { origin: string; size: number; rootHash: Buffer; extensions: string[] } {
  if (!body.endsWith('\n')) throw new NoteError('malformed_checkpoint', 'checkpoint does not end with a newline');
  const [origin = '', sizeText = '', rootText, ...extensions] = body.slice(0, -1).split('\n');
  if (rootText === undefined) throw new NoteError('malformed_checkpoint', 'checkpoint has fewer than 3 lines');
  checkLine(origin, 'origin');
  if (!/^[0-9]+$/.test(sizeText)) throw new NoteError('malformed_checkpoint', 'tree size is not a decimal number');
  if (sizeText.length > 1 && sizeText.startsWith('0')) throw new NoteError('malformed_checkpoint', 'tree size has a leading zero');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new NoteError('malformed_checkpoint', 'tree size is too large');
  const rootHash = decodeBase64(rootText);
  if (rootHash === null) throw new NoteError('malformed_checkpoint', 'root hash is not standard base64');
  if (rootHash.length !== 32) throw new NoteError('malformed_checkpoint', `root hash is ${rootHash.length} bytes, want 32`);
  extensions.forEach((line, i) => checkLine(line, `extension line ${i + 1}`));
  return { origin, size, rootHash, extensions };
}
