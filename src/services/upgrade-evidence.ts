import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ledger } from '../evidence/ledger.js';
import { renderUpgradeCertificate } from '../reports/render-certificate.js';
import type { Db } from '../store/database.js';
import type { UpgradeRunRecord } from '../store/upgrade-repository.js';

const TERMINAL_EVENTS = new Set(['completed', 'failed', 'aborted', 'blocked', 'expired']);

export interface TimelineEvent {
  readonly sequence: number;
  /** The evidence kind without its `upgrade_` prefix: the SSE `event:` name. */
  readonly event: string;
  readonly at: string;
  readonly actor: string;
  readonly data: Record<string, unknown>;
  readonly entryHash: string;
}

export type UpgradeEvidence = ReturnType<typeof createUpgradeEvidence>;

/** A run's evidence as its ledger entries tell it: the timeline, the JSON bundle, the live stream, the certificate. */
export function createUpgradeEvidence(deps: { db: Db; ledger: Pick<Ledger, 'head' | 'inclusionProofs'>; pollIntervalInMs?: number }) {
  const entriesOf = deps.db.prepare(
    `SELECT seq, kind, at, actor, body, entry_hash AS entryHash FROM evidence_entries WHERE subject = ? AND seq > ? AND kind LIKE 'upgrade\\_%' ESCAPE '\\' ORDER BY seq LIMIT 500`,
  );
  function events(runId: string, afterSeq = 0): TimelineEvent[] {
    return (entriesOf.all(runId, afterSeq) as { seq: number; kind: string; at: string; actor: string; body: string; entryHash: string }[]).map((row) => ({
      sequence: row.seq,
      event: row.kind.slice('upgrade_'.length),
      at: row.at,
      actor: row.actor,
      data: JSON.parse(row.body) as Record<string, unknown>,
      entryHash: row.entryHash,
    }));
  }
  function timeline(runId: string): TimelineEvent[] {
    const all: TimelineEvent[] = [];
    for (let page = events(runId); page.length > 0; page = events(runId, page.at(-1)!.sequence)) all.push(...page);
    return all;
  }

  return {
    timeline: (runId: string) => timeline(runId).map(({ entryHash: _hash, ...event }) => event),

    /** Everything an auditor needs for one change record: the run, every entry (with inclusion proofs) and the ledger head. */
    bundle(run: UpgradeRunRecord) {
      const entries = timeline(run.id);
      const head = deps.ledger.head();
      const proofs = entries.length === 0 ? new Map<number, string[]>() : deps.ledger.inclusionProofs(entries.map((e) => e.sequence), head.size);
      return {
        format: 'imagewarden-upgrade-evidence/1',
        run,
        entries: entries.map((e) => ({ ...e, inclusionProof: proofs.get(e.sequence) ?? [] })),
        ledgerHead: { size: head.size, rootHash: head.rootHash, checkpoint: head.note },
      };
    },

    certificate: (run: UpgradeRunRecord) => renderUpgradeCertificate(run, timeline(run.id), deps.ledger.head()),

    /** Server-Sent Events from after `afterSeq` until the run's terminal event (or the client leaves). */
    async stream(runId: string, afterSeq: number, res: ServerResponse, req: IncomingMessage, closing: () => boolean = () => false): Promise<void> {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
      let closed = false;
      req.on('close', () => (closed = true));
      let last = afterSeq;
      let lastWrite = Date.now();
      while (!closed && !closing()) {
        for (const event of events(runId, last)) {
          res.write(`id: ${event.sequence}\nevent: ${event.event}\ndata: ${JSON.stringify({ ...event.data, at: event.at, actor: event.actor })}\n\n`);
          last = event.sequence;
          lastWrite = Date.now();
          if (TERMINAL_EVENTS.has(event.event)) {
            res.end();
            return;
          }
        }
        // A comment line keeps proxies from closing an idle stream.
        if (Date.now() - lastWrite > 15_000) {
          res.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, deps.pollIntervalInMs ?? 250));
      }
      // At shutdown the connection goes too: left open and idle, it would hold the server's close until the client
      // drops it (undici keeps idle sockets 4 s).
      const socket = res.socket;
      if (closing()) res.end(() => socket?.destroy());
      else res.end();
    },
  };
}
