import fc from 'fast-check';
import { FREE_TEXT_PATTERN } from '../../src/http/schemas/exceptions.js';

/** A JSON Schema as TypeBox emits it (plain objects: type, properties, required, anyOf, allOf, const, pattern, ...). */
export type Schema = Record<string, any>;

/**
 * Values, by field or parameter name, that name things that exist (a cluster, a pool, an exception) or that a service
 * accepts (an exception scope, an expiry within the limit): with them, requests get past the lookups into real work.
 */
export type FuzzHints = Readonly<Record<string, readonly unknown[]>>;

const EDGE_STRINGS = ['', ' ', '\t', '..', '.', '%00', '\u0000', 'null', 'undefined', 'NaN', 'Infinity', '-1', '0', '1e309', '-0', '0x1f', '1.5', '__proto__', 'constructor', 'true', '[]', '{}', '\ud800', '\uFEFF', 'é', '𝒳', '\u202e'];
export const EDGE_NUMBERS = ['-1', '0', '1', '1.5', '-9007199254740993', '9007199254740993', '18446744073709551616', '1e309', '99999999999999999999999999'];

/** A generated value as URL text (objects as JSON: fast-check's may have no prototype, so no toString). */
export const asText = (value: unknown) => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

/** Percent-encoded as a client would; a lone surrogate (which no URL can carry) becomes U+FFFD, as in a browser. */
export const encode = (text: string) => encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

/** Strings of every kind: unicode, control characters, edge values, numbers, very long. */
export const anyString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_STRINGS, ...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double()).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 65, max: 6000 }).map((n) => 'x'.repeat(n)) },
);

const DATE_EDGES = [
  '2026-06-30T23:59:60Z', // a leap second: valid RFC 3339, not a valid JavaScript Date
  '2026-02-29T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0099-12-31T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '1970-01-01T00:00:00+23:59',
  '2026-01-01t00:00:00z',
  '2026-01-01T00:00:00.123456789Z',
  '2026-01-01 00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
];
const DAY_EDGES = ['2026-02-29', '2024-02-29', '2026-02-30', '0000-01-01', '0099-12-31', '9999-12-31', '2026-13-01', '2026-1-1'];
const dateTime = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: -400, max: 400 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString()),
  fc.integer({ min: -400, max: 1 }).map((days) => `${new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)}T00:00:00Z`),
  fc.constantFrom(...DATE_EDGES),
);
const day = fc.oneof(
  fc.date({ min: new Date('0000-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.integer({ min: -800, max: 30 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)),
  fc.constantFrom(...DAY_EDGES),
);

/** Base64url JSON, the shape of this API's cursors, with fields of any type: gets past the base64 and JSON steps. */
const cursorLike = fc
  .dictionary(fc.constantFrom('k', 's', 't', 'i', 'id', 'at'), fc.oneof(fc.jsonValue(), fc.constantFrom(1e308, -1, 0, 8.64e15 + 1, 2 ** 53)), { maxKeys: 6 })
  .map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));

/** A value the schema accepts (mostly: patterns and formats are approximated), or a hint for a field of that name. */
export function validValue(schema: Schema | undefined, name: string, hints: FuzzHints): fc.Arbitrary<unknown> {
  const own = validBySchema(schema ?? {}, name, hints);
  const hinted = (Object.hasOwn(hints, name) ? hints[name]! : []).filter((value) => fits(schema ?? {}, value));
  return hinted.length > 0 ? fc.oneof(own, fc.constantFrom(...hinted)) : own;
}

/** Whether a hint has the schema's type (a `scope` object for a body, not the `scope` name of a query). */
function fits(schema: Schema, value: unknown): boolean {
  if (schema.anyOf) return (schema.anyOf as Schema[]).some((branch) => fits(branch, value));
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
    case 'number':
      return typeof value === 'number';
    case undefined:
      return typeof value !== 'object';
    default:
      return false;
  }
}

function validBySchema(schema: Schema, name: string, hints: FuzzHints): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if (schema.anyOf) return fc.oneof(...(schema.anyOf as Schema[]).map((s) => validBySchema(s, name, hints)));
  if (schema.allOf) return fc.tuple(...(schema.allOf as Schema[]).map((s) => validBySchema(s, name, hints))).map((parts) => Object.assign({}, ...parts.filter((p) => typeof p === 'object')));
  switch (schema.type) {
    case 'string':
      return stringFor(schema, name);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validValue(schema.items, name, hints), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object':
      return objectFor(schema, hints);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(schema: Schema, name: string): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 200;
  if (schema.format === 'date-time') return dateTime;
  if (schema.format === 'date') return day;
  if (name === 'cursor') return fc.oneof(cursorLike, fc.string({ minLength: min, maxLength: 40 }));
  // Free text (no pattern, or the schemas' free-text one) also gets lone surrogates, controls, right-to-left marks, 64 KB runs.
  const free = !schema.pattern || schema.pattern === FREE_TEXT_PATTERN;
  const base = free || !schema.pattern ? fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 60) }) : fc.stringMatching(new RegExp(schema.pattern));
  const odd = fc.oneof(fc.string({ unit: 'binary', minLength: min, maxLength: 30 }), fc.constantFrom(...EDGE_STRINGS.map((e) => `x${e}`), 'x\u0000y', 'a\r\nb', 'x'.repeat(max)));
  return (free ? fc.oneof({ weight: 3, arbitrary: base }, { weight: 1, arbitrary: odd.filter((s) => /\S/.test(s)) }) : base).filter((s) => s.length >= min && s.length <= max);
}

/** An object of the schema's shape: required fields (mostly), some optional ones, each valid or not. */
function objectFor(schema: Schema, hints: FuzzHints): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
  const required = new Set<string>(schema.required ?? []);
  if (properties.length === 0) return fc.constant({});
  return fc
    .tuple(...properties.map(([key, property]) => fc.tuple(fc.constant(key), fc.nat(9), validValue(property, key, hints))))
    .map((fields) => Object.fromEntries(fields.filter(([key, roll]) => (required.has(key) ? roll > 0 : roll > 4)).map(([key, , value]) => [key, value])));
}

/** Wrong types, out-of-range strings and unknown fields mixed into an otherwise well-formed body. */
export function mutatedObject(schema: Schema, hints: FuzzHints): fc.Arbitrary<unknown> {
  const keys = Object.keys(schema.properties ?? {});
  const wrong = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyString, fc.constantFrom('   ', 'x'.repeat(2001), 'x'.repeat(20_000), -1, 1e308, 0.5, [], {}, null, true));
  return fc
    .tuple(objectFor(schema, hints), fc.dictionary(keys.length > 0 ? fc.constantFrom(...keys) : fc.string(), wrong, { maxKeys: 3 }), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'admin', 'role')), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }), fc.nat(3))
    .map(([valid, mutations, unknown, mode]) => (mode === 0 ? { ...valid, ...unknown } : mode === 1 ? { ...valid, ...mutations, ...unknown } : { ...valid, ...mutations }));
}
