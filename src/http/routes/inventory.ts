import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { invalidInput } from '../../domain/errors.js';
import { formatPoolSort, parsePoolSort, POOL_SORT_FIELDS, POOL_SORT_PATTERN, sortValueOf, type PoolSort, type SortValue } from '../../domain/pool-order.js';
import type { FleetPageItem } from '../../services/fleet-evaluation.js';
import type { ComplianceTrend } from '../../services/compliance-trend.js';
import type { InventoryService } from '../../services/inventory-service.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, page, PageQuery } from '../schemas/common.js';
import { ClusterSchema, PoolHistoryItemSchema, PoolSchema, PoolStatus } from '../schemas/inventory.js';

export interface InventoryRouteDeps {
  readonly inventory: InventoryService;
  readonly complianceTrend: ComplianceTrend;
}

const StateQuery = {
  asOf: Type.Optional(DateTime),
  subscriptionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  ...PageQuery,
};

/** A page cursor pins the snapshot (`s`) and the moment (`t`, epoch ms) the first page was evaluated at. */
type Cursor = { k: string; s: number; t: number };

export const inventoryRoutes =
  (deps: InventoryRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/clusters',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Clusters as last observed at asOf (default now)',
          querystring: Type.Object(StateQuery, { additionalProperties: false }),
          response: { 200: page(ClusterSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit = 100, cursor, asOf, subscriptionId } = request.query;
        const position = decodeCursor<Cursor>(cursor, { k: 'string', s: 'number', t: 'number' });
        const at = evaluatedAt(asOf, position);
        const { snapshotId, at: evaluated, items } = deps.inventory.clusters({
          ...(at ? { asOf: at } : {}),
          ...(subscriptionId ? { subscriptionId } : {}),
          ...(position ? { snapshotId: position.s, afterKey: position.k } : {}),
          limit: limit + 1,
        });
        return pageOf(items, limit, snapshotId, evaluated, (cluster) => {
          const { key: _key, upgradeChannel: _channel, ...view } = cluster;
          return view;
        });
      },
    );

    app.get(
      '/api/v1/pools',
      {
        config: { access: 'auditor' },
        schema: {
          summary: "Each node pool's state and drift at asOf (default now)",
          querystring: Type.Object(
            {
              ...StateQuery,
              clusterId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
              status: Type.Optional(PoolStatus),
              scope: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
              sort: Type.Optional(
                Type.String({
                  pattern: POOL_SORT_PATTERN,
                  description: `order by this field (a leading "-": descending): ${POOL_SORT_FIELDS.join(', ')}; pools without a value last either way, ties by pool id; default: by pool id`,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: page(PoolSchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { limit = 100, cursor, asOf, subscriptionId, clusterId, status, scope, sort } = request.query;
        const order = sort === undefined ? null : parsePoolSort(sort);
        const position = decodePoolCursor(cursor, order);
        const at = evaluatedAt(asOf, position);
        const query = {
          ...(at ? { asOf: at } : {}),
          ...(subscriptionId ? { subscriptionId } : {}),
          ...(clusterId ? { clusterId } : {}),
          ...(status ? { status } : {}),
          ...(scope ? { scope } : {}),
          ...(position ? { snapshotId: position.s } : {}),
          limit: limit + 1,
        };
        const { snapshotId, at: evaluated, items } =
          order === null
            ? deps.inventory.pools({ ...query, ...(position ? { afterKey: position.k } : {}) })
            : deps.inventory.sortedPools({ ...query, sort: order, ...(position ? { after: { key: position.k, value: position.value } } : {}) });
        // JSON bytes of the 200 schema (see poolPage): Fastify sends a Buffer as it is.
        return reply.type('application/json; charset=utf-8').send(poolPage(reply, items, limit, snapshotId, evaluated, order) as never);
      },
    );

    app.get(
      '/api/v1/pools/:id/history',
      {
        config: { access: 'auditor' },
        schema: {
          summary: "One pool's image history, newest first: every snapshot at which its node image, its group's latest image, its Kubernetes version or its node count changed",
          params: Type.Object({
            id: Type.String({ minLength: 1, maxLength: 1024, description: "the pool's ARM id (…/managedClusters/<cluster>/agentPools/<pool>), URL-encoded as one segment; any case" }),
          }),
          querystring: Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime), ...PageQuery }, { additionalProperties: false }),
          response: { 200: page(PoolHistoryItemSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { from, to, cursor, limit = 100 } = request.query;
        const fromAt = from === undefined ? undefined : parseBound('from', from);
        const toAt = to === undefined ? undefined : parseBound('to', to);
        if (fromAt && toAt && fromAt > toAt) throw invalidInput('invalid_period', 'from is after to', { from, to });
        const position = decodeCursor<{ s: number }>(cursor, { s: 'number' });
        const { items, more } = deps.inventory.poolHistory(request.params.id, {
          ...(fromAt ? { from: fromAt } : {}),
          ...(toAt ? { to: toAt } : {}),
          ...(position ? { beforeSnapshotId: position.s } : {}),
          limit,
        });
        return { items, nextCursor: more ? encodeCursor({ s: items.at(-1)!.snapshotId }) : null };
      },
    );
  };

const Counts = Type.Object({
  current: Type.Integer(),
  within_policy: Type.Integer(),
  non_compliant: Type.Integer(),
  excepted: Type.Integer(),
  unknown: Type.Integer(),
});
// Type lists rather than anyOf (see schemas/inventory.ts): serialised without a validation per value.
const Percent = Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, maximum: 100 });
export const SummarySchema = Type.Object({
  asOf: DateTime,
  scope: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  total: Type.Integer(),
  counts: Counts,
  compliancePercent: Percent,
  compliancePercentWithExceptions: Percent,
  bySubscription: Type.Array(
    Type.Object({
      subscriptionId: Type.String(),
      total: Type.Integer(),
      counts: Counts,
      compliancePercent: Percent,
      compliancePercentWithExceptions: Percent,
    }),
  ),
});

export const summaryRoute =
  (deps: InventoryRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/compliance/summary',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Pools by status and compliance percentages, overall and per subscription, at asOf (default now)',
          querystring: Type.Object(
            { asOf: Type.Optional(DateTime), scope: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
            { additionalProperties: false },
          ),
          response: { 200: SummarySchema, ...errorResponses },
        },
      },
      async (request) => {
        const { asOf, scope } = request.query;
        return deps.inventory.summary({ ...(asOf ? { asOf: parseInstant(asOf) } : {}), ...(scope ? { scope } : {}) });
      },
    );
  };

const TrendDaySchema = Type.Object({
  day: Type.String({ pattern: '^\d{4}-\d{2}-\d{2}$' }),
  at: DateTime,
  total: Type.Integer(),
  counts: Counts,
  compliancePercent: Percent,
  compliancePercentWithExceptions: Percent,
});
export const TrendSchema = Type.Object({ items: Type.Array(TrendDaySchema) });

/** GET /api/v1/compliance/trend: the summary's overall figures at the end of each of the last `days` UTC days. */
export const trendRoute =
  (deps: InventoryRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/compliance/trend',
      {
        config: { access: 'auditor' },
        schema: {
          summary: "Compliance by day: the summary's counts and percentages at 23:59:59Z of each of the last `days` UTC days (today: now), oldest first",
          querystring: Type.Object(
            { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 30 })), scope: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
            { additionalProperties: false },
          ),
          response: { 200: TrendSchema, ...errorResponses },
        },
      },
      async (request) => {
        const { days = 30, scope } = request.query;
        const now = deps.inventory.now();
        // An unknown scope is a 400 even before the first snapshot (the walk resolves it only where there are pools).
        if (scope !== undefined) deps.inventory.scopeSelector(scope, now);
        return { items: await deps.complianceTrend.trend({ days, now, ...(scope === undefined ? {} : { scope }) }) };
      },
    );
  };

function parseInstant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw invalidInput('invalid_as_of', `asOf is not a date-time: ${value}`);
  return at;
}

function parseBound(name: 'from' | 'to', value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw invalidInput('invalid_period', `${name} is not a date-time: ${value}`, { [name]: value });
  return at;
}

/** The moment a listing is evaluated at: the cursor's (every page alike), else `asOf`; unset means the service's now. */
function evaluatedAt(asOf: string | undefined, position: Cursor | null): Date | undefined {
  if (position) return new Date(position.t);
  return asOf ? parseInstant(asOf) : undefined;
}

const PoolItems = Type.Array(PoolSchema);
const serializedItems = new WeakMap<readonly FleetPageItem[], Buffer>();
const ITEMS_OPEN = Buffer.from('{"items":');

/**
 * A page of pools as JSON bytes. While the fleet's evaluation holds, the service answers a query with the very same
 * list (InventoryService.pools): it is serialised once, by the page schema's item schema (which writes the schema's
 * fields only, not `key`), and only the cursor, which carries the moment asked, is written per request.
 */
function poolPage(reply: FastifyReply, items: readonly FleetPageItem[], limit: number, snapshotId: number | null, at: Date, sort: PoolSort | null): Buffer {
  let json = serializedItems.get(items);
  if (json === undefined) {
    // Fastify types serialisers as taking objects; an array schema compiles and serialises the same way.
    json = Buffer.from(reply.compileSerializationSchema(PoolItems as never)(items.slice(0, limit) as never));
    serializedItems.set(items, json);
  }
  const more = items.length > limit && snapshotId !== null;
  const nextCursor = more ? poolCursor(items[limit - 1]!, snapshotId, at, sort) : null;
  return Buffer.concat([ITEMS_OPEN, json, Buffer.from(`,"nextCursor":${JSON.stringify(nextCursor)}}`)]);
}

/** Where the next page starts: after `last`, in the snapshot and at the moment of the first page. */
function poolCursor(last: FleetPageItem, snapshotId: number, at: Date, sort: PoolSort | null): string {
  const position = { k: last.key, s: snapshotId, t: at.getTime() };
  // A sorted listing's cursor also names its order and the last pool's sort value (JSON: a string, number or null).
  return encodeCursor(sort === null ? position : { ...position, o: formatPoolSort(sort), v: JSON.stringify(sortValueOf(sort.field, last[sort.field])) });
}

/**
 * A pools cursor: key order's (`k`, `s`, `t`), or a sorted listing's, which also carries its order (`o`) and the last
 * pool's sort value (`v`). Each continues only the listing it came from.
 */
function decodePoolCursor(cursor: string | undefined, order: PoolSort | null): (Cursor & { value: SortValue }) | null {
  if (order === null) {
    const position = decodeCursor<Cursor>(cursor, { k: 'string', s: 'number', t: 'number' }) as (Cursor & { o?: unknown }) | null;
    if (position?.o !== undefined) throw invalidInput('invalid_cursor', 'this cursor continues a sorted listing: send the same sort');
    return position === null ? null : { ...position, value: null };
  }
  const position = decodeCursor<Cursor & { o: string; v: string }>(cursor, { k: 'string', s: 'number', t: 'number', o: 'string', v: 'string' });
  if (position === null) return null;
  if (position.o !== formatPoolSort(order)) throw invalidInput('invalid_cursor', `this cursor continues the listing sorted by ${position.o}: send that sort`);
  let value: unknown;
  try {
    value = JSON.parse(position.v);
  } catch {
    value = undefined;
  }
  if (value !== null && typeof value !== 'string' && typeof value !== 'number') throw invalidInput('invalid_cursor', 'cursor is not one this API issued');
  return { ...position, value };
}

function pageOf<T extends { key: string }, R>(items: T[], limit: number, snapshotId: number | null, at: Date, view: (item: T) => R) {
  const shown = items.slice(0, limit);
  const more = items.length > limit && snapshotId !== null;
  return { items: shown.map(view), nextCursor: more ? encodeCursor({ k: shown.at(-1)!.key, s: snapshotId, t: at.getTime() }) : null };
}
