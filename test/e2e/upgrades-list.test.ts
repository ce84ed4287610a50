import { describe, expect, it } from 'vitest';
import { type ApiPool, apiPost, type ApiRun, launchBrowser, openPage, screenshots, seriousViolations, signIn, startDashboard } from './dashboard-harness.js';

/** Four demo clusters with pools behind; aks-dev-eus2-01 is stopped, so its run is refused by a pre-check (blocked). */
const CLUSTERS = ['aks-dev-weu-01', 'aks-dev-eus2-01', 'aks-shared-neu-01', 'aks-prod-weu-02'];
const TERMINAL = ['succeeded', 'failed', 'aborted', 'blocked', 'expired'];
const LONG = { timeout: 60_000, interval: 200 };
/** A whole test on a loaded CI machine (two browser contexts, screenshots at two sizes): above vitest's 120 s default. */
const SLOW_MACHINE_TIMEOUT = 300_000;

describe('upgrade runs list in chromium', () => {
  it('pages through the runs with the API cursor (page size from the address) and filters them by status', async () => {
    const dashboard = await startDashboard({ demo: true });
    const pools = (await dashboard.api<{ items: ApiPool[] }>('/api/v1/pools?limit=1000')).items;
    for (const [i, name] of CLUSTERS.entries()) {
      const clusterId = pools.find((pool) => pool.clusterName === name)!.clusterId;
      const started = await apiPost(dashboard, '/api/v1/upgrades', 'operator', { clusterId, reason: `list run ${i + 1}` }, { 'idempotency-key': `e2e-list-${i}` });
      expect(started.status, name).toBe(202);
    }
    // Every run ended (the list is read once, not live): newest first, as the API lists them.
    await expect
      .poll(async () => (await dashboard.api<{ items: ApiRun[] }>('/api/v1/upgrades')).items.every((run) => TERMINAL.includes(run.status)), LONG)
      .toBe(true);
    const all = (await dashboard.api<{ items: ApiRun[] }>('/api/v1/upgrades')).items;
    expect(all.length).toBe(4);
    const blocked = all.filter((run) => run.status === 'blocked');
    expect(blocked.length).toBe(1);
    const hrefs = (runs: readonly ApiRun[]) => runs.map((run) => `/ui/upgrades/${run.id}`);

    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/upgrades?limit=2`);
    await signIn(page, dashboard.keys.auditor);
    const rows = page.getByTestId('runs').locator('tbody tr');
    const links = () => rows.locator('th a').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    await expect.poll(links, LONG).toEqual(hrefs(all.slice(0, 2)));
    expect(await page.getByTestId('runs-count').textContent()).toBe('2 runs shown, newest first; older runs are available.');
    const showMore = page.getByRole('button', { name: 'Show more runs (next 2)' });
    await showMore.click();
    await expect.poll(links, LONG).toEqual(hrefs(all));
    expect(await page.getByTestId('runs-count').textContent()).toBe('4 runs shown, newest first.');
    expect(await showMore.count()).toBe(0);
    expect(await seriousViolations(page), 'paged list').toEqual([]);
    await screenshots(page, 'upgrades-paged');

    // The status filter goes into the address (with the page size) and asks the API for that status only.
    await page.getByLabel('Status').selectOption('blocked');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => new URL(page.url()).search, LONG).toBe('?status=blocked&limit=2');
    await expect.poll(links, LONG).toEqual(hrefs(blocked));
    expect(await rows.first().locator('td').first().textContent()).toBe('Blocked');
    expect(await page.getByRole('heading', { level: 2, name: 'Runs: blocked' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: /Show more/ }).count()).toBe(0);
    await screenshots(page, 'upgrades-filtered');

    // Back: the unfiltered first page again, and the form shows it.
    await page.goBack();
    await expect.poll(() => new URL(page.url()).search, LONG).toBe('?limit=2');
    await expect.poll(links, LONG).toEqual(hrefs(all.slice(0, 2)));
    expect(await page.getByLabel('Status').inputValue()).toBe('');

    // A status no run has: said plainly.
    await page.getByLabel('Status').selectOption('expired');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => page.getByTestId('runs-empty').textContent(), LONG).toBe('No run is expired.');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => new URL(page.url()).search, LONG).toBe('?limit=2');
    await expect.poll(links, LONG).toEqual(hrefs(all.slice(0, 2)));
    expect(problems).toEqual([]);
  }, SLOW_MACHINE_TIMEOUT);
});
