import type { Logger } from 'pino';
import { writeTransaction, type Db } from '../store/database.js';
import type { EvidenceRepository, StoredCheckpoint } from '../store/evidence-repository.js';
import { GENESIS_PREV_HASH, merkleLeafOf, sealEntry, type LedgerEntry } from './ledger-entry.js';
import { consistencyProof, inclusionProof, type LeafSource } from './merkle.js';
import { MerkleFrontier } from './merkle-frontier.js';
import { formatCheckpoint, signNote } from './signed-note.js';
import type { SigningKey } from './signing-key.js';
import type { Witness } from './witness.js';

/** What one ledger entry records. `kind` names the event (`snapshot_committed`, `exception_approved`, …). */
export interface EvidenceEvent {
  readonly kind: string;
  readonly subject: string | null;
  readonly actor: string;
  readonly body: unknown;
}

export interface LedgerDeps {
  readonly db: Db;
  readonly repo: EvidenceRepository;
  readonly key: SigningKey;
  readonly witnesses: readonly Witness[];
  readonly now: () => Date;
  readonly logger?: Pick<Logger, 'warn'>;
}

export class SigningKeyMismatchError extends Error {
  override name = 'SigningKeyMismatchError';
}

export type Ledger = ReturnType<typeof createLedger>;

/** What services that record evidence need of the ledger. */
export type EvidenceSink = Pick<Ledger, 'append' | 'checkpoint'>;

/**
 * The evidence ledger: append-only, hash-chained entries that are also RFC 9162 Merkle leaves, with signed
 * checkpoints that every configured witness receives. Several processes may append (serve, CLI writers): every
 * write reads the chain's head inside its own BEGIN IMMEDIATE transaction, so no process caches it.
 */
export function createLedger(deps: LedgerDeps) {
  const { db, repo, key } = deps;
  registerKey(deps);
  let delivering: Promise<void> = Promise.resolve();

  /** Appends one entry. Must run inside the caller's write transaction, so the event and its evidence commit together. */
  function append(event: EvidenceEvent): LedgerEntry {
    if (!db.inTransaction) throw new Error('ledger entries are appended inside the write transaction of their event');
    const last = repo.lastEntry();
    const entry = sealEntry({
      seq: (last?.seq ?? 0) + 1,
      at: deps.now().toISOString(),
      kind: event.kind,
      subject: event.subject,
      actor: event.actor,
      body: event.body,
      prevHash: last?.entryHash ?? GENESIS_PREV_HASH,
    });
    repo.insertEntry(entry);
    return entry;
  }

  /**
   * Signs a checkpoint of the whole ledger if it grew since the last one (or `force`, for the hourly liveness
   * checkpoint), then hands every undelivered checkpoint to the witnesses in the background (see flushWitnesses).
   */
  function checkpoint(options: { force?: boolean } = {}): StoredCheckpoint {
    const signed = writeTransaction(db, () => {
      const previous = repo.latestCheckpoint();
      const last = repo.lastEntry()?.seq ?? 0;
      if (previous !== null && previous.size === last && !options.force) return previous;
      const frontier = previous === null ? MerkleFrontier.empty() : MerkleFrontier.restore(previous.size, previous.frontier);
      for (const entry of repo.headers(frontier.size)) frontier.push(merkleLeafOf(entry));
      const rootHash = frontier.root();
      const signedAt = deps.now().toISOString();
      // The timestamp extension makes an idle hourly checkpoint a distinct, dated statement.
      const body = formatCheckpoint({ origin: key.name, size: frontier.size, rootHash, extensions: [`timestamp ${signedAt}`] });
      const note = signNote(body, [{ name: key.name, privateKey: key.privateKey }]);
      const consistency = previous === null || previous.size === 0 || previous.size === frontier.size ? [] : consistencyProof(leaves(frontier.size), previous.size, frontier.size);
      const stored = { size: frontier.size, rootHash: rootHash.toString('hex'), signedAt, keyId: key.keyId, note, frontier: frontier.toJSON(), consistency: consistency.map((h) => h.toString('hex')) };
      return { ...stored, id: repo.insertCheckpoint(stored) };
    });
    delivering = delivering.then(deliverPending);
    return signed;
  }

  /** Sends each witness every checkpoint it has not acknowledged, oldest first; a failure is recorded and retried next time. */
  async function deliverPending(): Promise<void> {
    for (const witness of deps.witnesses) {
      for (const pending of repo.checkpoints(repo.lastDeliveredCheckpoint(witness.name))) {
        try {
          await witness.deliver({ size: pending.size, rootHash: pending.rootHash, signedAt: pending.signedAt, note: pending.note });
          writeTransaction(db, () => repo.recordDelivery(pending.id, witness.name, deps.now().toISOString(), null));
        } catch (error) {
          const message = (error as Error).message;
          deps.logger?.warn({ witness: witness.name, checkpoint: pending.id, err: message }, 'witness delivery failed');
          writeTransaction(db, () => repo.recordDelivery(pending.id, witness.name, deps.now().toISOString(), message));
          break;
        }
      }
    }
  }

  const leaves = (size: number) => ledgerLeaves(repo, size);

  return {
    append,
    /** Appends one event in its own transaction and checkpoints it. */
    record(event: EvidenceEvent): LedgerEntry {
      const entry = writeTransaction(db, () => append(event));
      checkpoint();
      return entry;
    },
    checkpoint,
    /** Resolves once every checkpoint signed so far was offered to every witness. */
    flushWitnesses: (): Promise<void> => delivering,
    /** The newest checkpoint, signing one first if entries were appended since. */
    head: (): StoredCheckpoint => checkpoint(),
    /** RFC 9162 inclusion proofs of entries `sequences` in the tree of the first `treeSize` entries. */
    inclusionProofs: (sequences: readonly number[], treeSize: number) => inclusionProofsOf(repo, sequences, treeSize),
    key,
  };
}

/**
 * The key in the data dir must be the ledger's active key: the first start registers it; a different key file
 * afterwards is refused (a swapped key would let its holder sign a rewritten history) — rotation is explicit.
 */
function registerKey(deps: LedgerDeps): void {
  writeTransaction(deps.db, () => {
    const active = deps.repo.activeKey();
    if (active === null) {
      deps.repo.insertKey({ keyId: deps.key.keyId, name: deps.key.name, publicKey: deps.key.verifierKey, notBefore: deps.now().toISOString() });
    } else if (active.publicKey !== deps.key.verifierKey) {
      throw new SigningKeyMismatchError(
        active.name !== deps.key.name
          ? `the ledger's signing key is named ${active.name}, but IMAGEWARDEN_EVIDENCE_ORIGIN is ${deps.key.name}: run "imagewarden rotate-signing-key" to change the origin`
          : `the signing key file is not the ledger's active key ${active.keyId}: restore the key file, or run "imagewarden rotate-signing-key"`,
      );
    }
  });
}

/** Replaces the active signing key: closes its validity window and registers `next` from now. */
export function rotateSigningKey(deps: Pick<LedgerDeps, 'db' | 'repo' | 'now'>, next: SigningKey): void {
  writeTransaction(deps.db, () => {
    const at = deps.now().toISOString();
    const active = deps.repo.activeKey();
    if (active !== null) deps.repo.closeKey(active.keyId, at);
    deps.repo.insertKey({ keyId: next.keyId, name: next.name, publicKey: next.verifierKey, notBefore: at });
  });
}

/** The leaf hashes of the first `size` entries, packed (32 bytes each): proofs need them all. Reads only. */
export function ledgerLeaves(repo: Pick<EvidenceRepository, 'headers'>, size: number): LeafSource {
  const packed = Buffer.alloc(size * 32);
  let index = 0;
  for (const entry of repo.headers(0)) {
    if (index >= size) break;
    merkleLeafOf(entry).copy(packed, index * 32);
    index++;
  }
  return { size, leaf: (i: number) => packed.subarray(i * 32, i * 32 + 32) };
}

/** RFC 9162 inclusion proofs of entries `sequences` in the tree of the first `treeSize` entries. Reads only. */
export function inclusionProofsOf(repo: Pick<EvidenceRepository, 'headers'>, sequences: readonly number[], treeSize: number): Map<number, string[]> {
  const source = ledgerLeaves(repo, treeSize);
  return new Map(sequences.map((seq) => [seq, inclusionProof(source, seq - 1, treeSize).map((h) => h.toString('hex'))]));
}
