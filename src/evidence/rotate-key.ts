import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Db } from '../store/database.js';
import { createEvidenceRepository } from '../store/evidence-repository.js';
import { createLedger, rotateSigningKey } from './ledger.js';
import { readSigningKey, signingKeyPath, writeNewKey } from './signing-key.js';

/**
 * Rotation: a last checkpoint with the old key, the new key written beside it, the old key's window closed and the
 * new one registered in one transaction, the new file moved into place, and a first checkpoint with the new key.
 * The old private key is destroyed; its public key stays, so checkpoints it signed keep verifying.
 */
export async function rotateSigningKeyFile(db: Db, config: Pick<Config, 'dataDir' | 'evidenceOrigin'>) {
  const repo = createEvidenceRepository(db);
  const file = signingKeyPath(config.dataDir);
  const now = () => new Date();
  const previous = repo.activeKey();
  if (existsSync(file) && previous !== null && previous.name === config.evidenceOrigin) {
    createLedger({ db, repo, key: readSigningKey(file, config.evidenceOrigin), witnesses: [], now }).checkpoint();
  }
  const pending = `${file}.next`;
  if (!existsSync(pending)) writeNewKey(pending);
  const next = readSigningKey(pending, config.evidenceOrigin);
  rotateSigningKey({ db, repo, now }, next);
  renameSync(pending, file);
  createLedger({ db, repo, key: next, witnesses: [], now }).checkpoint({ force: true });
  return { previous: previous?.keyId ?? null, next: next.keyId, verifierKey: next.verifierKey };
}

/**
 * A rotation interrupted between registering the new key and moving its file into place leaves
 * `evidence-signing-key.pem.next`: if the ledger already registered it as active, finish the move; if not, the
 * rotation never committed and the pending file is discarded. Runs before the ledger checks its key.
 */
export function completeInterruptedRotation(dataDir: string, origin: string, repo: Pick<ReturnType<typeof createEvidenceRepository>, 'activeKey'>): 'completed' | 'discarded' | null {
  const file = signingKeyPath(dataDir);
  const pending = `${file}.next`;
  if (!existsSync(pending)) return null;
  const next = readSigningKey(pending, origin);
  if (repo.activeKey()?.publicKey === next.verifierKey) {
    renameSync(pending, file);
    return 'completed';
  }
  rmSync(pending);
  return 'discarded';
}
