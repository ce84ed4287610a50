import { describe, expect, it } from 'vitest';
import { type ApiPool, apiPost, type ApiRun, launchBrowser, openPage, screenshots, seriousViolations, signIn, startDashboard } from './dashboard-harness.js';

/** A demo cluster with two user pools behind their latest image (ingress ~60 days, tools ~10 days), no window. */
const CLUSTER = 'aks-shared-neu-01';
const POOLS = ['ingress', 'tools'];
const LONG = { timeout: 60_000, interval: 200 };
/** A whole test on a loaded CI machine (two browser contexts, screenshots at two sizes): above vitest's 120 s default. */
const SLOW_MACHINE_TIMEOUT = 300_000;

describe('aborting an upgrade in chromium', () => {
  it('an operator aborts a running run after an explicit confirmation; the page shows it aborted live and the API agrees', async () => {
    // Each pool takes two minutes in the emulator: the first pool is still upgrading whenever the abort comes.
    const dashboard = await startDashboard({ demo: true, upgradeDurationMs: 120_000 });
    const pools = (await dashboard.api<{ items: ApiPool[] }>('/api/v1/pools?limit=1000')).items.filter((pool) => pool.clusterName === CLUSTER);
    const clusterId = pools[0]!.clusterId;
    const imageBefore = new Map(pools.map((pool) => [pool.poolName, pool.nodeImageVersion]));
    const started = await apiPost<{ id: string; status: string }>(
      dashboard,
      '/api/v1/upgrades',
      'operator',
      { clusterId, pools: POOLS, reason: 'Monthly patching of the shared ingress and tools pools' },
      { 'idempotency-key': 'e2e-abort' },
    );
    expect(started).toMatchObject({ status: 202, body: { status: 'queued' } });
    const runId = started.body.id;

    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/upgrades/${runId}`);
    await signIn(page, dashboard.keys.operator);
    const status = page.getByTestId('run-status');
    const rows = page.getByTestId('run-pools').locator('tbody tr');
    // Live: running, one pool upgrading and the other still pending.
    await expect.poll(() => status.textContent(), LONG).toMatch(/^Running/);
    await expect.poll(() => rows.locator('td:first-of-type').allTextContents(), LONG).toEqual(['Upgrading', 'Pending']);
    const upgrading = (await rows.first().locator('th').textContent())!;
    const waiting = (await rows.nth(1).locator('th').textContent())!;
    expect([upgrading, waiting].sort()).toEqual(POOLS);

    // The abort button only opens a confirmation (in the page, no browser dialog); "No" leaves the run running.
    page.on('dialog', (dialog) => problems.push(`unexpected browser dialog: ${dialog.message()}`));
    await page.getByRole('button', { name: 'Abort this upgrade' }).click();
    const confirm = page.getByTestId('abort-confirm');
    await confirm.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id'), LONG).toBe('abort-confirm-title');
    expect(await confirm.textContent()).toMatch(/The pool being upgraded now is cancelled in Azure .*; pools not yet started are not attempted\./);
    expect(await seriousViolations(page), 'abort confirmation').toEqual([]);
    await screenshots(page, 'upgrade-abort-confirm');
    await page.getByRole('button', { name: 'No, keep the run' }).click();
    await expect.poll(() => confirm.count(), LONG).toBe(0);
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.textContent'), LONG).toBe('Abort this upgrade');
    expect((await dashboard.api<ApiRun>(`/api/v1/upgrades/${runId}`)).status).toBe('running');

    await page.getByRole('button', { name: 'Abort this upgrade' }).click();
    await confirm.waitFor({ timeout: 30_000 });
    await page.getByLabel('Reason for aborting (optional, recorded)').fill('Change window closed early');
    await page.getByRole('button', { name: 'Yes, abort the upgrade' }).click();

    // Live, without a reload: the abort is requested, the running pool is cancelled in Azure, the run ends aborted.
    await expect.poll(() => status.textContent(), { timeout: 90_000, interval: 200 }).toMatch(/^Aborted/);
    await expect.poll(() => page.getByTestId('progress').locator('li').allTextContents(), LONG).toContainEqual(expect.stringMatching(/ Aborted$/));
    const log = await page.getByTestId('progress').locator('li').allTextContents();
    expect(log).toContainEqual(expect.stringMatching(/Progress: abort requested by key:e2e-operator$/));
    expect(log).toContainEqual(expect.stringMatching(new RegExp(`Pool aborted ${upgrading}: cancelled in Azure$`)));
    expect(await page.getByTestId('progress').textContent()).toMatch(/The run has ended: aborted\. 0 of 2 pools done\./);
    const cells = await rows.locator('td:first-of-type').allTextContents();
    expect(cells[0]).toMatch(/^Aborted — the upgrade was cancelled in Azure \(OperationCanceled\)$/);
    expect(cells[1]).toMatch(/^Not attempted \(not upgraded\) — an earlier pool was aborted/);
    // The pool never started shows no image after; neither pool is on its target.
    expect(await rows.nth(1).locator('td').nth(3).textContent()).toBe('—');
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(await page.locator('.upg-run-facts').textContent()).toMatch(/Aborted bykey:e2e-operator/);
    expect(await page.getByTestId('timeline').textContent()).toMatch(/Progress: abort requested by key:e2e-operator\s*key:e2e-operator/);
    expect(await seriousViolations(page), 'aborted run').toEqual([]);
    await screenshots(page, 'upgrade-aborted');

    // The API's run and evidence agree with the page.
    const run = await dashboard.api<ApiRun>(`/api/v1/upgrades/${runId}`);
    expect(run.status).toBe('aborted');
    expect(run.pools.map((pool) => [pool.poolName, pool.status])).toEqual([
      [upgrading, 'aborted'],
      [waiting, 'not_attempted'],
    ]);
    expect(run.pools[1]!.imageAfter).toBeNull();
    const evidence = await dashboard.api<{ run: { status: string; abortRequestedBy: string | null }; entries: { event: string; actor: string; data: Record<string, unknown> }[] }>(
      `/api/v1/upgrades/${runId}/evidence?format=json`,
    );
    expect(evidence.run.status).toBe('aborted');
    expect(evidence.entries.find((entry) => entry.event === 'progress' && entry.data.abortRequestedBy !== undefined)).toMatchObject({
      actor: 'key:e2e-operator',
      data: { abortRequestedBy: 'key:e2e-operator', reason: 'Change window closed early' },
    });
    expect(evidence.entries.at(-1)).toMatchObject({ event: 'aborted' });
    expect(evidence.entries.some((entry) => entry.event === 'pool_succeeded')).toBe(false);
    // The pool that was never started still runs the image it had (the snapshot after the run says so).
    await expect
      .poll(async () => (await dashboard.api<{ items: ApiPool[] }>('/api/v1/pools?limit=1000')).items.find((pool) => pool.clusterName === CLUSTER && pool.poolName === waiting)?.nodeImageVersion, LONG)
      .toBe(imageBefore.get(waiting));
    expect(problems).toEqual([]);
  }, SLOW_MACHINE_TIMEOUT);
});
