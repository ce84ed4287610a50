import { existsSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { createEvidenceService } from '../services/evidence-service.js';
import { openDatabase } from '../store/database.js';
import { createEvidenceRepository } from '../store/evidence-repository.js';
import { schemaVersion } from '../store/migrate.js';
import { BundleFormatError, verifyBundleFile } from './bundle.js';
import { readSigningKey, signingKeyPath } from './signing-key.js';
import type { VerifyResult } from './verify-ledger.js';

export interface VerifyCommandOptions {
  readonly bundle?: string;
  readonly publicKey: readonly string[];
  readonly witness: readonly string[];
  readonly json?: boolean;
}

/** `imagewarden verify`: 0 intact, 1 tampered, 2 unreadable (no ledger, not a bundle, unreadable file). */
export async function runVerify(options: VerifyCommandOptions): Promise<number> {
  let result: VerifyResult;
  try {
    result = options.bundle === undefined ? verifyDataDir(options) : await verifyBundle(options.bundle, options);
  } catch (error) {
    if (error instanceof UnreadableError || error instanceof BundleFormatError || (error as NodeJS.ErrnoException).code !== undefined) {
      process.stderr.write(`imagewarden verify: cannot read the evidence: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
  for (const problem of result.problems) process.stderr.write(`${problem.message}\n`);
  const summary = result.intact
    ? `intact: ${result.entries} entries, ${result.checkpoints} checkpoints, ${result.anchors} witness anchors; head ${result.head.size} ${result.head.rootHash}`
    : `TAMPERED: first broken sequence ${result.firstBrokenSequence ?? '(none: see problems)'}; ${result.problems.length} problem(s)`;
  process.stderr.write(`${summary}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.intact ? 0 : 1;
}

class UnreadableError extends Error {}

function verifyDataDir(options: VerifyCommandOptions): VerifyResult {
  const config = loadConfig();
  if (!existsSync(config.databaseFile)) throw new UnreadableError(`no database at ${config.databaseFile}`);
  // Read-only: verify runs beside a live `serve` and must change nothing.
  const db = openDatabase(config.databaseFile, { readonly: true });
  if (schemaVersion(db) < 5) throw new UnreadableError('the database has no evidence ledger yet (run imagewarden migrate)');
  const keyFile = signingKeyPath(config.dataDir);
  const key = existsSync(keyFile) ? readSigningKey(keyFile, config.evidenceOrigin) : null;
  const repo = createEvidenceRepository(db);
  const service = createEvidenceService({ db, repo, config, key, now: () => new Date() });
  const result = service.verify({ witnessFiles: options.witness });
  if (options.publicKey.length > 0) {
    const unpinned = repo.keys().filter((k) => !options.publicKey.includes(k.publicKey));
    for (const k of unpinned) result.problems.push({ sequence: null, code: 'key_not_pinned', message: `ledger key ${k.keyId} is not one of the pinned public keys` });
    return { ...result, intact: result.intact && unpinned.length === 0 };
  }
  return result;
}

async function verifyBundle(file: string, options: VerifyCommandOptions): Promise<VerifyResult> {
  if (!existsSync(file)) throw new UnreadableError(`no bundle at ${file}`);
  return verifyBundleFile(file, options.publicKey.length > 0 ? { pinnedKeys: options.publicKey } : {});
}
