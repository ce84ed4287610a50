import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { csvLine } from '../../reports/render-csv.js';
import type { QuestionnaireAnswers, QuestionnaireService } from '../../services/questionnaire-service.js';
import { DateTime, errorResponses, Nullable } from '../schemas/common.js';

const Reference = Type.Object({
  reports: Type.Array(Type.Object({ id: Type.String(), period: Type.String(), ledgerSequence: Nullable(Type.Integer()), pdfSha256: Nullable(Type.String()) })),
  ledgerCheckpoint: Nullable(Type.Object({ size: Type.Integer(), rootHash: Type.String(), signedAt: DateTime })),
  api: Type.Array(Type.String()),
});

const AnswersSchema = Type.Object({
  from: DateTime,
  to: DateTime,
  scope: Nullable(Type.String()),
  generatedAt: DateTime,
  answers: Type.Array(
    Type.Object({
      id: Type.String(),
      question: Type.String(),
      answer: Type.String(),
      controls: Type.Array(Type.String()),
      figures: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])),
      references: Reference,
    }),
  ),
});

function toCsv(answers: QuestionnaireAnswers): string {
  const lines = [csvLine(['id', 'question', 'answer', 'controls', 'figures', 'reports', 'ledgerCheckpoint'])];
  for (const a of answers.answers) {
    const checkpoint = a.references.ledgerCheckpoint;
    lines.push(
      csvLine([a.id, a.question, a.answer, a.controls.join('; '), JSON.stringify(a.figures), a.references.reports.map((r) => r.id).join(' '), checkpoint ? `${checkpoint.size} ${checkpoint.rootHash}` : null]),
    );
  }
  return lines.join('');
}

export interface QuestionnaireRouteDeps {
  readonly questionnaire: QuestionnaireService;
}

export const questionnaireRoutes =
  (deps: QuestionnaireRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/questionnaire',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Answers to standard security-questionnaire questions, with the figures behind them and evidence references',
          querystring: Type.Object(
            {
              from: Type.Optional(Type.String({ format: 'date' })),
              to: Type.Optional(Type.String({ format: 'date', description: 'last day, inclusive' })),
              scope: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
              format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Union([AnswersSchema, Type.String()]), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { format, from, to, scope } = request.query;
        const answers = deps.questionnaire.answer({ ...(from ? { from } : {}), ...(to ? { to } : {}), ...(scope ? { scope } : {}) });
        if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="imagewarden-questionnaire.csv"').send(toCsv(answers));
        return answers;
      },
    );
  };
