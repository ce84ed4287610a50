import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import Type from 'typebox';
import { clusterKey } from '../../domain/inventory.js';
import type { AccessRecorder } from '../../services/access-record.js';
import type { UpgradeService } from '../../services/upgrade-service.js';
import type { UpgradeEvidence } from '../../services/upgrade-evidence.js';
import type { UpgradeRepository } from '../../store/upgrade-repository.js';
import { toRunResponse } from '../../services/upgrade-view.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { DateTime, errorResponses, NoQuery, Nullable, PageQuery } from '../schemas/common.js';
import { Text } from '../schemas/exceptions.js';

const ActionBody = Type.Optional(Type.Object({ reason: Type.Optional(Text(2000)) }, { additionalProperties: false }));
const RunIdParams = Type.Object({ id: Type.String({ pattern: '^upg_[0-9a-f-]{36}$' }) });
const Verdict = Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('block')]);
const ErrorBody = Nullable(Type.Object({ code: Type.String(), message: Type.String() }));
const RunStatus = Type.Union([
  Type.Literal('pending_approval'),
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('aborted'),
  Type.Literal('blocked'),
  Type.Literal('expired'),
]);

export const RunSchema = Type.Object({
  id: Type.String(),
  status: RunStatus,
  clusterId: Type.String(),
  requestedBy: Type.String(),
  approvedBy: Nullable(Type.String()),
  abortRequestedBy: Nullable(Type.String({ description: 'who asked to abort the run (null: nobody)' })),
  reason: Type.String(),
  changeTicket: Nullable(Type.String()),
  createdAt: DateTime,
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
  error: ErrorBody,
  pools: Type.Array(
    Type.Object({
      poolName: Type.String(),
      status: Type.String(),
      imageBefore: Nullable(Type.String()),
      targetImage: Nullable(Type.String()),
      imageAfter: Nullable(Type.String()),
      kubernetesVersionBefore: Nullable(Type.String()),
      kubernetesVersionAfter: Nullable(Type.String()),
      operationId: Nullable(Type.String()),
      error: ErrorBody,
    }),
  ),
  prechecks: Type.Array(Type.Object({ name: Type.String(), verdict: Verdict, observed: Type.Record(Type.String(), Type.Unknown()) })),
});

const TimelineSchema = Type.Array(Type.Object({ sequence: Type.Integer(), event: Type.String(), at: DateTime, actor: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }));

export interface UpgradeRouteDeps {
  readonly upgradeService: UpgradeService;
  readonly upgradeRepo: UpgradeRepository;
  readonly upgradeEvidence: UpgradeEvidence;
  readonly recordAccess: AccessRecorder;
}

export const upgradeRoutes =
  (deps: UpgradeRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Open event streams end when the service shuts down (a run left running stays resumable; clients reconnect).
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });

    app.post(
      '/api/v1/upgrades',
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Request a recorded node-image-only upgrade (header Idempotency-Key); dryRun answers the plan',
          querystring: NoQuery,
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
          body: Type.Object(
            {
              clusterId: Type.String({ minLength: 1, maxLength: 1024 }),
              pools: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 12, pattern: '^[a-z][a-z0-9]{0,11}$' }), { minItems: 1, maxItems: 100 })),
              reason: Text(2000),
              changeTicket: Type.Optional(Text(256)),
              dryRun: Type.Optional(Type.Boolean()),
              overrideWindow: Type.Optional(Type.Object({ reason: Text(2000) }, { additionalProperties: false })),
              overrideBlocks: Type.Optional(Type.Object({ reason: Text(2000) }, { additionalProperties: false })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Record(Type.String(), Type.Unknown()), 202: Type.Object({ id: Type.String(), status: Type.String() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const result = await deps.upgradeService.request(request.body, request.principal!, request.headers['idempotency-key']);
        return reply.status(result.statusCode).send(result.body as never);
      },
    );

    app.get(
      '/api/v1/upgrades',
      {
        config: { access: 'auditor' },
        schema: {
          summary: 'Upgrade runs, newest first',
          querystring: Type.Object({ ...PageQuery, clusterId: Type.Optional(Type.String({ maxLength: 1024 })), status: Type.Optional(RunStatus) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(RunSchema), nextCursor: Nullable(Type.String()) }), ...errorResponses },
        },
      },
      async (request) => {
        const after = decodeCursor<{ at: string; id: string }>(request.query.cursor, { at: 'string', id: 'string' });
        const limit = request.query.limit ?? 100;
        const page = deps.upgradeRepo.list(after === null ? null : { createdAt: after.at, id: after.id }, limit + 1, {
          ...(request.query.clusterId ? { clusterKey: clusterKey(request.query.clusterId) } : {}),
          ...(request.query.status ? { status: request.query.status } : {}),
        });
        const items = page.slice(0, limit);
        return { items: items.map(toRunResponse), nextCursor: page.length > limit ? encodeCursor({ at: items.at(-1)!.createdAt, id: items.at(-1)!.id }) : null };
      },
    );

    app.get(
      '/api/v1/upgrades/:id',
      {
        config: { access: 'auditor' },
        schema: { summary: 'One run with its timeline (its ledger entries)', params: RunIdParams, querystring: NoQuery, response: { 200: Type.Intersect([RunSchema, Type.Object({ timeline: TimelineSchema })]), ...errorResponses } },
      },
      async (request) => ({ ...toRunResponse(deps.upgradeService.get(request.params.id)), timeline: deps.upgradeEvidence.timeline(request.params.id) }),
    );

    for (const action of ['approve', 'abort'] as const) {
      app.post(
        `/api/v1/upgrades/:id/${action}`,
        {
          config: { access: action === 'approve' ? 'admin' : 'operator' },
          schema: { summary: action === 'approve' ? 'Approve a run waiting for approval (an admin other than its requester)' : 'Abort a run (a running pool is cancelled in Azure)', params: RunIdParams, querystring: NoQuery, body: ActionBody, response: { 200: RunSchema, ...errorResponses } },
        },
        async (request) => toRunResponse(deps.upgradeService[action](request.params.id, request.principal!.actor, request.body?.reason ?? null)),
      );
    }

    app.get(
      '/api/v1/upgrades/:id/evidence',
      {
        config: { access: 'auditor' },
        schema: {
          summary: "The run's evidence (JSON) or its one-page certificate (PDF)",
          params: RunIdParams,
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pdf')])) }, { additionalProperties: false }),
          response: { 200: Type.Unsafe<Buffer | Readable | Record<string, unknown>>({}), ...errorResponses },
        },
      },
      async (request, reply) => {
        const run = deps.upgradeService.get(request.params.id);
        deps.recordAccess({ kind: 'evidence_exported', subject: `upgrade:${run.id}`, actor: request.principal!.actor, body: { export: 'upgrade_run', runId: run.id, format: request.query.format ?? 'json' } });
        if (request.query.format === 'pdf') {
          return reply.type('application/pdf').header('content-disposition', `attachment; filename="${run.id}-certificate.pdf"`).send(await deps.upgradeEvidence.certificate(run));
        }
        return deps.upgradeEvidence.bundle(run);
      },
    );

    app.get(
      '/api/v1/upgrades/:id/events',
      {
        config: { access: 'auditor' },
        schema: { summary: 'Live progress as Server-Sent Events (id: ledger sequence; Last-Event-ID resumes); ends after a terminal event', params: RunIdParams, querystring: NoQuery, response: errorResponses },
      },
      async (request, reply) => {
        deps.upgradeService.get(request.params.id);
        const lastEventId = Number(request.headers['last-event-id'] ?? 0);
        reply.hijack();
        await deps.upgradeEvidence.stream(request.params.id, Number.isSafeInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0, reply.raw, request.raw, () => closing);
      },
    );
  };
