import { describe, expect, it } from 'vitest';
import { launchBrowser, openPage, signIn, startDashboard } from './dashboard-harness.js';

describe('navigation in chromium', () => {
  it("the navigation's link to the page one is on clears its filters; back brings them again", async () => {
    const dashboard = await startDashboard();
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    const all = (await dashboard.api<{ items: unknown[] }>('/api/v1/pools?limit=1000')).items.length;
    const nonCompliant = (await dashboard.api<{ items: unknown[] }>('/api/v1/pools?status=non_compliant&limit=1000')).items.length;
    expect(nonCompliant).toBeGreaterThan(0);
    expect(nonCompliant).toBeLessThan(all);

    await page.goto(`${dashboard.url}/ui/pools?status=non_compliant`);
    await signIn(page, dashboard.keys.auditor);
    const rows = page.getByTestId('pools').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(nonCompliant);
    await expect.poll(() => page.getByLabel('Status').inputValue()).toBe('non_compliant');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pools', exact: true }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(Math.min(all, 100));
    await expect.poll(() => page.getByLabel('Status').inputValue()).toBe('');

    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('non_compliant');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(nonCompliant);
    expect(problems).toEqual([]);
  }, 120_000);
});
