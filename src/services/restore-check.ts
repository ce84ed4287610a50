import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { readSigningKey, signingKeyPath } from '../evidence/signing-key.js';
import { openDatabase } from '../store/database.js';
import { createEvidenceRepository } from '../store/evidence-repository.js';
import { migrate } from '../store/migrate.js';
import { createReportRepository } from '../store/report-repository.js';
import { createEvidenceService } from './evidence-service.js';

/**
 * After a restore: what `serve` will need and an auditor will ask. The database is migrated to this version; the
 * evidence ledger must verify; the signing key in the data dir must be the ledger's active key (serve refuses
 * another: it is backed up apart from the database, like any secret); every stored report's files must be there.
 */
export function checkRestoredDataDir(config: Config): string[] {
  const problems: string[] = [];
  const db = openDatabase(config.databaseFile);
  try {
    migrate(db);
    const repo = createEvidenceRepository(db);
    const keyFile = signingKeyPath(config.dataDir);
    const key = existsSync(keyFile) ? readSigningKey(keyFile, config.evidenceOrigin) : null;
    const active = repo.activeKey();
    if (key === null) problems.push(`no signing key at ${keyFile}: restore it from where you keep it (serve would create another, which the ledger refuses)`);
    else if (active !== null && active.publicKey !== key.verifierKey) problems.push(`the signing key at ${keyFile} is not the ledger's active key (${active.keyId}): restore the key that belongs to this backup`);
    const verified = createEvidenceService({ db, repo, config, key, now: () => new Date() }).verify();
    if (!verified.intact) problems.push(`the evidence ledger does not verify: ${verified.problems.slice(0, 3).map((p) => p.message).join('; ')}`);
    const reports = createReportRepository(db);
    const missing = reports
      .list(null, 100_000)
      .filter((report) => report.status === 'ready')
      .flatMap((report) => report.artifacts.map((artifact) => join(config.dataDir, 'reports', report.id, artifact.fileName)))
      .filter((file) => !existsSync(file));
    if (missing.length > 0) problems.push(`${missing.length} stored report file(s) missing, e.g. ${missing[0]}: restore <data dir>/reports/ from the file backup taken with this database`);
  } finally {
    db.close();
  }
  return problems;
}
