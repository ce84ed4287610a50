import { describe, expect, it } from 'vitest';
import { type ApiPool, apiPost, type ApiRun, launchBrowser, openPage, postFromPage, screenshots, seriousViolations, signIn, startDashboard, writePolicyFile } from './dashboard-harness.js';

/**
 * The policy's upgrade rule: every run touching a pool of a production cluster (`env: prod`, the demo's tag) waits for
 * an admin other than its requester (docs/policy.md "Upgrade rules").
 */
const POLICY = {
  version: 1,
  upgrades: [{ name: 'prod-change-control', match: { tags: { env: 'prod' } }, requireApproval: true }],
};
/** A production demo cluster with no maintenance window: system ~60 days behind, payments ~10 days behind. */
const CLUSTER = 'aks-prod-weu-02';
/** Another production cluster, for a run an admin requests (and so may not approve). */
const OTHER_CLUSTER = 'aks-shared-neu-01';

const LONG = { timeout: 60_000, interval: 200 };
/** A whole test on a loaded CI machine (two browser contexts, screenshots at two sizes): above vitest's 120 s default. */
const SLOW_MACHINE_TIMEOUT = 300_000;
/** What the browser logs for the forced request's answer: expected once, nothing else may be logged. */
const FORCED_403 = 'console: Failed to load resource: the server responded with a status of 403 (Forbidden)';

async function poolsOf(dashboard: { api<T>(path: string): Promise<T> }, clusterName: string): Promise<ApiPool[]> {
  const pools = await dashboard.api<{ items: ApiPool[] }>('/api/v1/pools?limit=1000');
  return pools.items.filter((pool) => pool.clusterName === clusterName);
}

describe('upgrade approval in chromium', () => {
  it('an operator starts a run the policy holds for approval; it is not theirs to approve; an admin approves it from the run page and it completes', async () => {
    const dashboard = await startDashboard({ demo: true, upgradeDurationMs: 1000, env: { IMAGEWARDEN_POLICY_FILE: writePolicyFile(POLICY) } });
    const before = await poolsOf(dashboard, CLUSTER);
    expect(before.map((pool) => pool.poolName).sort()).toEqual(['payments', 'system']);
    expect(before.every((pool) => pool.status !== 'current')).toBe(true);
    const clusterId = before[0]!.clusterId;
    const browser = await launchBrowser();

    // The operator reviews the plan: it says the run will wait for approval, and why (the policy rule).
    const operator = await openPage(browser);
    const page = operator.page;
    await page.goto(`${dashboard.url}/ui/upgrades/new`);
    await signIn(page, dashboard.keys.operator);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), LONG).toBe('Start a node-image upgrade');
    await page.getByLabel('Cluster').selectOption(clusterId);
    await page.getByLabel('Reason (required)').fill('Monthly patching of the production payments cluster');
    await page.getByLabel('Change ticket (optional)').fill('CHG-2001');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByTestId('plan').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('plan-status').textContent()).toMatch(/The run would be: Needs approval — waits until an admin other than the requester approves it/);
    expect(await page.getByTestId('plan').textContent()).toMatch(/The run will wait for an admin other than you to approve it\./);
    const approvalCheck = page.getByTestId('prechecks').locator('tbody tr', { hasText: 'approval' });
    expect(await approvalCheck.textContent()).toMatch(/required: true; rule: prod-change-control/);

    await page.getByRole('button', { name: 'Start node-image upgrade' }).click();
    await expect.poll(() => new URL(page.url()).pathname, LONG).toMatch(/^\/ui\/upgrades\/upg_[0-9a-f-]{36}$/);
    const runId = new URL(page.url()).pathname.split('/').at(-1)!;
    const status = page.getByTestId('run-status');
    await expect.poll(() => status.textContent(), LONG).toMatch(/^Needs approval/);
    expect(await page.getByTestId('approval-note').textContent()).toBe(
      'Waiting for an admin other than key:e2e-operator to approve it (four eyes). Only an admin can approve.',
    );
    // Not offered an approve button (an operator may still abort their own request).
    expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Abort this upgrade' }).isVisible()).toBe(true);
    // Forced from the page with the operator's session: 403, and the run still waits.
    const forced = await postFromPage<{ error: { code: string } }>(page, `/api/v1/upgrades/${runId}/approve`);
    expect(forced.status).toBe(403);
    expect((await dashboard.api<ApiRun>(`/api/v1/upgrades/${runId}`)).status).toBe('pending_approval');
    expect(await seriousViolations(page), 'awaiting approval, operator').toEqual([]);
    await screenshots(page, 'upgrade-approval');

    // An admin (another browser context, its own session) finds the run in the list and approves it on its page.
    const admin = await openPage(browser);
    await admin.page.goto(`${dashboard.url}/ui/upgrades`);
    await signIn(admin.page, dashboard.keys.admin);
    await admin.page.getByTestId('runs').waitFor({ timeout: 60_000 });
    const listed = admin.page.getByTestId('runs').locator('tbody tr').first();
    expect(await listed.locator('td').first().textContent()).toBe('Needs approval');
    expect(await listed.textContent()).toMatch(/waiting for approval/);
    await listed.getByRole('link').click();
    await expect.poll(() => new URL(admin.page.url()).pathname, LONG).toBe(`/ui/upgrades/${runId}`);
    await expect.poll(() => admin.page.getByTestId('run-status').textContent(), LONG).toMatch(/^Needs approval/);
    expect(await admin.page.getByTestId('approval-note').textContent()).toMatch(/^Requested by key:e2e-operator\. Approving records you as the second person/);
    const approve = admin.page.getByRole('button', { name: 'Approve this upgrade' });
    expect(await approve.isVisible()).toBe(true);
    expect(await seriousViolations(admin.page), 'awaiting approval, admin').toEqual([]);
    await screenshots(admin.page, 'upgrade-approval-admin');
    await approve.click();

    // Both pages follow the run live to its end: approved, then run, then succeeded.
    await expect.poll(() => admin.page.getByTestId('run-status').textContent(), { timeout: 90_000, interval: 200 }).toMatch(/^Succeeded/);
    await expect.poll(() => status.textContent(), { timeout: 90_000, interval: 200 }).toMatch(/^Succeeded/);
    await expect.poll(() => page.getByTestId('progress').locator('li').allTextContents(), LONG).toContainEqual(expect.stringMatching(/Approved/));
    expect(await page.getByTestId('progress').textContent()).toMatch(/The run has ended: succeeded\. 2 of 2 pools done\./);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(await page.getByTestId('timeline').textContent()).toMatch(/Approved\s*key:e2e-admin/);
    const facts = await admin.page.locator('.upg-run-facts').textContent();
    expect(facts).toMatch(/Approvedkey:e2e-admin/);
    await screenshots(admin.page, 'upgrade-approved');

    // The API agrees: requested by the operator, approved by the admin, succeeded, and every pool is current.
    const run = await dashboard.api<ApiRun>(`/api/v1/upgrades/${runId}`);
    expect(run).toMatchObject({ status: 'succeeded', requestedBy: 'key:e2e-operator', approvedBy: 'key:e2e-admin' });
    expect(run.pools.map((pool) => pool.status)).toEqual(['succeeded', 'succeeded']);
    expect(run.timeline.find((entry) => entry.event === 'approved')?.actor).toBe('key:e2e-admin');
    await expect.poll(async () => (await poolsOf(dashboard, CLUSTER)).map((pool) => pool.status), LONG).toEqual(['current', 'current']);
    expect(operator.problems).toEqual([FORCED_403]);
    expect(admin.problems).toEqual([]);
  }, SLOW_MACHINE_TIMEOUT);

  it("four eyes: an admin's own request is not offered for approval on the page, and the API refuses it", async () => {
    const dashboard = await startDashboard({ demo: true, env: { IMAGEWARDEN_POLICY_FILE: writePolicyFile(POLICY) } });
    const [pool] = await poolsOf(dashboard, OTHER_CLUSTER);
    const requested = await apiPost<{ id: string; status: string }>(
      dashboard,
      '/api/v1/upgrades',
      'admin',
      { clusterId: pool!.clusterId, reason: 'requested by an admin' },
      { 'idempotency-key': 'e2e-admin-own' },
    );
    expect(requested).toMatchObject({ status: 202, body: { status: 'pending_approval' } });
    const runId = requested.body.id;
    // The same admin key, through the API: 403 four_eyes_required.
    const own = await apiPost<{ error: { code: string } }>(dashboard, `/api/v1/upgrades/${runId}/approve`, 'admin');
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('four_eyes_required');

    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/upgrades/${runId}`);
    await signIn(page, dashboard.keys.admin);
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toMatch(/^Needs approval/);
    expect(await page.getByTestId('approval-note').textContent()).toBe('You requested this run: another admin must approve it (four eyes).');
    expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    // Forced from the page (the admin's session cookie): the same refusal.
    const forced = await postFromPage<{ error: { code: string } }>(page, `/api/v1/upgrades/${runId}/approve`);
    expect(forced.status).toBe(403);
    expect(forced.body.error.code).toBe('four_eyes_required');
    expect((await dashboard.api<ApiRun>(`/api/v1/upgrades/${runId}`)).status).toBe('pending_approval');
    expect(problems).toEqual([FORCED_403]);
  }, SLOW_MACHINE_TIMEOUT);
});
