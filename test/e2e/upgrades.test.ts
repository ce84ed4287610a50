import { describe, expect, it } from 'vitest';
import { type ApiPool, launchBrowser, openPage, screenshots, seriousViolations, signIn, SIZES, startDashboard } from './dashboard-harness.js';

/** A demo pool ~60 days behind (non-compliant) on a running cluster with no maintenance window and no approval rule. */
const CLUSTER = 'aks-dev-weu-01';
const POOL = 'batch';
/** A whole test on a loaded CI machine (screenshots at two sizes, a live run): above vitest's 120 s default. */
const SLOW_MACHINE_TIMEOUT = 300_000;

async function demoPool(dashboard: { api<T>(path: string): Promise<T> }): Promise<ApiPool> {
  const pools = await dashboard.api<{ items: ApiPool[] }>('/api/v1/pools?limit=1000');
  const pool = pools.items.find((entry) => entry.clusterName === CLUSTER && entry.poolName === POOL);
  expect(pool, `${CLUSTER}/${POOL} in the demo fleet`).toBeDefined();
  return pool!;
}

describe('upgrades page in chromium', () => {
  it('an operator reviews the plan, starts a node-image upgrade, watches it live to success, and the pool turns current', async () => {
    // Each pool upgrade takes 3 s in the emulator: long enough to see the run running.
    const dashboard = await startDashboard({ demo: true, upgradeDurationMs: 3000 });
    const pool = await demoPool(dashboard);
    expect(pool.status).toBe('non_compliant');
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);

    await page.goto(`${dashboard.url}/ui/upgrades`);
    await signIn(page, dashboard.keys.operator);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Upgrades');
    await page.getByTestId('runs-empty').waitFor();

    await page.getByRole('link', { name: 'Start an upgrade' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Start a node-image upgrade');
    expect(new URL(page.url()).pathname).toBe('/ui/upgrades/new');
    // No admin overrides for an operator.
    expect(await page.getByLabel(/override/i).count()).toBe(0);
    // Review without a reason is refused before anything is sent.
    await page.getByLabel('Cluster').selectOption(pool.clusterId);
    await page.getByRole('checkbox', { name: new RegExp(`^${POOL} `) }).check();
    await page.getByRole('button', { name: 'Review' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Enter the reason for this upgrade.');

    await page.getByLabel('Reason (required)').fill('Monthly patching: batch pool out of policy');
    await page.getByLabel('Change ticket (optional)').fill('CHG-1042');
    await page.getByRole('button', { name: 'Review' }).click();
    const plan = page.getByTestId('plan');
    await plan.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('plan-status').textContent()).toMatch(/The run would be: Queued/);
    expect(await plan.textContent()).toMatch(/No pre-check blocks\./);
    const planRows = page.getByTestId('plan-pools').locator('tbody tr');
    expect(await planRows.count()).toBe(1);
    expect(await planRows.first().locator('th').textContent()).toBe(POOL);
    expect(await planRows.first().locator('td').nth(1).textContent()).toBe(pool.nodeImageVersion);
    expect(await planRows.first().locator('td').nth(2).textContent()).toBe(pool.latestNodeImageVersion);
    expect(await page.getByTestId('prechecks').locator('tbody tr').count()).toBeGreaterThan(3);
    expect(await plan.textContent()).toMatch(/no Kubernetes version changes/);
    // Nothing was stored by the review.
    expect((await dashboard.api<{ items: unknown[] }>('/api/v1/upgrades')).items).toEqual([]);
    await screenshots(page, 'upgrade-plan');

    await page.getByRole('button', { name: 'Start node-image upgrade' }).click();
    await expect.poll(() => new URL(page.url()).pathname, { timeout: 30_000 }).toMatch(/^\/ui\/upgrades\/upg_[0-9a-f-]{36}$/);
    const runId = new URL(page.url()).pathname.split('/').at(-1)!;
    const status = page.getByTestId('run-status');
    // Live: the page shows the run running (from the event stream), then succeeded, without a reload.
    await expect.poll(() => status.textContent(), { timeout: 30_000, interval: 100 }).toMatch(/^Running/);
    expect(await page.getByTestId('progress').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByRole('button', { name: 'Abort this upgrade' }).isVisible()).toBe(true);
    await screenshots(page, 'upgrade-running');
    await expect.poll(() => status.textContent(), { timeout: 60_000, interval: 200 }).toMatch(/^Succeeded/);
    await expect.poll(() => page.getByTestId('progress').locator('li').allTextContents()).toContainEqual(expect.stringMatching(/Completed/));
    expect(await page.getByTestId('progress').textContent()).toMatch(/The run has ended: succeeded\. 1 of 1 pools done\./);
    const row = page.getByTestId('run-pools').locator('tbody tr').first();
    expect(await row.locator('td').first().textContent()).toBe('Succeeded');
    expect(await row.locator('td').nth(3).textContent()).toBe(pool.latestNodeImageVersion);
    expect(await page.getByRole('button', { name: 'Abort this upgrade' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Download certificate (PDF)' }).getAttribute('href')).toBe(`/api/v1/upgrades/${runId}/evidence?format=pdf`);

    // The API agrees: the run succeeded with the operator as requester, and the pool is current.
    const run = await dashboard.api<{ status: string; requestedBy: string; changeTicket: string }>(`/api/v1/upgrades/${runId}`);
    expect(run).toMatchObject({ status: 'succeeded', requestedBy: 'key:e2e-operator', changeTicket: 'CHG-1042' });
    await expect.poll(async () => (await demoPool(dashboard)).status, { timeout: 30_000 }).toBe('current');
    await screenshots(page, 'upgrade-detail');

    // The list shows the run and its outcome.
    await page.getByRole('link', { name: 'Upgrades' }).first().click();
    await page.getByTestId('runs').waitFor();
    const listed = page.getByTestId('runs').locator('tbody tr').first();
    expect(await listed.locator('td').first().textContent()).toBe('Succeeded');
    expect(await listed.textContent()).toMatch(new RegExp(`${CLUSTER}${POOL}key:e2e-operator1 of 1 pools upgraded`));
    await screenshots(page, 'upgrades');
    expect(problems).toEqual([]);
  }, SLOW_MACHINE_TIMEOUT);

  it('an auditor sees no start, approve or abort control, and a forced start is a plain 403', async () => {
    const dashboard = await startDashboard({ demo: true });
    const browser = await launchBrowser();
    const { page } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/upgrades`);
    await signIn(page, dashboard.keys.auditor);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Upgrades');
    await page.getByTestId('runs-empty').waitFor();
    expect(await page.getByRole('link', { name: 'Start an upgrade' }).count()).toBe(0);
    // Only reading controls: sign out and the list's status filter.
    expect((await page.getByRole('button').allTextContents()).sort()).toEqual(['Apply filter', 'Sign out']);

    // The request itself, sent from the page with the auditor's session cookie and CSRF token: 403.
    const pool = await demoPool(dashboard);
    const forced = (await page.evaluate(async (clusterId) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const response = await fetch('/api/v1/upgrades', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken, 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ clusterId, reason: 'forced by an auditor' }),
      });
      return { status: response.status, body: await response.json() };
    }, pool.clusterId)) as { status: number; body: { error: { code: string; message: string } } };
    expect(forced.status).toBe(403);
    expect(forced.body.error.message.length).toBeGreaterThan(0);
    expect((await dashboard.api<{ items: unknown[] }>('/api/v1/upgrades')).items).toEqual([]);

    // The start page's address, opened by an auditor: a plain refusal, and no form.
    await page.goto(`${dashboard.url}/ui/upgrades/new`);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe(
      'Not allowed for your role: starting an upgrade needs the operator or admin role, and you are signed in as auditor.',
    );
    expect(await page.getByLabel('Cluster').count()).toBe(0);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await screenshots(page, 'upgrade-new-auditor');

    // A run requested by an operator: the auditor reads it, with no abort or approve button.
    const response = await fetch(`${dashboard.url}/api/v1/upgrades`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dashboard.keys.operator}`, 'content-type': 'application/json', 'idempotency-key': 'e2e-auditor-view' },
      body: JSON.stringify({ clusterId: pool.clusterId, pools: [POOL], reason: 'read by an auditor' }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await page.goto(`${dashboard.url}/ui/upgrades/${id}`);
    await page.getByTestId('run-status').waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
  }, SLOW_MACHINE_TIMEOUT);

  it('axe-core finds no serious or critical violation on the list, the start form with its plan, and a run, at both sizes', async () => {
    const dashboard = await startDashboard({ demo: true });
    const pool = await demoPool(dashboard);
    const response = await fetch(`${dashboard.url}/api/v1/upgrades`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dashboard.keys.operator}`, 'content-type': 'application/json', 'idempotency-key': 'e2e-axe' },
      body: JSON.stringify({ clusterId: pool.clusterId, pools: [POOL], reason: 'accessibility check', changeTicket: 'CHG-7' }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await expect.poll(async () => (await dashboard.api<{ status: string }>(`/api/v1/upgrades/${id}`)).status, { timeout: 30_000 }).toBe('succeeded');
    const browser = await launchBrowser();
    for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
      const { page, problems } = await openPage(browser, size);
      await page.goto(`${dashboard.url}/ui/upgrades`);
      await signIn(page, dashboard.keys.admin);
      await page.getByTestId('runs').waitFor();
      expect(await seriousViolations(page), `list ${size}`).toEqual([]);
      await page.goto(`${dashboard.url}/ui/upgrades/${id}`);
      await expect.poll(() => page.getByTestId('run-status').textContent()).toMatch(/^Succeeded/);
      expect(await seriousViolations(page), `detail ${size}`).toEqual([]);
      await page.goto(`${dashboard.url}/ui/upgrades/new`);
      await page.getByLabel('Cluster').selectOption(pool.clusterId);
      await page.getByLabel('Reason (required)').fill('review only');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByTestId('plan').waitFor({ timeout: 30_000 });
      expect(await seriousViolations(page), `start form and plan ${size}`).toEqual([]);
      if (size === 'desktop') await screenshots(page, 'upgrade-plan-admin');
      expect(problems).toEqual([]);
    }
  }, SLOW_MACHINE_TIMEOUT);
});
