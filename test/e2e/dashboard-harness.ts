import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { demoFleet } from '../../src/emulator/index.js';
import { runCli, serveEnv, startServe } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it): no browser is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the tests leave a screenshot of each page at each size (gitignored): look at them. */
export const SCREENSHOTS = join(ROOT, '.tmp', 'screenshots');

export type Role = 'auditor' | 'operator' | 'admin';

/** A pool as GET /api/v1/pools answers (the fields the browser tests compare). */
export interface ApiPool {
  clusterId: string;
  clusterName: string;
  poolName: string;
  status: string;
  nodeImageVersion: string | null;
  latestNodeImageVersion: string | null;
}

/** An upgrade run as GET /api/v1/upgrades/{id} answers (the fields the browser tests compare). */
export interface ApiRun {
  id: string;
  status: string;
  requestedBy: string;
  approvedBy: string | null;
  pools: { poolName: string; status: string; imageBefore: string | null; imageAfter: string | null; error: { code: string } | null }[];
  timeline: { event: string; actor: string }[];
}

export const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

const browsers: Browser[] = [];
afterEach(async () => {
  while (browsers.length > 0) await browsers.pop()!.close();
});

/** A headless chromium, closed after the test. */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  browsers.push(browser);
  return browser;
}

export interface Dashboard {
  readonly url: string;
  readonly keys: Record<Role, string>;
  /** The API, read with a key (what the page should show, asked directly). */
  api<T>(path: string, role?: Role): Promise<T>;
}

/**
 * The real service as `npm start` runs it (dist/, its own process) against the emulator's demo fleet, with one key
 * per role (`imagewarden keys create`) and one fleet snapshot taken (`imagewarden snapshot`). Stopped after the test.
 */
export async function startDashboard(
  options: {
    demo?: boolean;
    /** How long the emulator takes per pool upgrade (default 200 ms). */
    upgradeDurationMs?: number;
    /** More environment for serve and the CLI (a policy file, Entra ID settings). */
    env?: Record<string, string>;
  } = {},
): Promise<Dashboard> {
  const emulator = await startTestEmulator(demoFleet, options.upgradeDurationMs !== undefined ? { upgradeDurationMs: options.upgradeDurationMs } : {});
  const env = { ...serveEnv(emulator), ...(options.demo ? { IMAGEWARDEN_DEMO: '1' } : {}), ...options.env };
  const { url } = await startServe(env);
  const roles: Role[] = ['auditor', 'operator', 'admin'];
  // One CLI writer at a time: under a loaded CI machine, four processes contending for the write lock beside serve
  // made the setup itself flaky.
  const created = [];
  for (const role of roles) created.push(await runCli(['keys', 'create', '--role', role, '--name', `e2e-${role}`], env));
  const snapshot = await runCli(['snapshot'], env);
  expect(snapshot!.code, snapshot!.stderr).toBe(0);
  const keys = Object.fromEntries(
    created.map((result, i) => {
      expect(result.code, result.stderr).toBe(0);
      return [roles[i], result.stdout.trim().split('\n').at(-1)!];
    }),
  ) as Record<Role, string>;
  return {
    url,
    keys,
    async api<T>(path: string, role: Role = 'auditor') {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${keys[role]}` } });
      expect(response.status, path).toBe(200);
      return (await response.json()) as T;
    },
  };
}

/**
 * A fresh page (its own cookies) that fails the test on any script error or policy violation it reports; `context`:
 * more options for its browser context (e.g. accepting a stand-in authority's test certificate).
 */
export async function openPage(browser: Browser, size: keyof typeof SIZES = 'desktop', context: BrowserContextOptions = {}): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser.newContext({ viewport: SIZES[size], ...context })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A 401 from GET /api/v1/session before sign-in is how the page learns there is no session: expected.
    if (message.type() === 'error' && !/401 \(Unauthorized\)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}

export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * The page at both sizes, full length, as `.tmp/screenshots/<name>-<size>.png`, once nothing on it is still loading
 * (no `aria-busy`; a page that stays busy, e.g. a run in progress, is taken as it is after a few seconds).
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  // A locator, not waitForFunction: a string predicate is evaluated with eval, which the page's CSP refuses.
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.desktop);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules and best practices).
 * The script is evaluated through the browser's debugging protocol: the page's own policy allows no inline script.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)')) as AxeViolation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

/** A policy file (JSON) in a temporary directory, removed after the test: pass it as `IMAGEWARDEN_POLICY_FILE`. */
export function writePolicyFile(policy: Record<string, unknown>): string {
  const path = join(tempDir('imagewarden-policy-'), 'policy.json');
  writeFileSync(path, JSON.stringify(policy, null, 2));
  return path;
}

/** A POST to the API with a role's key (no status asserted: the caller checks it). */
export async function apiPost<T = unknown>(
  dashboard: Dashboard,
  path: string,
  role: Role,
  body: unknown = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${dashboard.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dashboard.keys[role]}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/**
 * A POST sent from inside the page, with its session cookie and CSRF token: what a forced request (a button the page
 * does not offer) would get.
 */
export async function postFromPage<T = unknown>(page: Page, path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  return (await page.evaluate(
    async ({ path, body, headers }) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken, ...headers }, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    },
    { path, body, headers },
  )) as { status: number; body: T };
}
