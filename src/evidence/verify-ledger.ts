import { canonicalJson, sha256Hex } from '../lib/canonical-json.js';
import { entryHashOf, GENESIS_PREV_HASH, merkleLeafOf, type LedgerEntry } from './ledger-entry.js';
import { MerkleFrontier } from './merkle-frontier.js';
import { NoteError, openNote, parseCheckpoint, parseVerifierKey, type NoteVerifier } from './signed-note.js';

export interface CheckpointToVerify {
  readonly size: number;
  readonly rootHash: string;
  readonly signedAt: string;
  readonly keyId: string;
  readonly note: string;
}

export interface KeyToVerify {
  readonly keyId: string;
  readonly name: string;
  readonly publicKey: string;
  readonly notBefore: string;
  readonly notAfter: string | null;
}

/** A checkpoint kept outside the database (a witness, or the ledger head printed in a report). */
export interface Anchor {
  readonly source: string;
  readonly size: number;
  readonly rootHash: string;
}

export interface VerifyInput {
  readonly checkpoints: readonly CheckpointToVerify[];
  readonly keys: readonly KeyToVerify[];
  readonly anchors?: readonly Anchor[];
  /** Checkpoints must name this origin (a bundle from another tenant or environment is refused). */
  readonly expectedOrigin?: string;
  /** Keys the verifier trusts on its own (pinned); when given, every ledger key must be one of them. */
  readonly pinnedKeys?: readonly string[];
}

export interface VerifyProblem {
  /** The first entry this problem makes unprovable; null when it concerns no entry (e.g. a key). */
  readonly sequence: number | null;
  readonly code: string;
  readonly message: string;
}

export interface VerifyResult {
  readonly intact: boolean;
  readonly entries: number;
  readonly checkpoints: number;
  readonly anchors: number;
  readonly firstBrokenSequence: number | null;
  readonly head: { size: number; entryHash: string | null; rootHash: string };
  readonly problems: VerifyProblem[];
}

const MAX_PROBLEMS = 100;

/** Verifies a ledger held in memory or read in one pass: see createLedgerVerifier. */
export function verifyLedger(input: VerifyInput & { readonly entries: Iterable<LedgerEntry> }): VerifyResult {
  const verifier = createLedgerVerifier(input);
  for (const entry of input.entries) verifier.push(entry);
  return verifier.finish();
}

/**
 * Recomputes the hash chain, the Merkle roots at every checkpoint and anchor, and every checkpoint signature.
 * Pure and streaming: entries are pushed in stored order (a million of them need no more memory than ten).
 * Reports every problem (up to 100) and the first broken sequence number — the lowest entry whose integrity can
 * no longer be proven.
 */
export function createLedgerVerifier(input: VerifyInput) {
  const problems: VerifyProblem[] = [];
  const report = (problem: VerifyProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const verifiers = keysToVerifiers(input, report);
  // Roots wanted: at each checkpoint's and anchor's size, read as the walk passes them.
  const wanted = new Map<number, string>();
  for (const size of [...input.checkpoints.map((c) => c.size), ...(input.anchors ?? []).map((a) => a.size)]) wanted.set(size, '');
  const frontier = MerkleFrontier.empty();
  if (wanted.has(0)) wanted.set(0, frontier.root().toString('hex'));
  let previousHash = GENESIS_PREV_HASH;
  let lastEntryHash: string | null = null;
  return {
    push(entry: LedgerEntry): void {
      checkEntry(entry, frontier.size + 1, previousHash, report);
      previousHash = entry.entryHash;
      lastEntryHash = entry.entryHash;
      frontier.push(merkleLeafOf(entry));
      if (wanted.has(frontier.size)) wanted.set(frontier.size, frontier.root().toString('hex'));
    },
    finish(): VerifyResult {
      const size = frontier.size;
      const checkpoints = [...input.checkpoints].sort((a, b) => a.size - b.size);
      // Entries whose own content fails their hash are named exactly; a failing checkpoint otherwise names the first
      // entry it no longer proves (hashes recomputed by a forger leave nothing finer to go on).
      const entryProblems = problems.map((p) => p.sequence).filter((s): s is number => s !== null);
      let provenUpTo = 0;
      for (const checkpoint of checkpoints) {
        const exact = entryProblems.filter((seq) => seq > provenUpTo && seq <= checkpoint.size);
        const firstUnproven = exact.length > 0 ? Math.min(...exact) : provenUpTo + 1;
        const ok = checkCheckpoint(checkpoint, { size, root: wanted.get(checkpoint.size) ?? '', verifiers, firstUnproven, provenUpTo, input }, report);
        if (ok) provenUpTo = Math.max(provenUpTo, checkpoint.size);
      }
      for (const anchor of input.anchors ?? []) checkAnchor(anchor, size, wanted.get(anchor.size) ?? '', report);
      const sequences = problems.map((p) => p.sequence).filter((s): s is number => s !== null);
      return {
        intact: problems.length === 0,
        entries: size,
        checkpoints: checkpoints.length,
        anchors: input.anchors?.length ?? 0,
        firstBrokenSequence: sequences.length === 0 ? null : Math.min(...sequences),
        head: { size, entryHash: lastEntryHash, rootHash: frontier.root().toString('hex') },
        problems,
      };
    },
    /** Lets callers add problems found outside the ledger itself (e.g. observation rows that disagree with it). */
    report,
  };
}

function checkEntry(entry: LedgerEntry, expected: number, previousHash: string, report: (p: VerifyProblem) => void): void {
  const at = (code: string, message: string) => report({ sequence: expected, code, message: `seq=${expected} INVALID: ${message}` });
  if (entry.seq !== expected) {
    at(entry.seq > expected ? 'sequence_gap' : 'sequence_out_of_order', `expected sequence ${expected}, found ${entry.seq}`);
  }
  let canonical: string | null = null;
  try {
    canonical = canonicalJson(JSON.parse(entry.body));
  } catch {
    at('body_unparseable', 'body is not JSON');
  }
  // Re-serialised bodies (other key order, whitespace, escapes) are not the bytes that were hashed.
  if (canonical !== null && canonical !== entry.body) at('body_not_canonical', 'body is not in canonical form');
  if (sha256Hex(entry.body) !== entry.bodySha256) at('body_hash_mismatch', 'body does not match its SHA-256');
  if (entry.prevHash !== previousHash) at('chain_broken', 'prevHash does not match the previous entry');
  if (entryHashOf(entry) !== entry.entryHash) at('entry_hash_mismatch', 'entry hash does not match its fields');
}

interface CheckpointContext {
  readonly size: number;
  readonly root: string;
  readonly verifiers: Map<string, { verifier: NoteVerifier; key: KeyToVerify }>;
  readonly provenUpTo: number;
  readonly firstUnproven: number;
  readonly input: VerifyInput;
}

function checkCheckpoint(checkpoint: CheckpointToVerify, ctx: CheckpointContext, report: (p: VerifyProblem) => void): boolean {
  // A bad checkpoint leaves the entries after the last good one unproven.
  const fail = (code: string, message: string) => {
    report({ sequence: ctx.firstUnproven, code, message: `checkpoint ${checkpoint.size} INVALID: ${message}` });
    return false;
  };
  if (checkpoint.size > ctx.size) {
    report({
      sequence: ctx.size + 1,
      code: 'ledger_truncated',
      message: `seq=${ctx.size + 1} MISSING: a checkpoint covers ${checkpoint.size} entries but the ledger has ${ctx.size}`,
    });
    return false;
  }
  const signer = ctx.verifiers.get(checkpoint.keyId);
  if (!signer) return fail('unknown_key', `signed by key ${checkpoint.keyId}, which is not a known ledger key`);
  let body: string;
  try {
    const opened = openNote(checkpoint.note, [signer.verifier]);
    if (!opened.signatures.some((s) => s.status === 'verified')) {
      const bad = opened.signatures.some((s) => s.status === 'bad_signature');
      return fail(bad ? 'bad_signature' : 'unknown_key', bad ? 'signature does not verify' : 'no signature from a known key');
    }
    body = opened.text;
  } catch (error) {
    return fail(error instanceof NoteError ? error.code : 'malformed_note', (error as Error).message);
  }
  const { key } = signer;
  if (checkpoint.signedAt < key.notBefore || (key.notAfter !== null && checkpoint.signedAt >= key.notAfter)) {
    return fail('key_outside_window', `key ${key.keyId} was not valid at ${checkpoint.signedAt}`);
  }
  let parsed: ReturnType<typeof parseCheckpoint>;
  try {
    parsed = parseCheckpoint(body);
  } catch (error) {
    return fail('malformed_checkpoint', (error as Error).message);
  }
  if (parsed.origin !== key.name) return fail('origin_mismatch', `origin ${parsed.origin} is not the key's name ${key.name}`);
  if (ctx.input.expectedOrigin !== undefined && parsed.origin !== ctx.input.expectedOrigin) {
    return fail('origin_mismatch', `origin ${parsed.origin} is not the expected ${ctx.input.expectedOrigin}`);
  }
  const signedRoot = parsed.rootHash.toString('hex');
  if (parsed.size !== checkpoint.size || signedRoot !== checkpoint.rootHash) return fail('checkpoint_fields_mismatch', 'stored size or root differ from the signed note');
  if (signedRoot !== ctx.root) return fail('root_mismatch', `entries ${ctx.provenUpTo + 1}..${checkpoint.size} do not match the signed root`);
  return true;
}

function checkAnchor(anchor: Anchor, size: number, root: string, report: (p: VerifyProblem) => void): void {
  if (anchor.size > size) {
    report({ sequence: size + 1, code: 'history_shorter_than_anchor', message: `history shorter than anchored size ${anchor.size} (${anchor.source})` });
  } else if (root !== anchor.rootHash) {
    report({ sequence: null, code: 'anchor_inconsistent', message: `consistency from anchored size ${anchor.size} failed (${anchor.source})` });
  }
}

function keysToVerifiers(input: VerifyInput, report: (p: VerifyProblem) => void) {
  const verifiers = new Map<string, { verifier: NoteVerifier; key: KeyToVerify }>();
  for (const key of input.keys) {
    try {
      const verifier = parseVerifierKey(key.publicKey);
      if (Buffer.from(verifier.keyId).toString('hex') !== key.keyId) throw new Error(`key id ${key.keyId} does not match its public key`);
      if (input.pinnedKeys !== undefined && !input.pinnedKeys.includes(key.publicKey)) {
        report({ sequence: null, code: 'key_not_pinned', message: `ledger key ${key.keyId} is not one of the pinned public keys` });
        continue;
      }
      verifiers.set(key.keyId, { verifier, key });
    } catch (error) {
      report({ sequence: null, code: 'malformed_key', message: `key ${key.keyId}: ${(error as Error).message}` });
    }
  }
  return verifiers;
}
