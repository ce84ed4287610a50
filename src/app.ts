import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAuth, type Authenticator } from './http/plugins/auth.js';
import { answerFrameworkError, registerErrorHandler } from './http/plugins/error-handler.js';
import { createValidatorCompiler } from './http/validator.js';
import { evidenceRoutes, type EvidenceRouteDeps } from './http/routes/evidence.js';
import { reportRoutes, type ReportRouteDeps } from './http/routes/reports.js';
import { questionnaireRoutes, type QuestionnaireRouteDeps } from './http/routes/questionnaire.js';
import { upgradeRoutes, type UpgradeRouteDeps } from './http/routes/upgrades.js';
import { exceptionRoutes, type ExceptionRouteDeps } from './http/routes/exceptions.js';
import { findingRoutes, type FindingRouteDeps } from './http/routes/findings.js';
import { healthRoutes, type HealthDeps } from './http/routes/health.js';
import { inventoryRoutes, summaryRoute, type InventoryRouteDeps } from './http/routes/inventory.js';
import { keyRoutes, type KeyRouteDeps } from './http/routes/keys.js';
import { meRoutes } from './http/routes/me.js';
import { snapshotRoutes, type SnapshotRouteDeps } from './http/routes/snapshots.js';
import { nodeCheckRoutes, type NodeCheckRouteDeps } from './http/routes/node-checks.js';
import { metricsRoutes, type MetricsRouteDeps } from './http/routes/metrics.js';
import { webhookRoutes, type WebhookRouteDeps } from './http/routes/webhooks.js';
import { registerOpenApi } from './http/plugins/openapi.js';
import { registerHardening } from './http/plugins/hardening.js';
import { echoRequestId, requestIdOf } from './observability/request-id.js';

export type AppServices = HealthDeps &
  SnapshotRouteDeps &
  InventoryRouteDeps &
  KeyRouteDeps &
  ExceptionRouteDeps &
  FindingRouteDeps &
  EvidenceRouteDeps &
  ReportRouteDeps &
  QuestionnaireRouteDeps &
  UpgradeRouteDeps &
  NodeCheckRouteDeps &
  MetricsRouteDeps &
  WebhookRouteDeps & { readonly authenticator: Authenticator };

export interface BuildAppOptions {
  readonly services: AppServices;
  readonly logger?: FastifyBaseLogger | false;
  /** Requests per minute per credential (IMAGEWARDEN_RATE_LIMIT_PER_MINUTE); 0 or absent: no limit. */
  readonly rateLimitPerMinute?: number;
  /** Called for every registered route (the route-walk test uses it). */
  readonly onRoute?: (route: { method: string | string[]; url: string; access: string | undefined; schema: Record<string, unknown> | undefined }) => void;
}

/** Builds the HTTP API. No listen, no environment, no Azure: main.ts and the tests decide those. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 64 * 1024,
    // x-request-id when the caller sends a plain one, else a UUID: in every log line of the request, and echoed.
    requestIdHeader: false,
    genReqId: requestIdOf,
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(createValidatorCompiler());
  echoRequestId(app);
  // Before any route: the OpenAPI document learns them as they are registered.
  const apiDocs = await registerOpenApi(app);

  if (options.onRoute) {
    app.addHook('onRoute', (route) => options.onRoute!({ method: route.method, url: route.url, access: route.config?.access, schema: route.schema as Record<string, unknown> | undefined }));
  }
  registerErrorHandler(app);
  await registerHardening(app, { rateLimitPerMinute: options.rateLimitPerMinute ?? 0 });
  // An absent body is an empty object: `curl -X POST` with no data is a valid request where every field is optional.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && (request.method === 'POST' || request.method === 'PUT')) request.body = {};
  });
  registerAuth(app, options.services.authenticator);

  const { services } = options;
  await app.register(healthRoutes(services));
  await app.register(meRoutes());
  await app.register(snapshotRoutes(services));
  await app.register(inventoryRoutes(services));
  await app.register(summaryRoute(services));
  await app.register(keyRoutes(services));
  await app.register(exceptionRoutes(services));
  await app.register(findingRoutes(services));
  await app.register(evidenceRoutes(services));
  await app.register(reportRoutes(services));
  await app.register(questionnaireRoutes(services));
  await app.register(upgradeRoutes(services));
  await app.register(nodeCheckRoutes(services));
  await app.register(metricsRoutes(services));
  await app.register(webhookRoutes(services));
  await apiDocs.serve();
  return app;
}
