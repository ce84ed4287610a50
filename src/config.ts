import { isIP } from 'node:net';
import { resolve } from 'node:path';
import cron from 'node-cron';

/** Azure clouds imagewarden knows: default ARM endpoint, token audience and Entra ID authority for each. */
export const AZURE_CLOUDS = {
  AzurePublicCloud: {
    armEndpoint: 'https://management.azure.com',
    armScope: 'https://management.azure.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
  },
  AzureUSGovernment: {
    armEndpoint: 'https://management.usgovcloudapi.net',
    armScope: 'https://management.usgovcloudapi.net/.default',
    authorityHost: 'https://login.microsoftonline.us',
  },
  AzureChinaCloud: {
    armEndpoint: 'https://management.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    authorityHost: 'https://login.chinacloudapi.cn',
  },
} as const;
export type AzureCloudName = keyof typeof AZURE_CLOUDS;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly dataDir: string;
  readonly databaseFile: string;
  readonly host: string;
  readonly port: number;
  readonly armEndpoint: string;
  readonly armToken: string | null;
  readonly azureCloud: AzureCloudName;
  readonly armScope: string;
  readonly authorityHost: string;
  /** Subscriptions that must be covered; null = every subscription the identity can read. */
  readonly subscriptions: readonly string[] | null;
  readonly snapshotCron: string | null;
  readonly nodeCheckCron: string | null;
  readonly patchSlaDays: number;
  readonly policyFile: string | null;
  readonly maxExceptionDays: number;
  readonly retentionDays: number;
  readonly entraTenantId: string | null;
  readonly entraAudience: string | null;
  readonly entraAuthority: string;
  /**
   * Dashboard sign-in with Entra ID (authorization code flow with PKCE): the app registration's client id, its secret
   * when it is a confidential "Web" client (null: redeemed as a public client), and the scope asked for besides
   * `openid`. Null client id: the dashboard offers API keys only. Set only with the tenant and audience.
   */
  readonly entraClientId: string | null;
  readonly entraClientSecret: string | null;
  readonly entraScope: string | null;
  readonly logLevel: LogLevel;
  /** The checkpoint origin: names this ledger in every signed checkpoint (and its signing key). */
  readonly evidenceOrigin: string;
  /** Where each signed checkpoint is also appended, outside the database: file paths and http(s) URLs. */
  readonly evidenceWitnesses: readonly string[];
  /** The API key `imagewarden upgrade` (a client of the API) presents. */
  readonly apiKey: string | null;
  /** When set, `GET /metrics` needs `Authorization: Bearer <this token>`; unset, it is public. */
  readonly metricsToken: string | null;
  /** Set by `imagewarden demo`: everything this service reports is marked as demo data. */
  readonly demo: boolean;
  /** API requests per minute per credential (per client address without one); 0 = no limit (benchmarks). */
  readonly rateLimitPerMinute: number;
  /** Old-space size (MB) of the worker process each report is produced in; 0 = in the service's own process. */
  readonly reportHeapMB: number;
  /** Client secret credential from the standard AZURE_* variables, when all three are set. */
  readonly clientSecret: { tenantId: string; clientId: string; clientSecret: string } | null;
  /** Browser sessions (POST /api/v1/session): idle timeout (sliding) and absolute lifetime. */
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  /** Whose X-Forwarded-* headers count (Fastify's trustProxy): a hop count, or proxy addresses; false: nobody's. */
  readonly trustProxy: number | string | false;
  /** Signed webhooks (docs/webhooks.md): where they go and the HMAC secret; null when IMAGEWARDEN_WEBHOOK_URL is unset. */
  readonly webhook: { url: string; secret: string } | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses and validates every imagewarden setting from the environment, once, at start-up.
 * All problems are reported together, each naming its variable.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const httpsUrl = (name: string, fallback: string): string => {
    const raw = read(name) ?? fallback;
    try {
      const url = new URL(raw);
      if (url.protocol !== 'https:') problems.push(`${name}: must be an https:// URL, got "${raw}"`);
      return url.origin + url.pathname.replace(/\/+$/, '');
    } catch {
      problems.push(`${name}: not a valid URL: "${raw}"`);
      return fallback;
    }
  };
  const schedule = (name: string, fallback: string): string | null => {
    const raw = read(name) ?? fallback;
    if (raw.toLowerCase() === 'off') return null;
    if (!cron.validate(raw)) problems.push(`${name}: not a valid cron expression (or "off"): "${raw}"`);
    return raw;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name) ?? fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  };

  const cloudName = oneOf('IMAGEWARDEN_AZURE_CLOUD', Object.keys(AZURE_CLOUDS) as AzureCloudName[], 'AzurePublicCloud');
  const cloud = AZURE_CLOUDS[cloudName];

  let subscriptions: string[] | null = null;
  const rawSubscriptions = read('IMAGEWARDEN_SUBSCRIPTIONS');
  if (rawSubscriptions !== undefined) {
    subscriptions = [...new Set(rawSubscriptions.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
    const bad = subscriptions.filter((s) => !UUID.test(s));
    if (bad.length > 0) problems.push(`IMAGEWARDEN_SUBSCRIPTIONS: not subscription ids: ${bad.join(', ')}`);
    if (subscriptions.length === 0) problems.push('IMAGEWARDEN_SUBSCRIPTIONS: set but lists no subscription');
  }

  const host = read('IMAGEWARDEN_HOST') ?? '127.0.0.1';
  const dataDir = resolve(read('IMAGEWARDEN_DATA_DIR') ?? './data');
  const entraTenantId = read('IMAGEWARDEN_ENTRA_TENANT_ID') ?? null;
  const entraAudience = read('IMAGEWARDEN_ENTRA_AUDIENCE') ?? null;
  if ((entraTenantId === null) !== (entraAudience === null)) {
    problems.push('IMAGEWARDEN_ENTRA_TENANT_ID / IMAGEWARDEN_ENTRA_AUDIENCE: set both or neither');
  }
  // Tokens carry the tenant's id in `tid` and in their issuer, never its domain name: a domain here would refuse them all.
  if (entraTenantId !== null && !UUID.test(entraTenantId)) {
    problems.push(`IMAGEWARDEN_ENTRA_TENANT_ID: expected the directory (tenant) id, a GUID, got "${entraTenantId}"`);
  }

  const entraSignIn = entraSignInConfig(read, entraTenantId !== null && entraAudience !== null ? entraAudience : null, problems);

  const evidenceOrigin = read('IMAGEWARDEN_EVIDENCE_ORIGIN') ?? 'imagewarden/evidence';
  // A signed-note key name: printable, no spaces, no '+'.
  if (!/^[\x21-\x2a\x2c-\x7e]{1,200}$/.test(evidenceOrigin)) {
    problems.push(`IMAGEWARDEN_EVIDENCE_ORIGIN: printable ASCII without spaces or '+', got "${evidenceOrigin}"`);
  }
  const evidenceWitnesses = (read('IMAGEWARDEN_EVIDENCE_WITNESS') ?? '').split(',').map((w) => w.trim()).filter(Boolean);
  for (const witness of evidenceWitnesses) {
    const problem = witnessProblem(witness);
    if (problem !== null) problems.push(`IMAGEWARDEN_EVIDENCE_WITNESS: ${problem}`);
  }

  const tenantId = read('AZURE_TENANT_ID');
  const clientId = read('AZURE_CLIENT_ID');
  const secret = read('AZURE_CLIENT_SECRET');
  const clientSecret =
    tenantId !== undefined && clientId !== undefined && secret !== undefined
      ? { tenantId, clientId, clientSecret: secret }
      : null;

  // A bearer token: it must survive the Authorization header as one word, and be long enough not to be guessed.
  const metricsToken = read('IMAGEWARDEN_METRICS_TOKEN') ?? null;
  if (metricsToken !== null && !/^[\x21-\x7e]{16,512}$/.test(metricsToken)) {
    problems.push('IMAGEWARDEN_METRICS_TOKEN: expected 16 to 512 printable ASCII characters without spaces');
  }

  // 0 (in-process), or a cap a 40,000-pool report runs in at full speed (bench/report: under 128 MB live).
  const reportHeapMB = () => {
    const value = integer('IMAGEWARDEN_REPORT_HEAP_MB', 160, 0, 65_536);
    if (value !== 0 && value < 64) problems.push(`IMAGEWARDEN_REPORT_HEAP_MB: 0 (in-process) or at least 64, got ${value}`);
    return value;
  };
  const webhook = webhookConfig(read('IMAGEWARDEN_WEBHOOK_URL'), read('IMAGEWARDEN_WEBHOOK_SECRET'), problems);
  const config: Config = {
    dataDir,
    databaseFile: resolve(dataDir, 'imagewarden.db'),
    host,
    port: integer('IMAGEWARDEN_PORT', 8080, 0, 65535),
    armEndpoint: httpsUrl('IMAGEWARDEN_ARM_ENDPOINT', cloud.armEndpoint),
    armToken: read('IMAGEWARDEN_ARM_TOKEN') ?? null,
    azureCloud: cloudName,
    armScope: cloud.armScope,
    authorityHost: httpsUrl('AZURE_AUTHORITY_HOST', cloud.authorityHost),
    subscriptions,
    snapshotCron: schedule('IMAGEWARDEN_SNAPSHOT_CRON', '0 * * * *'),
    nodeCheckCron: schedule('IMAGEWARDEN_NODE_CHECK_CRON', '30 3 * * *'),
    patchSlaDays: integer('IMAGEWARDEN_PATCH_SLA_DAYS', 30, 1, 3650),
    policyFile: read('IMAGEWARDEN_POLICY_FILE') ?? null,
    maxExceptionDays: integer('IMAGEWARDEN_MAX_EXCEPTION_DAYS', 90, 1, 3650),
    retentionDays: integer('IMAGEWARDEN_RETENTION_DAYS', 400, 1, 36500),
    entraTenantId,
    entraAudience,
    entraAuthority: httpsUrl('IMAGEWARDEN_ENTRA_AUTHORITY', 'https://login.microsoftonline.com'),
    ...entraSignIn,
    logLevel: oneOf('IMAGEWARDEN_LOG_LEVEL', LOG_LEVELS, 'info'),
    evidenceOrigin,
    evidenceWitnesses,
    demo: read('IMAGEWARDEN_DEMO') === '1',
    apiKey: read('IMAGEWARDEN_API_KEY') ?? null,
    metricsToken,
    reportHeapMB: reportHeapMB(),
    rateLimitPerMinute: integer('IMAGEWARDEN_RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
    sessionIdleMinutes: integer('IMAGEWARDEN_SESSION_IDLE_MINUTES', 30, 1, 1440),
    sessionMaxHours: integer('IMAGEWARDEN_SESSION_MAX_HOURS', 8, 1, 168),
    trustProxy: trustProxyConfig(read('IMAGEWARDEN_TRUST_PROXY'), problems),
    clientSecret,
    webhook,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * IMAGEWARDEN_ENTRA_CLIENT_ID / _CLIENT_SECRET / _SCOPE: dashboard sign-in with Entra ID. The client id is the app
 * registration's (a GUID); it needs the tenant and audience, whose tokens the sign-in ends with. A secret or scope
 * without a client id is refused (a typo in its name would silently turn sign-in off). Messages never repeat the secret.
 */
function entraSignInConfig(
  read: (name: string) => string | undefined,
  audience: string | null,
  problems: string[],
): Pick<Config, 'entraClientId' | 'entraClientSecret' | 'entraScope'> {
  const clientId = read('IMAGEWARDEN_ENTRA_CLIENT_ID') ?? null;
  const clientSecret = read('IMAGEWARDEN_ENTRA_CLIENT_SECRET') ?? null;
  const scope = read('IMAGEWARDEN_ENTRA_SCOPE') ?? null;
  const none = { entraClientId: null, entraClientSecret: null, entraScope: null };
  if (clientId === null) {
    if (clientSecret !== null) problems.push('IMAGEWARDEN_ENTRA_CLIENT_SECRET: set without IMAGEWARDEN_ENTRA_CLIENT_ID');
    if (scope !== null) problems.push('IMAGEWARDEN_ENTRA_SCOPE: set without IMAGEWARDEN_ENTRA_CLIENT_ID');
    return none;
  }
  const before = problems.length;
  if (audience === null) problems.push('IMAGEWARDEN_ENTRA_CLIENT_ID: needs IMAGEWARDEN_ENTRA_TENANT_ID and IMAGEWARDEN_ENTRA_AUDIENCE (sign-in ends with their tokens)');
  if (!UUID.test(clientId)) problems.push(`IMAGEWARDEN_ENTRA_CLIENT_ID: expected the application (client) id, a GUID, got "${clientId}"`);
  if (clientSecret !== null && !/^[\x21-\x7e]{1,1024}$/.test(clientSecret)) problems.push('IMAGEWARDEN_ENTRA_CLIENT_SECRET: expected up to 1024 printable ASCII characters without spaces');
  // Space-separated scope values (RFC 6749 §3.3); `openid` is always asked for besides them.
  if (scope !== null && !/^[\x21\x23-\x5b\x5d-\x7e]{1,512}( [\x21\x23-\x5b\x5d-\x7e]{1,512})*$/.test(scope)) {
    problems.push(`IMAGEWARDEN_ENTRA_SCOPE: expected space-separated scopes (e.g. api://imagewarden/.default), got "${scope}"`);
  }
  if (problems.length > before || audience === null) return none;
  return { entraClientId: clientId.toLowerCase(), entraClientSecret: clientSecret, entraScope: scope ?? `${audience.replace(/\/+$/, '')}/.default` };
}

/**
 * The webhook target: an https:// URL (http:// only on loopback) and a secret long enough that its HMAC cannot be
 * guessed. A secret without a URL is refused too (a typo in the URL's name would silently turn webhooks off).
 * Messages never repeat the secret.
 */
function webhookConfig(url: string | undefined, secret: string | undefined, problems: string[]): Config['webhook'] {
  if (url === undefined) {
    if (secret !== undefined) problems.push('IMAGEWARDEN_WEBHOOK_SECRET: set without IMAGEWARDEN_WEBHOOK_URL');
    return null;
  }
  // Only the scheme and host are repeated: a webhook URL's path often carries a token of its own.
  const parsed = URL.canParse(url) ? new URL(url) : null;
  let problem: string | null = null;
  if (parsed === null || !['https:', 'http:'].includes(parsed.protocol)) problem = 'not an http(s) URL';
  else if (parsed.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
    problem = `use https:// (plain http only on loopback), got http://${parsed.host}/…`;
  }
  if (problem !== null) problems.push(`IMAGEWARDEN_WEBHOOK_URL: ${problem}`);
  if (secret === undefined) problems.push('IMAGEWARDEN_WEBHOOK_SECRET: required when IMAGEWARDEN_WEBHOOK_URL is set');
  else if (!/^[\x21-\x7e]{32,1024}$/.test(secret)) {
    problems.push(`IMAGEWARDEN_WEBHOOK_SECRET: expected 32 to 1024 printable ASCII characters without spaces (e.g. openssl rand -hex 32), got ${secret.length} characters`);
  }
  return problem === null && secret !== undefined ? { url, secret } : null;
}

/**
 * IMAGEWARDEN_TRUST_PROXY: unset, no X-Forwarded-* header counts (the service is reached directly). Behind a
 * TLS-terminating proxy: the number of proxies in front (1 for one ingress), or their addresses and CIDR ranges
 * (also `loopback`, `linklocal`, `uniquelocal`). `true` (trust anyone) is refused: any client could then claim https
 * and another address.
 */
function trustProxyConfig(raw: string | undefined, problems: string[]): Config['trustProxy'] {
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops >= 1 && hops <= 10) return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const isRange = (entry: string) => {
    const [address, prefix, extra] = entry.split('/');
    if (extra !== undefined || isIP(address ?? '') === 0) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address!) === 4 ? 32 : 128));
  };
  const bad = entries.filter((entry) => !['loopback', 'linklocal', 'uniquelocal'].includes(entry) && !isRange(entry));
  if (entries.length === 0 || bad.length > 0) {
    problems.push(`IMAGEWARDEN_TRUST_PROXY: expected the number of proxies in front (1-10) or their addresses/CIDR ranges, comma-separated, got "${raw}"`);
    return false;
  }
  return entries.join(',');
}

/** A witness is an absolute file path, an https:// URL, or http:// on loopback (a local relay). */
function witnessProblem(witness: string): string | null {
  if (witness.startsWith('/')) return null;
  try {
    const url = new URL(witness);
    if (url.protocol === 'https:') return null;
    if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return null;
    return `"${witness}": use https:// (plain http only on loopback)`;
  } catch {
    return `"${witness}": neither an absolute file path nor a URL`;
  }
}
