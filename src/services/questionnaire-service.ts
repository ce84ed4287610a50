import { readFileSync } from 'node:fs';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { parse as parseYaml } from 'yaml';
import type { Config } from '../config.js';
import { exceptionAt, type ExceptionRecord } from '../domain/exceptions.js';
import { invalidInput } from '../domain/errors.js';
import { dayEnd, rangePeriod } from '../domain/report-period.js';
import { fillPlaceholders } from '../reports/report-templates.js';
import type { Db } from '../store/database.js';
import type { EvidenceRepository } from '../store/evidence-repository.js';
import type { ReportRepository } from '../store/report-repository.js';
import { snapshotCoverage } from './coverage-gaps.js';
import { summariseRemediation, type FindingsService } from './findings-service.js';
import type { InventoryService } from './inventory-service.js';

const DAY_IN_MS = 86_400_000;
/** Daily figures are recomputed per request: a quarter is the longest window answered directly. */
export const MAX_QUESTIONNAIRE_DAYS = 92;

const QuestionnaireSchema = Type.Object(
  {
    questions: Type.Array(
      Type.Object(
        { id: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), question: Type.String({ minLength: 1 }), controls: Type.Array(Type.String()), answer: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);
export type QuestionnaireTemplate = Type.Static<typeof QuestionnaireSchema>;

export const FIGURES = [
  'asOf', 'pools', 'compliancePercent', 'periodCompliance', 'defaultSlaDays', 'snapshotCadence', 'nodeImageChannelPools', 'channels',
  'kubernetesVersions', 'remediated', 'meanTimeToRemediate', 'p90TimeToRemediate', 'slaBreachesOpened', 'openFindings', 'upgradeRuns',
  'maxExceptionDays', 'exceptionsInForce', 'witnesses', 'ledgerEntries', 'checkpointAt', 'retentionDays', 'ran', 'scheduled', 'coverageGaps',
] as const;

/** Reads and checks templates/questionnaire.yaml: every {figure} an answer uses must be one the service computes. */
export function loadQuestionnaire(file: URL = new URL('../../templates/questionnaire.yaml', import.meta.url)): QuestionnaireTemplate {
  const document = parseYaml(readFileSync(file, 'utf8')) as unknown;
  const check = Compile(QuestionnaireSchema);
  if (!check.Check(document)) throw new Error(`${file.pathname}: ${[...check.Errors(document)].map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
  for (const question of document.questions) {
    for (const [, name] of question.answer.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
      if (!(FIGURES as readonly string[]).includes(name!)) throw new Error(`${file.pathname}: question ${question.id} uses unknown figure {${name}}`);
    }
  }
  return document;
}

export interface QuestionnaireDeps {
  readonly db: Db;
  readonly config: Pick<Config, 'snapshotCron' | 'patchSlaDays' | 'maxExceptionDays' | 'retentionDays' | 'evidenceWitnesses'>;
  readonly inventory: Pick<InventoryService, 'summary' | 'evaluateAt' | 'scopeSelector'>;
  readonly findings: Pick<FindingsService, 'all'>;
  readonly exceptions: { all(): ExceptionRecord[] };
  readonly evidence: Pick<EvidenceRepository, 'latestCheckpoint'>;
  readonly reports: Pick<ReportRepository, 'list'>;
  readonly template: QuestionnaireTemplate;
  readonly now: () => Date;
}

export type QuestionnaireService = ReturnType<typeof createQuestionnaireService>;

/**
 * Answers the standard questions for a window (default: the last 30 whole days) with the figures behind each answer
 * and references to the reports and ledger entries that evidence them.
 */
export function createQuestionnaireService(deps: QuestionnaireDeps) {
  return {
    answer(query: { from?: string; to?: string; scope?: string }) {
      const today = new Date(Math.floor(deps.now().getTime() / DAY_IN_MS) * DAY_IN_MS);
      const period = rangePeriod(query.from ?? new Date(today.getTime() - 30 * DAY_IN_MS).toISOString().slice(0, 10), query.to ?? new Date(today.getTime() - DAY_IN_MS).toISOString().slice(0, 10));
      if (period.days.length > MAX_QUESTIONNAIRE_DAYS) throw invalidInput('period_too_long', `the questionnaire covers at most ${MAX_QUESTIONNAIRE_DAYS} days; generate a report for longer periods`);
      const days = period.days.filter((day) => dayEnd(day) <= deps.now().toISOString());
      if (days.length === 0) throw invalidInput('period_not_started', 'no day of the window has ended yet');
      const asOf = new Date(dayEnd(days.at(-1)!));
      const scope = query.scope;
      const selector = scope === undefined ? null : deps.inventory.scopeSelector(scope, asOf);
      const scopeQuery = scope === undefined ? {} : { scope };
      const end = deps.inventory.summary({ asOf, ...scopeQuery });
      const daily = days.map((day) => deps.inventory.summary({ asOf: new Date(dayEnd(day)), ...scopeQuery }).compliancePercent).filter((v): v is number => v !== null);
      const channels = new Map<string, number>();
      const kubernetes = new Map<string, number>();
      for (const { state } of deps.inventory.evaluateAt({ asOf, ...scopeQuery })) {
        const channel = state.cluster.nodeOSUpgradeChannel ?? 'unknown';
        channels.set(channel, (channels.get(channel) ?? 0) + 1);
        const version = state.pool.kubernetesVersion ?? 'unknown';
        kubernetes.set(version, (kubernetes.get(version) ?? 0) + 1);
      }
      const findings = deps.findings.all(asOf, selector, period.from);
      const inWindow = (t: string | null) => t !== null && t >= period.from && t < period.to;
      const breaches = findings.filter((f) => f.kind === 'sla_breach');
      const statistics = summariseRemediation(breaches.filter((f) => inWindow(f.closedAt)));
      const coverage = snapshotCoverage(deps.db, { from: period.from, to: asOf.toISOString(), schedule: deps.config.snapshotCron });
      const checkpoint = deps.evidence.latestCheckpoint();
      const exceptionsInForce = deps.exceptions.all().filter((record) => exceptionAt(record, asOf.toISOString()).state === 'approved').length;
      const hours = (h: number | null) => (h === null ? 'n/a' : `${Math.round(h * 10) / 10} hours (${Math.round((h / 24) * 10) / 10} days)`);
      const list = (counts: Map<string, number>) => [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
      const figures: Record<(typeof FIGURES)[number], string | number | null> = {
        asOf: asOf.toISOString(),
        pools: end.total,
        compliancePercent: end.compliancePercent === null ? 'n/a' : `${end.compliancePercent} %`,
        periodCompliance: daily.length === 0 ? 'n/a' : `${Math.round((daily.reduce((a, b) => a + b, 0) / daily.length) * 10) / 10} %`,
        defaultSlaDays: deps.config.patchSlaDays,
        snapshotCadence: deps.config.snapshotCron === null ? 'on demand only (no schedule)' : `on the schedule "${deps.config.snapshotCron}" (cron, UTC)`,
        nodeImageChannelPools: (channels.get('NodeImage') ?? 0) + (channels.get('SecurityPatch') ?? 0),
        channels: list(channels),
        kubernetesVersions: list(kubernetes),
        remediated: statistics.remediated,
        meanTimeToRemediate: hours(statistics.meanTimeToRemediateHours),
        p90TimeToRemediate: hours(statistics.p90TimeToRemediateHours),
        slaBreachesOpened: breaches.filter((f) => inWindow(f.openedAt)).length,
        openFindings: findings.filter((f) => f.state === 'open').length,
        upgradeRuns: 0,
        maxExceptionDays: deps.config.maxExceptionDays,
        exceptionsInForce,
        witnesses: deps.config.evidenceWitnesses.length === 0 ? 'no witness configured' : `${deps.config.evidenceWitnesses.length} configured`,
        ledgerEntries: checkpoint?.size ?? 0,
        checkpointAt: checkpoint?.signedAt ?? 'none yet',
        retentionDays: deps.config.retentionDays,
        ran: coverage.ran,
        scheduled: coverage.scheduled,
        coverageGaps: findings.filter((f) => f.kind === 'coverage_gap' && f.openedAt < period.to && (f.closedAt === null || f.closedAt >= period.from)).length,
      };
      const values = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, String(v)]));
      const reports = deps.reports
        .list(null, 200)
        .filter((r) => r.status === 'ready' && r.periodFrom < period.to && r.periodTo > period.from && (r.scope ?? undefined) === scope)
        .slice(0, 10)
        .map((r) => ({ id: r.id, period: r.periodLabel, ledgerSequence: r.ledgerSeq, pdfSha256: r.artifacts.find((a) => a.format === 'pdf')?.sha256 ?? null }));
      return {
        from: period.from,
        to: period.to,
        scope: scope ?? null,
        generatedAt: deps.now().toISOString(),
        answers: deps.template.questions.map((q) => {
          const used = [...q.answer.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]! as (typeof FIGURES)[number]);
          return {
            id: q.id,
            question: q.question,
            answer: fillPlaceholders(q.answer, values),
            controls: q.controls,
            figures: Object.fromEntries(used.map((name) => [name, figures[name]])),
            references: { reports, ledgerCheckpoint: checkpoint === null ? null : { size: checkpoint.size, rootHash: checkpoint.rootHash, signedAt: checkpoint.signedAt }, api: ['/api/v1/compliance/summary', '/api/v1/findings', '/api/v1/evidence/verify'] },
          };
        }),
      };
    },
  };
}

export type QuestionnaireAnswers = ReturnType<QuestionnaireService['answer']>;
