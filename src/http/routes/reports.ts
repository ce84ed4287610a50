import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import Type from 'typebox';
import { csvLine } from '../../reports/render-csv.js';
import { ReportDocumentSchema } from '../../reports/report-schema.js';
import type { AccessRecorder } from '../../services/access-record.js';
import { samplePopulation, SAMPLE_METHOD } from '../../services/population-sample.js';
import { REPORT_FORMATS, type ReportFormat, type ReportService } from '../../services/report-service.js';
import type { StoredReport } from '../../store/report-repository.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, NoQuery, Nullable, PageQuery } from '../schemas/common.js';

const ReportIdParams = Type.Object({ id: Type.String({ pattern: '^rpt_[0-9a-f-]{36}$' }) });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' });
const DateOrTime = Type.String({ minLength: 10, maxLength: 40 });
const Scope = Type.String({ minLength: 1, maxLength: 128 });

const ReportSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('ready'), Type.Literal('failed')]),
  period: Type.Object({ from: DateTime, to: DateTime, label: Type.String() }),
  scope: Nullable(Type.String()),
  requestedBy: Type.String(),
  requestedAt: DateTime,
  finishedAt: Nullable(DateTime),
  error: Nullable(Type.String()),
  formats: Type.Array(Type.Object({ format: Type.String(), fileName: Type.String(), sha256: Type.String(), bytes: Type.Integer() })),
  population: Nullable(Type.Object({ rows: Type.Integer(), sha256: Type.String() })),
  ledgerSequence: Nullable(Type.Integer({ description: 'the report_generated entry that recorded every format digest' })),
});

const toResponse = (report: StoredReport) => ({
  id: report.id,
  status: report.status,
  period: { from: report.periodFrom, to: report.periodTo, label: report.periodLabel },
  scope: report.scope,
  requestedBy: report.requestedBy,
  requestedAt: report.requestedAt,
  finishedAt: report.finishedAt,
  error: report.error,
  formats: report.artifacts.map(({ format, fileName, sha256, bytes }) => ({ format, fileName, sha256, bytes })),
  population: report.population === null ? null : { rows: report.population.rows, sha256: report.population.sha256 },
  ledgerSequence: report.ledgerSeq,
});

/** RFC 6266: an ASCII fallback and the exact name in `filename*`. Names come from the report id, never from input. */
const attachment = (name: string) => `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`;

export interface ReportRouteDeps {
  readonly reportService: ReportService;
  readonly recordAccess: AccessRecorder;
}

export const reportRoutes =
  (deps: ReportRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const service = deps.reportService;
    const reportSchemaText = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...ReportDocumentSchema });

    app.post(
      '/api/v1/reports',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Generate a report for a month (period) or a date range (from, to: up to 12 months), optionally for a scope',
          querystring: NoQuery,
          body: Type.Object({ period: Type.Optional(Month), from: Type.Optional(DateOrTime), to: Type.Optional(DateOrTime), scope: Type.Optional(Nullable(Scope)) }, { additionalProperties: false }),
          response: { 202: Type.Object({ id: Type.String(), status: Type.String() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const report = service.create(request.body, request.principal!.actor);
        return reply.status(202).header('location', `/api/v1/reports/${report.id}`).send({ id: report.id, status: report.status });
      },
    );

    app.get(
      '/api/v1/reports',
      {
        config: { access: 'auditor' },
        schema: { summary: 'Reports, newest first', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(ReportSchema), nextCursor: Nullable(Type.String()) }), ...errorResponses } },
      },
      async (request) => {
        const after = decodeCursor<{ at: string; id: string }>(request.query.cursor, { at: 'string', id: 'string' });
        const limit = request.query.limit ?? 100;
        const page = service.list(after === null ? null : { requestedAt: after.at, id: after.id }, limit + 1);
        const items = page.slice(0, limit);
        const last = items.at(-1);
        return { items: items.map(toResponse), nextCursor: page.length > limit && last ? encodeCursor({ at: last.requestedAt, id: last.id }) : null };
      },
    );

    app.get(
      '/api/v1/reports/:id',
      { config: { access: 'auditor' }, schema: { summary: 'One report: status, formats and their SHA-256', params: ReportIdParams, querystring: NoQuery, response: { 200: ReportSchema, ...errorResponses } } },
      async (request) => toResponse(service.get(request.params.id)),
    );

    app.get(
      '/api/v1/reports/:id/download',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'The stored bytes of one format (ETag: its SHA-256, as the ledger recorded it)',
          params: ReportIdParams,
          querystring: Type.Object({ format: Type.Union(REPORT_FORMATS.map((f) => Type.Literal(f))) }, { additionalProperties: false }),
          response: { 200: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const artifact = service.artifact(request.params.id, request.query.format as ReportFormat);
        const etag = `"${artifact.sha256}"`;
        reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable');
        if (request.headers['if-none-match'] === etag) return reply.status(304).send(null as never);
        deps.recordAccess({ kind: 'report_downloaded', subject: request.params.id, actor: request.principal!.actor, body: { reportId: request.params.id, format: artifact.format, sha256: artifact.sha256, bytes: artifact.bytes } });
        return reply
          .type(artifact.contentType)
          .header('content-length', artifact.bytes)
          .header('content-disposition', attachment(`${request.params.id}-${artifact.fileName}`))
          .send(createReadStream(artifact.path));
      },
    );

    app.get(
      '/api/v1/reports/:id/population',
      {
        config: { access: 'auditor' },
        schema: {
          summary: "The period's whole population, pool × day with status, as CSV (ETag: its SHA-256, printed in the report)",
          params: ReportIdParams,
          querystring: NoQuery,
          response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'CSV' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const population = service.population(request.params.id);
        deps.recordAccess({ kind: 'report_downloaded', subject: request.params.id, actor: request.principal!.actor, body: { reportId: request.params.id, format: 'population', sha256: population.sha256, rows: population.rows } });
        return reply
          .type('text/csv; charset=utf-8')
          .header('etag', `"${population.sha256}"`)
          .header('content-disposition', attachment(`${request.params.id}-population.csv`))
          .send(createReadStream(population.path).pipe(createGunzip()));
      },
    );

    app.get(
      '/api/v1/reports/:id/sample',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'A reproducible random sample of the population, drawn with a seed the auditor chooses',
          params: ReportIdParams,
          querystring: Type.Object(
            { seed: Type.String({ minLength: 1, maxLength: 128 }), size: Type.Integer({ minimum: 1, maximum: 1000 }), format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Union([
              Type.Object({
                reportId: Type.String(),
                seed: Type.String(),
                size: Type.Integer(),
                method: Type.String(),
                population: Type.Object({ rows: Type.Integer(), sha256: Type.String() }),
                items: Type.Array(Type.Object({ rank: Type.String(), row: Type.Record(Type.String(), Type.String()), asOf: DateTime })),
              }),
              Type.String(),
            ]),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const population = service.population(request.params.id);
        const { seed, size } = request.query;
        const sample = await samplePopulation(population.path, seed, size);
        deps.recordAccess({ kind: 'report_downloaded', subject: request.params.id, actor: request.principal!.actor, body: { reportId: request.params.id, format: 'sample', seed, size, populationSha256: population.sha256 } });
        if (request.query.format === 'csv') {
          const lines = [csvLine(['rank', ...sample.columns]), ...sample.rows.map((row) => `${row.rank},${row.line}\r\n`)];
          return reply.type('text/csv; charset=utf-8').send(lines.join(''));
        }
        return {
          reportId: request.params.id,
          seed,
          size,
          method: SAMPLE_METHOD,
          population: { rows: sample.populationRows, sha256: population.sha256 },
          items: sample.rows.map((row) => ({ rank: row.rank, row: row.cells, asOf: row.cells.evaluatedAt ?? `${row.cells.date}T23:59:59.000Z` })),
        };
      },
    );

    app.get(
      '/api/v1/schemas/report.json',
      { config: { access: 'auditor' }, schema: { summary: 'The JSON Schema of the JSON report', querystring: NoQuery, response: { 200: Type.Unsafe<string>({ type: 'string' }), ...errorResponses } } },
      async (_request, reply) => reply.type('application/schema+json').send(reportSchemaText),
    );
  };
