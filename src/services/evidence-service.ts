import type { Config } from '../config.js';
import { bundleLines } from '../evidence/bundle.js';
import type { SigningKey } from '../evidence/signing-key.js';
import { readFileWitness } from '../evidence/witness.js';
import type { Anchor } from '../evidence/verify-ledger.js';
import { verifyStore } from '../evidence/verify-store.js';
import type { Db } from '../store/database.js';
import type { EvidenceRepository } from '../store/evidence-repository.js';

export interface EvidenceServiceDeps {
  readonly db: Db;
  readonly repo: EvidenceRepository;
  readonly config: Pick<Config, 'evidenceOrigin' | 'evidenceWitnesses'>;
  /** The key file in the data dir (null when it cannot be read, e.g. an auditor verifying a copy). */
  readonly key: SigningKey | null;
  readonly now: () => Date;
}

export type EvidenceService = ReturnType<typeof createEvidenceService>;

/** Reads of the evidence ledger: verification, the export bundle, keys and checkpoints. */
export function createEvidenceService(deps: EvidenceServiceDeps) {
  /** Checkpoints held by file witnesses (HTTP witnesses are checked by whoever runs them). */
  const witnessAnchors = (extra: readonly string[] = []): Anchor[] =>
    [...deps.config.evidenceWitnesses.filter((w) => w.startsWith('/')), ...extra].flatMap(readFileWitness);

  return {
    verify(options: { witnessFiles?: readonly string[] } = {}) {
      return verifyStore(deps.db, deps.repo, { key: deps.key, anchors: witnessAnchors(options.witnessFiles), expectedOrigin: deps.config.evidenceOrigin });
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
  };
}
