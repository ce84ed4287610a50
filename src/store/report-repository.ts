import type { Db } from './database.js';

export type ReportStatus = 'running' | 'ready' | 'failed';

export interface StoredArtifact {
  readonly format: string;
  readonly fileName: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface StoredReport {
  readonly id: string;
  readonly status: ReportStatus;
  readonly periodFrom: string;
  readonly periodTo: string;
  readonly periodLabel: string;
  readonly scope: string | null;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly owner: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly artifacts: StoredArtifact[];
  readonly population: { rows: number; sha256: string; fileName: string; bytes: number } | null;
  readonly ledgerSeq: number | null;
}

const COLUMNS = `id, status, period_from AS periodFrom, period_to AS periodTo, period_label AS periodLabel, scope, requested_by AS requestedBy,
  requested_at AS requestedAt, owner, finished_at AS finishedAt, error, artifacts, population, ledger_seq AS ledgerSeq`;

type Row = Omit<StoredReport, 'artifacts' | 'population'> & { artifacts: string; population: string | null };
const toReport = (row: Row): StoredReport => ({
  ...row,
  artifacts: JSON.parse(row.artifacts) as StoredArtifact[],
  population: row.population === null ? null : (JSON.parse(row.population) as StoredReport['population']),
});

export type ReportRepository = ReturnType<typeof createReportRepository>;

export function createReportRepository(db: Db) {
  const byId = db.prepare(`SELECT ${COLUMNS} FROM reports WHERE id = ?`);
  return {
    get: (id: string) => {
      const row = byId.get(id) as Row | undefined;
      return row ? toReport(row) : null;
    },
    insert: (report: Pick<StoredReport, 'id' | 'periodFrom' | 'periodTo' | 'periodLabel' | 'scope' | 'requestedBy' | 'requestedAt' | 'owner'>) =>
      void db
        .prepare(
          `INSERT INTO reports (id, status, period_from, period_to, period_label, scope, requested_by, requested_at, owner)
           VALUES (@id, 'running', @periodFrom, @periodTo, @periodLabel, @scope, @requestedBy, @requestedAt, @owner)`,
        )
        .run(report),
    markReady: (id: string, at: string, artifacts: readonly StoredArtifact[], population: NonNullable<StoredReport['population']>, ledgerSeq: number) =>
      void db
        .prepare(`UPDATE reports SET status = 'ready', finished_at = ?, artifacts = ?, population = ?, ledger_seq = ? WHERE id = ? AND status = 'running'`)
        .run(at, JSON.stringify(artifacts), JSON.stringify(population), ledgerSeq, id),
    markFailed: (id: string, at: string, error: string) =>
      db.prepare(`UPDATE reports SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'`).run(at, error, id).changes === 1,
    running: () => (db.prepare(`SELECT ${COLUMNS} FROM reports WHERE status = 'running'`).all() as Row[]).map(toReport),
    /** Newest first, keyset-paged by (requested_at, id). */
    list: (after: { requestedAt: string; id: string } | null, limit: number) =>
      (
        db
          .prepare(`SELECT ${COLUMNS} FROM reports WHERE (@at IS NULL OR (requested_at, id) < (@at, @id)) ORDER BY requested_at DESC, id DESC LIMIT @limit`)
          .all({ at: after?.requestedAt ?? null, id: after?.id ?? null, limit }) as Row[]
      ).map(toReport),
  };
}
