import { createHash } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.js';

/** prev_hash of the first entry. */
export const GENESIS_PREV_HASH = '0'.repeat(64);

/** One ledger entry as stored: `body` is canonical JSON, exactly the bytes that were hashed. */
export interface LedgerEntry {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly subject: string | null;
  readonly actor: string;
  readonly body: string;
  readonly bodySha256: string;
  readonly prevHash: string;
  readonly entryHash: string;
}

export type EntryFields = Omit<LedgerEntry, 'entryHash' | 'bodySha256' | 'body'> & { readonly bodySha256: string };

/** The bytes an entry's hash and Merkle leaf are computed over: its header, which names its body by digest. */
export function entryHeader(entry: EntryFields): string {
  return canonicalJson({
    seq: entry.seq,
    at: entry.at,
    kind: entry.kind,
    subject: entry.subject,
    actor: entry.actor,
    bodySha256: entry.bodySha256,
    prevHash: entry.prevHash,
  });
}

export function entryHashOf(entry: EntryFields): string {
  return sha256Hex(entryHeader(entry));
}

/** RFC 9162 leaf hash of the entry: SHA-256(0x00 || header). */
export function merkleLeafOf(entry: EntryFields): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(entryHeader(entry)).digest();
}

/** Builds the next entry of a chain whose last entry hash is `prevHash`. */
export function sealEntry(fields: { seq: number; at: string; kind: string; subject: string | null; actor: string; body: unknown; prevHash: string }): LedgerEntry {
  const body = canonicalJson(fields.body);
  const bodySha256 = sha256Hex(body);
  const header = { seq: fields.seq, at: fields.at, kind: fields.kind, subject: fields.subject, actor: fields.actor, bodySha256, prevHash: fields.prevHash };
  return { ...header, body, entryHash: entryHashOf(header) };
}
