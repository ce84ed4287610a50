import type { Finding } from '../services/findings-service.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { EvidenceRepository } from '../store/evidence-repository.js';
import type { EvidenceSink } from './ledger.js';

const WATERMARK = 'findings';
const CLOSED = new Set(['remediated', 'retired']);

export interface FindingSyncDeps {
  readonly db: Db;
  readonly repo: Pick<EvidenceRepository, 'findingRecord' | 'recordFinding'>;
  readonly evidence: EvidenceSink;
  /** Every finding as it stands at `at`, with episodes reaching `from` or later (from: undefined = all history). */
  readonly findingsAt: (at: Date, from?: string) => Finding[];
  readonly now: () => Date;
}

/**
 * Findings are derived from observations, so the ledger records their transitions when it next looks: after each
 * snapshot, each exception change and hourly. Each finding's first sighting is `finding_opened`, a change of state
 * (open ↔ risk_accepted) `finding_changed`, its end `finding_closed`; each transition is recorded once.
 * Returns how many entries it appended.
 */
export function syncFindingEvidence(deps: FindingSyncDeps): number {
  const at = deps.now();
  const watermark = deps.db.prepare('SELECT at FROM ledger_watermarks WHERE name = ?').get(WATERMARK) as { at: string } | undefined;
  // Episodes that closed before the last sync were recorded then; a small overlap costs nothing (records dedupe).
  const from = watermark === undefined ? undefined : new Date(Date.parse(watermark.at) - 3_600_000).toISOString();
  const findings = deps.findingsAt(at, from);
  let appended = 0;
  writeTransaction(deps.db, () => {
    for (const finding of [...findings].reverse()) {
      const recorded = deps.repo.findingRecord(finding.id);
      if (recorded?.state === finding.state && recorded.exceptionId === finding.exceptionId) continue;
      if (recorded !== null && CLOSED.has(recorded.state)) continue;
      const kinds = recorded === null ? ['finding_opened', ...(CLOSED.has(finding.state) ? ['finding_closed'] : [])] : [CLOSED.has(finding.state) ? 'finding_closed' : 'finding_changed'];
      let seq = 0;
      for (const kind of kinds) {
        seq = deps.evidence.append({ kind, subject: finding.id, actor: 'system', body: finding }).seq;
        appended++;
      }
      deps.repo.recordFinding(finding.id, finding.state, finding.exceptionId, seq);
    }
    deps.db
      .prepare('INSERT INTO ledger_watermarks (name, at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at')
      .run(WATERMARK, at.toISOString());
  });
  return appended;
}
