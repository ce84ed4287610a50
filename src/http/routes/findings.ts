import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { invalidInput } from '../../domain/errors.js';
import type { Finding, FindingsService } from '../../services/findings-service.js';
import { summariseRemediation } from '../../services/findings-service.js';
import type { InventoryService } from '../../services/inventory-service.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, Nullable, PageQuery } from '../schemas/common.js';
import { FindingSchema, Statistics } from '../schemas/findings.js';

export interface FindingRouteDeps {
  readonly findings: Pick<FindingsService, 'all' | 'now'>;
  readonly inventory: Pick<InventoryService, 'scopeSelector'>;
}

type Cursor = { i: number; t: number };

export const findingRoutes =
  (deps: FindingRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/findings',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Non-compliance episodes and coverage gaps, newest first, with remediation statistics',
          querystring: Type.Object(
            {
              state: Type.Optional(FindingSchema.properties.state),
              kind: Type.Optional(FindingSchema.properties.kind),
              subscriptionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              clusterId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: "the cluster's ARM id, any case" })),
              poolName: Type.Optional(Type.String({ minLength: 1, maxLength: 12, description: 'with clusterId: the findings of this pool' })),
              scope: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
              from: Type.Optional(DateTime),
              to: Type.Optional(DateTime),
              ...PageQuery,
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              items: Type.Array(FindingSchema),
              nextCursor: Nullable(Type.String()),
              statistics: Type.Intersect([Statistics, Type.Object({ bySubscription: Type.Array(Type.Intersect([Type.Object({ subscriptionId: Type.String() }), Statistics])) })]),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { state, kind, subscriptionId, clusterId, poolName, scope, from, to, cursor, limit = 100 } = request.query;
        if (from && to && Date.parse(from) > Date.parse(to)) throw invalidInput('invalid_period', 'from is after to', { from, to });
        if (poolName !== undefined && clusterId === undefined) throw invalidInput('pool_needs_cluster', 'poolName filters the pools of one cluster: give clusterId too');
        const position = decodeCursor<Cursor>(cursor, { i: 'number', t: 'number' });
        // Evaluated now (or at `to` when that is earlier), the same moment on every page.
        const now = deps.findings.now().getTime();
        const at = new Date(position ? position.t : Math.min(now, to ? Date.parse(to) : now));
        const selector = scope === undefined ? null : deps.inventory.scopeSelector(scope, at);
        // Findings overlapping [from, to]; statistics cover the same set, whatever the state filter and the page.
        const inWindow = deps.findings
          .all(at, selector, from ? new Date(from).toISOString() : undefined)
          .filter((f) => (!to || f.openedAt <= new Date(to).toISOString()) && (!from || f.closedAt === null || f.closedAt >= new Date(from).toISOString()))
          .filter((f) => (!kind || f.kind === kind) && (!subscriptionId || f.subscriptionId === subscriptionId.toLowerCase()))
          .filter((f) => (!clusterId || sameId(f.clusterId, clusterId)) && (!poolName || sameId(f.poolName, poolName)));
        const listed = state ? inWindow.filter((f) => f.state === state) : inWindow;
        const offset = position?.i ?? 0;
        const page = listed.slice(offset, offset + limit);
        return {
          items: page,
          nextCursor: offset + limit < listed.length ? encodeCursor({ i: offset + limit, t: at.getTime() }) : null,
          statistics: { ...summariseRemediation(inWindow), bySubscription: bySubscription(inWindow) },
        };
      },
    );
  };

function bySubscription(findings: readonly Finding[]) {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    if (finding.subscriptionId === null) continue;
    groups.set(finding.subscriptionId, [...(groups.get(finding.subscriptionId) ?? []), finding]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([subscriptionId, list]) => ({ subscriptionId, ...summariseRemediation(list) }));
}

const sameId = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();
