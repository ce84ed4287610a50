import { Ajv, type FormatDefinition, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Request validation with two Ajv instances:
 * - bodies are validated exactly as sent: no type coercion (`"ticket": 42` is refused, not turned into "42"),
 *   no stripping (an unknown field is a 400, where Fastify's default silently removes it);
 * - query strings and path parameters arrive as text, so they are coerced to the schema's types.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false };
  const exact = withRepresentableDateTimes(addFormats.default(new Ajv({ ...common, coerceTypes: false })));
  const coercing = withRepresentableDateTimes(addFormats.default(new Ajv({ ...common, coerceTypes: 'array' })));
  return ({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema as object);
}

/**
 * RFC 3339 allows a leap second (`2026-06-30T23:59:60Z`) that no JavaScript Date can hold: handlers would get an
 * Invalid Date and fail on its first `toISOString()`. A `date-time` must also be a moment Date.parse can read.
 */
function withRepresentableDateTimes(ajv: Ajv): Ajv {
  const rfc3339 = fullFormats['date-time'] as FormatDefinition<string> & { validate: (value: string) => boolean };
  return ajv.addFormat('date-time', { type: 'string', validate: (value: string) => rfc3339.validate(value) && !Number.isNaN(Date.parse(value)), compare: rfc3339.compare });
}
