import type { Ledger } from '../evidence/ledger.js';

/** What a reader took out of the service: a report format, a population, a sample, an evidence export. */
export interface EvidenceAccess {
  readonly kind: 'report_downloaded' | 'evidence_exported';
  /** The report id, `ledger`, or `upgrade:<run id>`. */
  readonly subject: string;
  readonly actor: string;
  readonly body: Record<string, unknown>;
}

export type AccessRecorder = (access: EvidenceAccess) => void;

/**
 * Every download of a report or export of evidence is itself a ledger entry — who, what, when (and the digest of
 * what they got) — written before the bytes are sent: a download that cannot be recorded does not happen.
 */
export function createAccessRecorder(ledger: Pick<Ledger, 'record'>): AccessRecorder {
  return (access) => {
    ledger.record({ kind: access.kind, subject: access.subject, actor: access.actor, body: access.body });
  };
}
