import type { Ledger } from '../evidence/ledger.js';
import type { StoredCheckpoint } from '../store/evidence-repository.js';
import type { ReportTemplates } from '../reports/report-templates.js';
import type { Db } from '../store/database.js';
import type { CitedFacts, LedgerFacts } from './report-builder.js';

/** What a report needs of the ledger: a signed head (taken when generation starts), proofs against it. */
export interface ReportLedger {
  readonly head: StoredCheckpoint;
  readonly keyName: string;
  readonly inclusionProofs: Ledger['inclusionProofs'];
}

/**
 * The ledger head a report prints (a fresh signed checkpoint over everything recorded so far) and the entries it
 * cites — the snapshot its period-end figures rest on and the approvals of the exceptions it lists — each with an
 * RFC 9162 inclusion proof against that head, so an auditor can check them against any later export.
 */
export function ledgerFacts(db: Db, ledger: ReportLedger, templates: ReportTemplates, cited: CitedFacts): LedgerFacts {
  const { head } = ledger;
  const snapshot = db
    .prepare(`SELECT id FROM snapshots WHERE status IN ('succeeded', 'partial') AND finished_at <= ? ORDER BY id DESC LIMIT 1`)
    .get(cited.asOf) as { id: number } | undefined;
  const subjects = [...(snapshot ? [`snapshot:${snapshot.id}`] : []), ...cited.exceptionIds];
  const entries = (
    db
      .prepare(
        `SELECT seq, kind, subject, at, entry_hash AS entryHash FROM evidence_entries
         WHERE seq <= ? AND kind IN ('snapshot_committed', 'exception_approved') AND subject IN (SELECT value FROM json_each(?)) ORDER BY seq`,
      )
      .all(head.size, JSON.stringify(subjects)) as { seq: number; kind: string; subject: string | null; at: string; entryHash: string }[]
  ).slice(0, 200);
  const proofs = entries.length === 0 ? new Map<number, string[]>() : ledger.inclusionProofs(entries.map((e) => e.seq), head.size);
  const last = head.size === 0 ? null : (db.prepare('SELECT entry_hash AS hash FROM evidence_entries WHERE seq = ?').get(head.size) as { hash: string });
  const signatureLine = head.note.split('\n').find((line) => line.startsWith('\u2014 ')) ?? '';
  return {
    ledgerHead: {
      size: head.size,
      lastSequence: head.size === 0 ? null : head.size,
      entryHash: last?.hash ?? null,
      rootHash: head.rootHash,
      checkpoint: head.note,
      keyName: ledger.keyName,
      keyId: head.keyId,
      signature: signatureLine.split(' ').at(-1) ?? '',
    },
    evidence: {
      entries: entries.map((e) => ({ sequence: e.seq, kind: e.kind, subject: e.subject, at: e.at, entryHash: e.entryHash, inclusionProof: proofs.get(e.seq) ?? [] })),
      limitation: templates.limitation,
    },
  };
}
