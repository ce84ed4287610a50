import { createHash } from 'node:crypto';
import { armError, authorizationFailed } from './arm-errors.js';
import { resourceContainerRows, resourceRow } from './arm-resources.js';
import { sameId } from './arm-ids.js';
import { argRateLimiting, supportMessage } from './fault-responses.js';
import { json } from './http-types.js';
import { KqlSyntaxError } from './kql/kql-lexer.js';
import { evaluateKql } from './kql/kql-evaluator.js';
import { parseKql } from './kql/kql-parser.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { KqlQuery } from './kql/kql-parser.js';

/**
 * `POST /providers/Microsoft.ResourceGraph/resources` (azure-wire.md §1): scope, KQL subset, paging with an
 * opaque `$skipToken` bound to query + scope, string `resultTruncated`, and the user-quota headers on every answer.
 */

interface QueryBody {
  query?: unknown;
  subscriptions?: unknown;
  managementGroups?: unknown;
  options?: { $top?: unknown; $skip?: unknown; $skipToken?: unknown; resultFormat?: unknown };
}

const MAX_TOP = 1000;

export function handleResources(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const quota = ctx.argQuota.consume(call.principal.clientId);
  const answer = (response: EmulatorResponse): EmulatorResponse => ({ ...response, headers: { ...response.headers, ...quota.headers } });
  if (!quota.allowed) return answer(argRateLimiting());

  const body = (req.body ?? {}) as QueryBody;
  if (typeof body !== 'object' || typeof body.query !== 'string' || body.query.trim() === '') {
    return answer(badRequest('InvalidRequestContent', "The request content was invalid: the 'query' property is required."));
  }
  if (body.subscriptions !== undefined && (!Array.isArray(body.subscriptions) || !body.subscriptions.every((s) => typeof s === 'string'))) {
    return answer(badRequest('InvalidRequestContent', "The request content was invalid: 'subscriptions' must be an array of strings."));
  }
  const options = body.options ?? {};
  const top = options.$top;
  if (top !== undefined && (!Number.isInteger(top) || (top as number) < 1 || (top as number) > MAX_TOP)) {
    return answer(badRequest('InvalidParameterValue', `The value '${String(top)}' of '$top' is out of range. It must be between 1 and ${MAX_TOP}.`));
  }
  const skip = options.$skip;
  if (skip !== undefined && (!Number.isInteger(skip) || (skip as number) < 0)) {
    return answer(badRequest('InvalidParameterValue', `The value '${String(skip)}' of '$skip' must be a non-negative integer.`));
  }
  const format = options.resultFormat ?? 'objectArray';
  if (format !== 'objectArray' && format !== 'table') {
    return answer(badRequest('InvalidParameterValue', `Unsupported resultFormat '${String(format)}'. Use 'objectArray' or 'table'.`));
  }

  let query: KqlQuery;
  try {
    query = parseKql(body.query);
  } catch (error) {
    if (error instanceof KqlSyntaxError) return answer(invalidQuery(error));
    throw error;
  }

  // Scope: named subscriptions (a forbidden one fails the whole query), else every readable subscription.
  const named = body.subscriptions as string[] | undefined;
  for (const id of named ?? []) {
    if (ctx.state.subscription(id)?.access === 'forbidden') {
      return answer(authorizationFailed(call.principal, 'Microsoft.ResourceGraph/resources/read', `/subscriptions/${id}`));
    }
  }
  const readable = ctx.state
    .subscriptions()
    .filter((sub) => sub.access === 'read' && (!named || named.some((id) => sameId(id, sub.id))))
    .map((sub) => sub.id);

  ctx.operations.settle();
  const clusterRows = ctx.state.clusters().filter((ref) => readable.includes(ref.subscription.id)).map((ref) => resourceRow(ctx.state, ref));
  let result;
  try {
    result = evaluateKql(query, {
      resources: { columns: RESOURCE_COLUMNS, rows: clusterRows },
      resourcecontainers: { columns: RESOURCE_CONTAINER_COLUMNS, rows: resourceContainerRows(ctx.state, readable) },
    });
  } catch (error) {
    if (error instanceof KqlSyntaxError) return answer(invalidQuery(error));
    throw error;
  }

  // Paging (§1.3): explicit $top/$skip override what the token carries.
  const binding = { q: hash(body.query), s: hash(named ? named.map((id) => id.toLowerCase()).sort().join(',') : '<tenant>') };
  let offset = 0;
  let pageSize = MAX_TOP;
  if (typeof options.$skipToken === 'string' && options.$skipToken !== '') {
    const token = decodeSkipToken(options.$skipToken);
    if (!token || token.queryHash !== binding.q || token.scopeHash !== binding.s) {
      return answer(badRequest('InvalidSkipToken', 'The $skipToken is invalid or was issued for a different query or scope.'));
    }
    offset = token.RowsToSkip;
    pageSize = token.MaxRows;
  }
  if (typeof top === 'number') pageSize = top;
  if (typeof skip === 'number') offset = skip;

  const page = result.rows.slice(offset, offset + pageSize);
  const more = !result.truncated && offset + page.length < result.rows.length;
  const data =
    format === 'table'
      ? { columns: result.columns, rows: page.map((row) => result.columns.map((column) => row[column.name] ?? null)) }
      : page;
  return answer(
    json(200, {
      totalRecords: result.rows.length,
      count: page.length,
      resultTruncated: result.truncated ? 'true' : 'false',
      ...(more ? { $skipToken: encodeSkipToken({ RowsToSkip: offset + page.length, MaxRows: pageSize, queryHash: binding.q, scopeHash: binding.s }) } : {}),
      data,
      facets: [],
    }),
  );
}

/** The standard ARG columns (§2.1); `resourceRow` fills exactly these. */
const RESOURCE_COLUMNS = [
  'id', 'name', 'type', 'tenantId', 'kind', 'location', 'resourceGroup', 'subscriptionId', 'managedBy',
  'sku', 'plan', 'properties', 'tags', 'identity', 'zones', 'extendedLocation',
];
const RESOURCE_CONTAINER_COLUMNS = [
  'id', 'name', 'type', 'tenantId', 'kind', 'location', 'resourceGroup', 'subscriptionId', 'managedBy', 'tags', 'properties',
];

interface SkipToken {
  RowsToSkip: number;
  MaxRows: number;
  queryHash: string;
  scopeHash: string;
}

/** Looks like the real token (base64 JSON with `$id`, `MaxRows`, `RowsToSkip`) plus the query/scope binding. */
function encodeSkipToken(token: SkipToken): string {
  return Buffer.from(JSON.stringify({ $id: '1', ...token })).toString('base64');
}

function decodeSkipToken(text: string): SkipToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Partial<SkipToken>;
    if (!Number.isInteger(token.RowsToSkip) || !Number.isInteger(token.MaxRows)) return undefined;
    return token as SkipToken;
  } catch {
    return undefined;
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function badRequest(code: string, message: string): EmulatorResponse {
  return armError(400, 'BadRequest', supportMessage(), { details: [{ code, message }] });
}

/** 400 as ARG answers unparseable KQL: InvalidQuery + a ParserFailure-style detail (azure-wire.md §1.5). */
function invalidQuery(error: KqlSyntaxError): EmulatorResponse {
  return armError(400, 'BadRequest', supportMessage(), {
    details: [
      { code: 'InvalidQuery', message: 'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.' },
      {
        code: error.code,
        message: error.code === 'ParserFailure' ? 'ParserFailure' : error.message,
        line: error.line,
        characterPositionInLine: error.column,
        token: error.token,
        expectedToken: error.expectedToken,
      },
    ],
  });
}
