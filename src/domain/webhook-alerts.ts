/** The webhook events: the conditions of deploy/alerts.yaml, named in snake_case (docs/webhooks.md). */
export const WEBHOOK_EVENTS = [
  'snapshot_stale',
  'no_fleet_snapshot',
  'sla_breach_due',
  'exception_expiring',
  'upgrade_failed',
  'upgrade_awaiting_approval',
  'ledger_verification_failed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export type AlertStatus = 'firing' | 'resolved';

/** The no_fleet_snapshot rule's `for` (deploy/alerts.yaml). */
const NO_SNAPSHOT_FOR_IN_MS = 2 * 3_600_000;
/** At most this many pools or exceptions are listed in one delivery; `count` says how many there were. */
export const LIST_CAP = 100;

type Details = Readonly<Record<string, unknown>>;

/** A condition that holds now, for one subject: a pool, an exception, a run, or the service as a whole. */
export interface AlertCondition {
  /** `event` or `event:subject`: what the stored state is kept under. */
  readonly key: string;
  readonly event: WebhookEvent;
  readonly details: Details;
}

/** What the evaluator remembers between runs (stored in webhook_alerts). */
export interface AlertState {
  readonly key: string;
  readonly event: WebhookEvent;
  /** `pending` while a condition waits out its rule's `for` (only no_fleet_snapshot has one). */
  readonly state: 'pending' | 'firing';
  readonly since: string;
  readonly details: Details;
}

/** One delivery to make: a transition of one subject, or of a group of pools or exceptions seen in one run. */
export interface AlertNotification {
  readonly event: WebhookEvent;
  readonly status: AlertStatus;
  readonly summary: string;
  readonly details: Details;
}

export interface AlertTransitions {
  readonly upserts: readonly AlertState[];
  readonly removals: readonly string[];
  readonly notifications: readonly AlertNotification[];
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const clusterName = (clusterId: unknown) => String(clusterId).split('/').at(-1);

interface EventRule {
  /** How long a condition must hold before it fires (Prometheus `for`). */
  readonly forInMs: number;
  /** One-shot events (a failed run) fire and are forgotten, never resolved. */
  readonly resolves: boolean;
  /** Grouped events list every subject that changed in one run under this name: one delivery, not hundreds. */
  readonly list: string | null;
  /** What a resolved subject adds: why it left (e.g. the breach instant passed). */
  readonly onResolve?: (details: Details, at: string) => Details;
  readonly firing: (subjects: readonly Details[], firingCount: number) => string;
  readonly resolved: (subjects: readonly Details[], firingCount: number) => string;
}

const RULES: Record<WebhookEvent, EventRule> = {
  snapshot_stale: {
    forInMs: 0,
    resolves: true,
    list: null,
    firing: ([d]) => `No successful fleet snapshot for over 2 hours (the last one finished ${String(d?.lastSucceededAt)})`,
    resolved: ([d]) => `Fleet snapshots succeed again (the last one before finished ${String(d?.lastSucceededAt)})`,
  },
  no_fleet_snapshot: {
    forInMs: NO_SNAPSHOT_FOR_IN_MS,
    resolves: true,
    list: null,
    firing: () => 'No fleet snapshot has succeeded for 2 hours: imagewarden holds no evidence',
    resolved: () => 'A fleet snapshot has succeeded',
  },
  sla_breach_due: {
    forInMs: 0,
    resolves: true,
    list: 'pools',
    onResolve: (d, at) => ({ ...d, breached: typeof d.breachAt === 'string' && d.breachAt <= at }),
    firing: (s, all) => `${count(s.length, 'node pool')} will breach the patch SLA within 7 days (${all} in all)`,
    resolved: (s) => {
      const breached = s.filter((d) => d.breached === true).length;
      return `${count(s.length, 'node pool')} no longer due within 7 days: ${breached} breached the SLA, ${s.length - breached} upgraded, deleted or given a longer SLA`;
    },
  },
  exception_expiring: {
    forInMs: 0,
    resolves: true,
    list: 'exceptions',
    onResolve: (d, at) => ({ ...d, expired: typeof d.expiresAt === 'string' && d.expiresAt <= at }),
    firing: (s, all) => `${count(s.length, 'approved exception')} expire within 7 days (${all} in all)`,
    resolved: (s) => {
      const expired = s.filter((d) => d.expired === true).length;
      return `${count(s.length, 'exception')} no longer expiring within 7 days: ${expired} expired, ${s.length - expired} revoked`;
    },
  },
  upgrade_failed: {
    forInMs: 0,
    resolves: false,
    list: null,
    firing: ([d]) => `Upgrade run ${String(d?.runId)} on ${clusterName(d?.clusterId)} failed${d?.error ? `: ${String((d.error as { message?: unknown }).message)}` : ''}`,
    resolved: () => '',
  },
  upgrade_awaiting_approval: {
    forInMs: 0,
    resolves: true,
    list: null,
    firing: ([d]) => `Upgrade run ${String(d?.runId)} on ${clusterName(d?.clusterId)} has waited over an hour for an admin's approval`,
    resolved: ([d]) => `Upgrade run ${String(d?.runId)} on ${clusterName(d?.clusterId)} is no longer waiting for approval`,
  },
  ledger_verification_failed: {
    forInMs: 0,
    resolves: true,
    list: null,
    firing: () => 'The evidence ledger failed verification: treat it as possible tampering',
    resolved: () => 'The evidence ledger verified intact again',
  },
};

/**
 * Compares the conditions that hold now with the stored state: a condition that starts holding fires once (after
 * its rule's `for`), one that stops holding resolves once, one that keeps holding sends nothing. Pure: the caller
 * stores the upserts and removals together with the deliveries of the notifications.
 */
export function evaluateAlerts(input: {
  readonly at: Date;
  readonly conditions: readonly AlertCondition[];
  readonly unknown?: readonly WebhookEvent[];
  readonly unknownKeys?: readonly string[];
  readonly previous: readonly AlertState[];
}): AlertTransitions {
  const atIso = input.at.toISOString();
  const previous = new Map(input.previous.map((state) => [state.key, state]));
  const unknown = new Set(input.unknown ?? []);
  const unknownKeys = new Set(input.unknownKeys ?? []);
  const upserts: AlertState[] = [];
  const removals: string[] = [];
  const fired = new Map<WebhookEvent, Details[]>();
  const resolved = new Map<WebhookEvent, Details[]>();
  const add = (into: Map<WebhookEvent, Details[]>, event: WebhookEvent, details: Details) => into.set(event, [...(into.get(event) ?? []), details]);
  const firingCount = new Map<WebhookEvent, number>();
  const seen = new Set<string>();

  for (const condition of input.conditions) {
    if (seen.has(condition.key)) continue;
    seen.add(condition.key);
    const before = previous.get(condition.key);
    const rule = RULES[condition.event];
    const since = before?.since ?? atIso;
    const due = input.at.getTime() - Date.parse(since) >= rule.forInMs;
    const state = before?.state === 'firing' || due ? 'firing' : 'pending';
    if (state === 'firing') firingCount.set(condition.event, (firingCount.get(condition.event) ?? 0) + 1);
    if (state === 'firing' && before?.state !== 'firing') add(fired, condition.event, condition.details);
    // Details are kept current (a breach instant moved) without telling anyone: the condition still holds.
    if (before === undefined || before.state !== state || JSON.stringify(before.details) !== JSON.stringify(condition.details)) {
      upserts.push({ key: condition.key, event: condition.event, state, since, details: condition.details });
    }
  }
  for (const state of input.previous) {
    if (seen.has(state.key)) continue;
    // Facts that could not be read say nothing: the alert stays as it is, firing or not.
    if (unknown.has(state.event) || unknownKeys.has(state.key)) {
      if (state.state === 'firing') firingCount.set(state.event, (firingCount.get(state.event) ?? 0) + 1);
      continue;
    }
    removals.push(state.key);
    const rule = RULES[state.event] as EventRule | undefined;
    // A state of an event this version does not know (stored by a later one) is dropped without a message.
    if (rule === undefined) continue;
    if (state.state === 'firing' && rule.resolves) add(resolved, state.event, rule.onResolve?.(state.details, atIso) ?? state.details);
  }

  const notifications: AlertNotification[] = [];
  for (const event of WEBHOOK_EVENTS) {
    const rule = RULES[event];
    for (const [status, groups] of [['firing', fired], ['resolved', resolved]] as const) {
      const subjects = groups.get(event) ?? [];
      if (subjects.length === 0) continue;
      const all = firingCount.get(event) ?? 0;
      if (rule.list === null) {
        for (const details of subjects) notifications.push({ event, status, summary: rule[status]([details], all), details });
      } else {
        const details = { [rule.list]: subjects.slice(0, LIST_CAP), count: subjects.length, truncated: subjects.length > LIST_CAP, firingCount: all };
        notifications.push({ event, status, summary: rule[status](subjects, all), details });
      }
    }
  }
  return { upserts, removals, notifications };
}
