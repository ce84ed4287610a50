import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { EntraSignInSettings } from './auth/entra-sign-in.js';
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
import { inventoryRoutes, summaryRoute, trendRoute, type InventoryRouteDeps } from './http/routes/inventory.js';
import { keyRoutes, type KeyRouteDeps } from './http/routes/keys.js';
import { meRoutes } from './http/routes/me.js';
import { sessionRoutes, type SessionRouteDeps } from './http/routes/session.js';
import { snapshotRoutes, type SnapshotRouteDeps } from './http/routes/snapshots.js';
import { nodeCheckRoutes, type NodeCheckRouteDeps } from './http/routes/node-checks.js';
import { metricsRoutes, type MetricsRouteDeps } from './http/routes/metrics.js';
import { webhookRoutes, type WebhookRouteDeps } from './http/routes/webhooks.js';
import { registerOpenApi } from './http/plugins/openapi.js';
import { registerHardening } from './http/plugins/hardening.js';
import { webPages } from './http/plugins/web-pages.js';
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
  WebhookRouteDeps &
  SessionRouteDeps & { readonly authenticator: Authenticator };

export interface BuildAppOptions {
  readonly services: AppServices;
  readonly logger?: FastifyBaseLogger | false;
  /** Requests per minute per credential (IMAGEWARDEN_RATE_LIMIT_PER_MINUTE); 0 or absent: no limit. */
  readonly rateLimitPerMinute?: number;
  /** Fastify's trustProxy (IMAGEWARDEN_TRUST_PROXY): whose X-Forwarded-* headers count; absent: nobody's. */
  readonly trustProxy?: number | string | false;
  /** The service runs `imagewarden demo` (config.demo): `GET /api/v1/me` says so, and the dashboard marks its data. */
  readonly demo?: boolean;
  /** Dashboard sign-in with Entra ID (entraSignInSettings(config)); absent or null: API keys only. */
  readonly entraSignIn?: EntraSignInSettings | null;
  /** Called for every registered route (the route-walk test uses it). */
  readonly onRoute?: (route: { method: string | string[]; url: string; access: string | undefined; schema: Record<string, unknown> | undefined }) => void;
}

/** Builds the HTTP API. No listen, no environment, no Azure: main.ts and the tests decide those. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 64 * 1024,
    // A pool's ARM id is one URL-encoded path segment (GET /api/v1/pools/{id}/history): up to ~400 characters.
    routerOptions: { maxParamLength: 1024 },
    // Off unless configured: X-Forwarded-Proto/-For from anyone else must not decide Secure cookies, origins or addresses.
    trustProxy: trustProxyOption(options.trustProxy ?? false),
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
  registerAuth(app, options.services.authenticator, options.services.sessionService);

  const { services } = options;
  await app.register(healthRoutes(services));
  // 10 failed sign-ins a minute per address while requests are rate-limited at all (0 switches both off).
  await app.register(sessionRoutes(services, { failedSignInsPerMinute: (options.rateLimitPerMinute ?? 0) > 0 ? 10 : 0, entraSignIn: options.entraSignIn ?? null }));
  await app.register(meRoutes({ demo: options.demo ?? false, maxExceptionDays: services.exceptionService.maxExceptionDays }));
  await app.register(snapshotRoutes(services));
  await app.register(inventoryRoutes(services));
  await app.register(summaryRoute(services));
  await app.register(trendRoute(services));
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
  // The web dashboard at /ui/ (public pages: their data comes from the API above, which authenticates).
  await app.register(webPages());
  await apiDocs.serve();
  return app;
}

/** A hop count as Fastify's function form (its types take no number), addresses and ranges as they are. */
function trustProxyOption(trust: number | string | false): string | boolean | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}
