import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { invalidInput } from '../../domain/errors.js';
import type { InventoryService } from '../../services/inventory-service.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, page, PageQuery } from '../schemas/common.js';
import { ClusterSchema, PoolSchema, PoolStatus } from '../schemas/inventory.js';

export interface InventoryRouteDeps {
  readonly inventory: InventoryService;
}

const StateQuery = {
  asOf: Type.Optional(DateTime),
  subscriptionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  ...PageQuery,
};

type Cursor = { k: string; s: number };

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
        const position = decodeCursor<Cursor>(cursor, { k: 'string', s: 'number' });
        const { snapshotId, items } = deps.inventory.clusters({
          ...(asOf ? { asOf: parseInstant(asOf) } : {}),
          ...(subscriptionId ? { subscriptionId } : {}),
          ...(position ? { snapshotId: position.s, afterKey: position.k } : {}),
          limit: limit + 1,
        });
        return pageOf(items, limit, snapshotId, (cluster) => {
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
            { ...StateQuery, clusterId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })), status: Type.Optional(PoolStatus), scope: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
            { additionalProperties: false },
          ),
          response: { 200: page(PoolSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit = 100, cursor, asOf, subscriptionId, clusterId, status, scope } = request.query;
        if (scope !== undefined) throw invalidInput('unknown_scope', `no report scope named ${scope}`, { scope });
        const position = decodeCursor<Cursor>(cursor, { k: 'string', s: 'number' });
        const { snapshotId, items } = deps.inventory.pools({
          ...(asOf ? { asOf: parseInstant(asOf) } : {}),
          ...(subscriptionId ? { subscriptionId } : {}),
          ...(clusterId ? { clusterId } : {}),
          ...(position ? { snapshotId: position.s, afterKey: position.k } : {}),
          limit: limit + 1,
        });
        const filtered = status === undefined ? items : items.filter((pool) => pool.status === status);
        return pageOf(filtered, limit, snapshotId, ({ key: _key, ...view }) => view);
      },
    );
  };

function parseInstant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw invalidInput('invalid_as_of', `asOf is not a date-time: ${value}`);
  return at;
}

function pageOf<T extends { key: string }, R>(items: T[], limit: number, snapshotId: number | null, view: (item: T) => R) {
  const shown = items.slice(0, limit);
  const more = items.length > limit && snapshotId !== null;
  return { items: shown.map(view), nextCursor: more ? encodeCursor({ k: shown.at(-1)!.key, s: snapshotId }) : null };
}
