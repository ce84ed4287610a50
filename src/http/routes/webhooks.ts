import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { WEBHOOK_EVENTS } from '../../domain/webhook-alerts.js';
import type { WebhookService } from '../../services/webhook-service.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, Nullable, page, PageQuery } from '../schemas/common.js';

const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);

const DeliverySchema = Type.Object({
  id: Type.String(),
  event: Type.Enum([...WEBHOOK_EVENTS]),
  alertStatus: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  summary: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  createdAt: DateTime,
  nextAttemptAt: Nullable(DateTime),
  lastAttemptAt: Nullable(DateTime),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(DateTime),
});

export interface WebhookRouteDeps {
  readonly webhooks: Pick<WebhookService, 'list'>;
}

/** The webhook outbox, for an admin to see what was sent, what waits for a retry and what failed (docs/webhooks.md). */
export const webhookRoutes =
  (deps: WebhookRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/webhooks/deliveries',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Webhook deliveries, newest first, with their attempts and last outcome',
          querystring: Type.Object({ ...PageQuery, status: Type.Optional(DeliveryStatus) }, { additionalProperties: false }),
          response: { 200: page(DeliverySchema), ...errorResponses },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 100;
        const cursor = decodeCursor<{ seq: number }>(request.query.cursor, { seq: 'number' });
        const rows = deps.webhooks.list(cursor?.seq ?? null, limit + 1, request.query.status ?? null);
        const shown = rows.slice(0, limit);
        return { items: shown.map(({ seq: _seq, ...delivery }) => delivery), nextCursor: rows.length > limit ? encodeCursor({ seq: shown.at(-1)!.seq }) : null };
      },
    );
  };
