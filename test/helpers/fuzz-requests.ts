import fc from 'fast-check';
import { anyString, asText, EDGE_NUMBERS, encode, mutatedObject, validValue, type FuzzHints, type Schema } from './fuzz-values.js';

export type { FuzzHints } from './fuzz-values.js';

/** One route as Fastify registered it (buildApp's onRoute). */
export interface FuzzRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: Schema | undefined;
}

export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

/** Text a client can put in a header: printable ASCII and obs-text (latin1), as Node's HTTP parser accepts it. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.constant(0x09), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });

const nested = (depth: number, kind: 'array' | 'object') => (kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

/** Body text: any JSON, schema-shaped objects with mutations, invalid JSON, sizes around the 64 KB limit, deep nesting. */
function bodyFor(schema: Schema | undefined, hints: FuzzHints): fc.Arbitrary<string | undefined> {
  const shape = schema ?? {};
  const firstText = Object.keys(shape.properties ?? {}).find((key) => shape.properties[key].type === 'string') ?? 'reason';
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 8, arbitrary: validValue(shape, '', hints).map((v) => JSON.stringify(v)) },
    { weight: 5, arbitrary: mutatedObject(shape, hints).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.oneof(fc.string(), fc.constantFrom('', '{', '{"a":', "{'a':1}", 'NaN', '\uFEFF{}', '{"a":1}}', '[1,]', 'null', '"x"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}')) },
    // Around the 64 KB body limit: just under (reaches validation, refused by maxLength), just over (413).
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }).map((n) => JSON.stringify({ [firstText]: 'x'.repeat(n) })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 100, max: 30_000 }), fc.constantFrom('array' as const, 'object' as const)).map(([depth, kind]) => nested(kind === 'object' ? Math.floor(depth / 6) : depth, kind)) },
  );
}

/** A path segment: any text (percent-encoded as a client would), raw oddities, numbers, very long, or a known name. */
function segmentFor(schema: Schema | undefined, name: string, hints: FuzzHints): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: anyString.map(encode) },
    { weight: 2, arbitrary: fc.constantFrom('..', '.', '%00', '%2e%2e', '%2F', '%zz', '%', '-1', '0', '1e309', '18446744073709551616', '%20', '..%2F..%2Fetc%2Fpasswd', 'a;b', 'a%0d%0ab') },
    { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })).map(String) },
    { weight: 1, arbitrary: fc.integer({ min: 90, max: 5000 }).map((n) => 'a'.repeat(n)) },
    { weight: 10, arbitrary: validValue(schema, name, hints).map((v) => encode(asText(v))) },
  );
}

const QUERY_EDGES = [...EDGE_NUMBERS, '', 'true', 'csv', 'json', 'pdf', 'open', 'current', 'a,b'];

/** A query string: the route's own parameter names and unknown ones, repeated keys, `a[]` arrays, raw oddities. */
function queryFor(schema: Schema | undefined, hints: FuzzHints): fc.Arbitrary<string> {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const known = Object.keys(properties);
  const key = fc.oneof(
    { weight: known.length > 0 ? 6 : 0, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('x') },
    { weight: 1, arbitrary: fc.constantFrom('unexpected', '__proto__', 'constructor', 'limit[]', 'a[b]', '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  const pair = key.chain((name) =>
    fc.tuple(
      fc.constant(name),
      fc.oneof(
        { weight: 4, arbitrary: validValue(Object.hasOwn(properties, name) ? properties[name] : undefined, name, hints).map((v) => asText(v)) },
        { weight: 3, arbitrary: anyString },
        { weight: 2, arbitrary: fc.constantFrom(...QUERY_EDGES) },
      ),
      fc.boolean(),
    ),
  );
  // Only the route's own parameters, with values of their schema: requests that get past validation to the handler.
  const wellFormed = known.length === 0 ? fc.constant('') : fc.uniqueArray(fc.constantFrom(...known), { maxLength: known.length }).chain((names) =>
    fc.tuple(...names.map((name) => validValue(properties[name], name, hints).map((v) => `${name}=${encode(asText(v))}`))).map((parts) => parts.join('&')));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 4, arbitrary: wellFormed },
    { weight: 4, arbitrary: fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.map(([k, v, bare]) => (bare && v === '' ? encode(k) : `${encode(k)}=${encode(v)}`)).join('&')) },
    // Raw text after the `?`: malformed percent escapes, empty pairs, `=` without a key.
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abz019=&%;+[].,-_~'.split('')), maxLength: 30 }) },
  );
}

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/json;', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json', 'application/octet-stream', ''];

/** Authorization: mostly the admin key (so requests reach the handlers), otherwise garbage or nothing. */
function authorizationFor(adminKey: string): fc.Arbitrary<string | undefined> {
  const jwtPart = fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));
  return fc.oneof(
    { weight: 16, arbitrary: fc.constant(`Bearer ${adminKey}`) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', `bearer   ${adminKey}  `, `Basic ${adminKey}`, `Bearer ${adminKey} extra`, `Bearer ${adminKey.slice(0, -1)}`, 'Bearer iw_', `Bearer ${'a'.repeat(5000)}`) },
    { weight: 1, arbitrary: headerText(80) },
    { weight: 1, arbitrary: fc.tuple(jwtPart, jwtPart, fc.base64String({ maxLength: 40 })).map(([h, p, s]) => `Bearer ${h}.${p}.${s}`) },
  );
}

/** Cookie headers: a real session (when the fuzz signed one in), garbage session ids, doubled cookies, any text. */
function cookieFor(session: string | undefined): fc.Arbitrary<string> {
  const real = session === undefined ? [] : [`imagewarden_session=${session}`, `a=b; imagewarden_session=${session}`, `imagewarden_session=${session}; imagewarden_session=${session}`];
  return fc.oneof(
    fc.constantFrom(...real, 'imagewarden_session=', 'imagewarden_session', `imagewarden_session=${'A'.repeat(43)}`, 'imagewarden_session=%00', ';;=;', '=imagewarden_session'),
    headerText(120),
    headerText(60).map((value) => `imagewarden_session=${value}`),
  );
}

/** Every part of one request to `route`, generated. `session`: a signed-in session id the cookie header may carry. */
export function requestFor(route: FuzzRoute, hints: FuzzHints, adminKey: string, paramHints: FuzzHints = hints, session?: string): fc.Arbitrary<FuzzRequest> {
  const params = ((route.schema?.params as Schema | undefined)?.properties ?? {}) as Record<string, Schema>;
  const names = [...route.url.matchAll(/:([A-Za-z0-9_]+)|\*/g)].map((m) => m[1] ?? '*');
  const path = fc
    .tuple(...names.map((name) => (name === '*' ? fc.array(segmentFor(undefined, name, paramHints), { maxLength: 3 }).map((parts) => parts.join('/')) : segmentFor(params[name], name, paramHints))))
    .map((values) => {
      let i = 0;
      return route.url.replace(/:([A-Za-z0-9_]+)|\*/g, () => values[i++]!);
    });
  const takesBody = route.method === 'POST';
  const header = (arb: fc.Arbitrary<string | undefined>, weight: number) => fc.oneof({ weight, arbitrary: arb }, { weight: 10 - weight, arbitrary: fc.constant(undefined) });
  const headers = fc.record({
    authorization: authorizationFor(adminKey),
    'content-type': header(fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: headerText(40) }), takesBody ? 9 : 2),
    'idempotency-key': header(fc.oneof(fc.constantFrom('', ' ', 'k', 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(10_000), 'clé', 'a\tb'), headerText(300), fc.uuid()), route.url.endsWith('/upgrades') ? 8 : 1),
    'last-event-id': header(fc.oneof(fc.constantFrom('-1', '0', '1e309', 'NaN', '99999999999999999999'), headerText(20)), 1),
    'if-none-match': header(fc.oneof(fc.constant('*'), headerText(70)), 1),
    'x-request-id': header(headerText(300), 1),
    accept: header(fc.oneof(fc.constantFrom('application/json', 'text/event-stream', 'application/pdf', '*/*', 'text/html'), headerText(40)), 1),
    cookie: header(cookieFor(session), route.url === '/api/v1/session' ? 8 : 1),
    'x-csrf-token': header(headerText(60), 1),
    origin: header(fc.oneof(fc.constantFrom('null', 'http://localhost:80', 'https://evil.example'), headerText(40)), 1),
  });
  const body = takesBody ? bodyFor(route.schema?.body as Schema | undefined, hints) : fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyFor(undefined, hints) });
  return fc.record({ path, query: queryFor(route.schema?.querystring as Schema | undefined, hints), headers, body }).map(({ path: p, query, headers: h, body: payload }) => ({
    method: route.method,
    url: query === '' ? p : `${p}?${query}`,
    headers: Object.fromEntries(Object.entries(h).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    ...(payload === undefined ? {} : { payload }),
  }));
}
