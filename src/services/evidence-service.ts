import type { Config } from '../config.js';
import { bundleLines } from '../evidence/bundle.js';
import type { SigningKey } from '../evidence/signing-key.js';
import { readFileWitness } from '../evidence/witness.js';
import type { Anchor, VerifyResult } from '../evidence/verify-ledger.js';
import { verifyStore, type VerifyStoreOptions } from '../evidence/verify-store.js';
import type { VerifyWorkerInput } from '../evidence/verify-worker.js';
import { runInWorker } from '../lib/worker-thread.js';
import type { Db } from '../store/database.js';
import type { EvidenceRepository } from '../store/evidence-repository.js';

export interface EvidenceServiceDeps {
  readonly db: Db;
  readonly repo: EvidenceRepository;
  readonly config: Pick<Config, 'evidenceOrigin' | 'evidenceWitnesses'>;
  /** The key file in the data dir (null when it cannot be read, e.g. an auditor verifying a copy). */
  readonly key: SigningKey | null;
  readonly now: () => Date;
  /** Verify in a worker thread with its own read-only connection (serve), rather than in this thread. */
  readonly verifyInWorker?: boolean;
}

export type EvidenceService = ReturnType<typeof createEvidenceService>;

/** Reads of the evidence ledger: verification, the export bundle, keys and checkpoints. */
export function createEvidenceService(deps: EvidenceServiceDeps) {
  /** Checkpoints held by file witnesses (HTTP witnesses are checked by whoever runs them). */
  const witnessAnchors = (extra: readonly string[] = []): Anchor[] =>
    [...deps.config.evidenceWitnesses.filter((w) => w.startsWith('/')), ...extra].flatMap(readFileWitness);

  let running: Promise<VerifyResult> | null = null;
  const verifyOptions = (witnessFiles?: readonly string[]): VerifyStoreOptions => ({
    // Only the public half crosses to a worker.
    key: deps.key === null ? null : { verifierKey: deps.key.verifierKey },
    anchors: witnessAnchors(witnessFiles),
    expectedOrigin: deps.config.evidenceOrigin,
  });

  /** Verifies the whole store here and now (the CLI, and checks that need the answer before going on). */
  const verify = (options: { witnessFiles?: readonly string[] } = {}): VerifyResult => verifyStore(deps.db, deps.repo, verifyOptions(options.witnessFiles));

  return {
    verify,
    /**
     * The same verification without holding up this process's requests: in a worker thread where so configured
     * (serve: the API's verify and the daily job), else here.
     */
    async verifyInBackground(): Promise<VerifyResult> {
      if (deps.verifyInWorker !== true) return verify();
      // One at a time: callers meanwhile share the running one (its head says how far it read).
      running ??= runInWorker<VerifyResult>('evidence/verify-worker.js', { databaseFile: deps.db.name, options: verifyOptions() } satisfies VerifyWorkerInput).finally(() => {
        running = null;
      });
      return running;
    },
    exportLines: () =>
      bundleLines({
        origin: deps.config.evidenceOrigin,
        exportedAt: deps.now().toISOString(),
        keys: deps.repo.keys(),
        checkpoints: deps.repo.checkpoints(),
        entries: deps.repo.entries(),
      }),
    keys: () => deps.repo.keys(),
    checkpoints: (afterId: number, limit: number) => {
      const items = [];
      for (const checkpoint of deps.repo.checkpoints(afterId)) {
        items.push(checkpoint);
        if (items.length === limit) break;
      }
      return items;
    },
    /** Newest first, before checkpoint `beforeId` (null: from the newest). */
    checkpointsNewestFirst: (beforeId: number | null, limit: number) => deps.repo.checkpointsBefore(beforeId ?? Number.MAX_SAFE_INTEGER, limit),
  };
}
