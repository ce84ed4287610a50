import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExceptionRecord } from '../domain/exceptions.js';
import { evaluateAlerts, WEBHOOK_EVENTS } from '../domain/webhook-alerts.js';
import { alertConditions, FAILED_RUN_WINDOW_IN_MS, type DuePoolFact } from '../domain/webhook-conditions.js';
import { WEBHOOK_RETRY_POLICY, type WebhookRetryPolicy } from '../domain/webhook-retry.js';
import { writeTransaction, type Db } from '../store/database.js';
import { createWebhookRepository, type DeliveryStatus } from '../store/webhook-repository.js';
import type { InventoryService } from './inventory-service.js';
import { createWebhookSender, type AttemptOutcome, type WebhookTarget } from './webhook-sender.js';

export interface WebhookServiceOptions {
  readonly retryPolicy?: WebhookRetryPolicy;
  /** How long one attempt waits for an answer (default 10 s). */
  readonly timeoutInMs?: number;
  /** The jitter's source, in [0, 1) (tests fix it). */
  readonly random?: () => number;
  /** How long one walk over the fleet's pools serves while no snapshot or exception decision changed it (default 5 min). */
  readonly fleetCacheTtlInMs?: number;
}

export interface WebhookServiceDeps {
  readonly db: Db;
  /** Null when IMAGEWARDEN_WEBHOOK_URL is unset: nothing is evaluated or sent; past deliveries can still be listed. */
  readonly target: WebhookTarget | null;
  readonly inventory: Pick<InventoryService, 'evaluateAt'>;
  readonly exceptions: { all(): ExceptionRecord[] };
  readonly now: () => Date;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Each attempt's outcome (the metric); `by` 0 makes a series exist before its first attempt. */
  readonly onAttempt?: (event: string, outcome: AttemptOutcome, by?: number) => void;
  readonly options?: WebhookServiceOptions;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

/** The longest the delivery loop sleeps while deliveries are pending (a clock change cannot strand one). */
const MAX_SLEEP_IN_MS = 60_000;

/**
 * Signed webhooks for the alert rules' conditions: `evaluate()` compares what holds now with the stored alert state
 * and, in the same transaction, enqueues a delivery for each transition (the outbox); the delivery loop sends them
 * after the commit and retries on its own schedule. Only `serve` starts the loop.
 */
export function createWebhookService(deps: WebhookServiceDeps) {
  const repo = createWebhookRepository(deps.db);
  const options = deps.options ?? {};
  const sender =
    deps.target === null
      ? null
      : createWebhookSender({
          repo,
          target: deps.target,
          policy: options.retryPolicy ?? WEBHOOK_RETRY_POLICY,
          timeoutInMs: options.timeoutInMs ?? 10_000,
          now: deps.now,
          random: options.random ?? Math.random,
          logger: deps.logger,
          ...(deps.onAttempt ? { onAttempt: deps.onAttempt } : {}),
        });
  let ledger: { intact: boolean; at: string } | null = null;
  let fleetCache: { pools: DuePoolFact[]; inputs: string; at: number } | null = null;
  let started = false;
  let evaluationQueued = false;
  let timer: NodeJS.Timeout | null = null;
  let pass: Promise<number> | null = null;
  let again = false;
  const stopping = new AbortController();

  /** Every pool with a breach instant still ahead (or an unknown status), from one walk kept while its inputs stay the same. */
  function duePools(at: Date): DuePoolFact[] {
    const inputs = repo.fleetInputs();
    const ttl = options.fleetCacheTtlInMs ?? 5 * 60_000;
    if (fleetCache === null || fleetCache.inputs !== inputs || at.getTime() - fleetCache.at >= ttl || at.getTime() < fleetCache.at) {
      const atIso = at.toISOString();
      const pools: DuePoolFact[] = [];
      for (const { key, state, drift } of deps.inventory.evaluateAt({ asOf: at })) {
        const unknown = drift.status === 'unknown';
        if (!unknown && (drift.breachAt === null || drift.breachAt <= atIso)) continue;
        const { clusterId, subscriptionId, poolName, nodeImageVersion } = state.pool;
        pools.push({ key, clusterId, subscriptionId, poolName, nodeImageVersion, latestNodeImageVersion: state.latestNodeImageVersion, breachAt: drift.breachAt, unknown });
      }
      fleetCache = { pools, inputs, at: at.getTime() };
    }
    return fleetCache.pools;
  }

  /** One source that cannot be read leaves its own alerts as they are, not the others. */
  function readOrNull<T>(what: string, read: () => T): T | null {
    try {
      return read();
    } catch (error) {
      deps.logger.warn({ err: error, source: what }, 'webhook conditions: could not read a source; its alerts stay as they are');
      return null;
    }
  }

  function evaluate(): { enqueued: number } {
    if (sender === null) return { enqueued: 0 };
    const at = deps.now();
    const atIso = at.toISOString();
    const { conditions, unknown, unknownKeys } = alertConditions({
      at,
      lastSucceededFleetSnapshotAt: repo.lastSucceededFleetSnapshotAt(),
      pools: readOrNull('pools', () => duePools(at)),
      exceptions: readOrNull('exceptions', () => deps.exceptions.all()),
      runs: repo.runs(new Date(at.getTime() - FAILED_RUN_WINDOW_IN_MS).toISOString()),
      ledger,
    });
    // The state change and its deliveries commit together: a crash leaves both or neither.
    const enqueued = writeTransaction(deps.db, () => {
      const transitions = evaluateAlerts({ at, conditions, unknown, unknownKeys, previous: repo.alerts() });
      for (const state of transitions.upserts) repo.upsertAlert(state, atIso);
      for (const key of transitions.removals) repo.removeAlert(key);
      return transitions.notifications.map(({ event, status, summary, details }) => {
        const id = randomUUID();
        const payload = JSON.stringify({ id, event, status, occurredAt: atIso, summary, details });
        repo.enqueue({ id, event, alertStatus: status, summary, payload, createdAt: atIso });
        return { deliveryId: id, event, status };
      });
    });
    for (const delivery of enqueued) deps.logger.info(delivery, 'webhook enqueued');
    if (enqueued.length > 0) wake(0);
    return { enqueued: enqueued.length };
  }

  /** One delivery pass at a time; a pass asked for while one runs follows it. */
  function deliverDue(): Promise<number> {
    if (sender === null) return Promise.resolve(0);
    if (pass !== null) {
      again = true;
      return pass;
    }
    pass = (async () => {
      let attempted = 0;
      try {
        do {
          again = false;
          attempted += await sender.deliverDue(stopping.signal);
        } while (again && !stopping.signal.aborted);
      } catch (error) {
        deps.logger.error({ err: error }, 'webhook delivery pass failed');
      } finally {
        pass = null;
      }
      if (started) {
        const next = repo.nextDueAt();
        if (next !== null) wake(Math.min(MAX_SLEEP_IN_MS, Math.max(0, Date.parse(next) - deps.now().getTime())));
      }
      return attempted;
    })();
    return pass;
  }

  function wake(delayInMs: number): void {
    if (!started || stopping.signal.aborted) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void deliverDue();
    }, delayInMs);
    timer.unref();
  }

  /** Evaluates soon (after a snapshot, an upgrade run or a verification ended), once however often asked. */
  function poke(): void {
    if (!started || evaluationQueued) return;
    evaluationQueued = true;
    setImmediate(() => {
      evaluationQueued = false;
      if (stopping.signal.aborted) return;
      try {
        evaluate();
      } catch (error) {
        deps.logger.error({ err: error }, 'webhook evaluation failed');
      }
    });
  }

  return {
    enabled: sender !== null,
    evaluate,
    deliverDue,
    poke,

    /** The outcome of a ledger verification: the one fact the alerts cannot read from the store. */
    ledgerVerified(intact: boolean): void {
      ledger = { intact, at: deps.now().toISOString() };
      poke();
    },

    /** Starts the delivery loop (serve): what a previous process left pending is sent now. */
    start(): void {
      if (sender === null || started) return;
      started = true;
      // Every event's outcomes exist from the start, at 0, so that `increase()` sees the first of each.
      for (const event of WEBHOOK_EVENTS) for (const outcome of ['delivered', 'retry', 'failed'] as const) deps.onAttempt?.(event, outcome, 0);
      wake(0);
      poke();
    },

    /** Stops the loop; an attempt in flight is cut short and stays pending (sent again after a restart). */
    async stop(): Promise<void> {
      started = false;
      stopping.abort();
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await pass;
    },

    list(before: number | null, limit: number, status: DeliveryStatus | null) {
      return repo.list(before, limit, status);
    },
  };
}
