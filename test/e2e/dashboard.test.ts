import { describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshots, seriousViolations, signIn, startDashboard } from './dashboard-harness.js';

interface Summary {
  total: number;
  counts: Record<'current' | 'within_policy' | 'non_compliant' | 'excepted' | 'unknown', number>;
  compliancePercent: number | null;
  compliancePercentWithExceptions: number | null;
  bySubscription: { subscriptionId: string; total: number }[];
}
interface Pool {
  clusterName: string;
  poolName: string;
  imageAgeDays: number | null;
}

const NAV = ['Overview', 'Pools', 'Findings', 'Exceptions', 'Reports', 'Upgrades', 'Evidence'];
const pct = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)} %`);

describe('web dashboard in chromium', () => {
  it('an auditor signs in with a key, sees the API\'s figures and no operator controls, and signs out', async () => {
    const dashboard = await startDashboard({ demo: true });
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);

    // `/` leads to the dashboard, which asks for a key first.
    await page.goto(`${dashboard.url}/`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    expect(await page.getByLabel('API key').getAttribute('type')).toBe('password');
    expect(await page.getByLabel('API key').getAttribute('autocomplete')).toBe('off');
    await screenshots(page, 'sign-in');

    await signIn(page, dashboard.keys.auditor);
    await page.getByTestId('count-current').waitFor();
    expect(await page.getByTestId('actor').textContent()).toBe('key:e2e-auditor');
    expect(await page.getByTestId('role').textContent()).toBe('auditor');
    // The demo's data is marked as such.
    expect(await page.getByRole('note').textContent()).toMatch(/Demo data/);

    // The figures are the API's.
    const summary = await dashboard.api<Summary>('/api/v1/compliance/summary');
    expect(summary.total).toBeGreaterThan(10);
    for (const [status, count] of Object.entries(summary.counts)) {
      expect(await page.getByTestId(`count-${status}`).locator('.count-value').textContent(), status).toBe(count.toLocaleString('en-US'));
    }
    expect(await page.getByTestId('compliance-percent').locator('.figure-value').textContent()).toBe(pct(summary.compliancePercent));
    expect(await page.getByTestId('compliance-percent-with-exceptions').locator('.figure-value').textContent()).toBe(pct(summary.compliancePercentWithExceptions));
    expect(await page.getByTestId('total').locator('.figure-value').textContent()).toBe(String(summary.total));
    const rows = page.getByTestId('by-subscription').locator('tbody tr');
    expect(await rows.count()).toBe(summary.bySubscription.length);
    for (const [i, subscription] of summary.bySubscription.entries()) {
      expect(await rows.nth(i).locator('th').textContent()).toBe(subscription.subscriptionId);
    }
    // The oldest image out of policy comes first.
    const nonCompliant = await dashboard.api<{ items: Pool[] }>('/api/v1/pools?status=non_compliant&limit=1000');
    const oldestAge = Math.max(...nonCompliant.items.map((pool) => pool.imageAgeDays ?? -1));
    expect(await page.getByTestId('oldest').locator('tbody tr').first().locator('td').nth(2).textContent()).toBe(`${oldestAge} d`);

    // The compliance trend: a chart with an accessible summary, and its figures in a table whose last row is the API's.
    await page.getByTestId('trend-table').locator('tbody tr').last().waitFor({ state: 'attached' });
    expect(await page.getByTestId('trend-chart').locator('title').textContent()).toMatch(/^Compliance from \d{4}-\d{2}-\d{2} to /);
    const trend = await dashboard.api<{ items: { day: string; total: number; compliancePercent: number | null; compliancePercentWithExceptions: number | null }[] }>('/api/v1/compliance/trend?days=30');
    const today = trend.items.at(-1)!;
    expect(await page.getByTestId('trend-table').locator('tbody tr').last().locator('th, td').allTextContents()).toEqual([today.day, expect.any(String), today.total.toLocaleString('en-US'), pct(today.compliancePercent), pct(today.compliancePercentWithExceptions)]);

    // Read-only for an auditor: the only button is Sign out, and the navigation lists the pages to read.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(NAV);
    await screenshots(page, 'overview');

    // Every page opens from the navigation, and none offers an auditor a control that changes anything.
    for (const name of NAV.slice(1)) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
      const buttons = await page.getByRole('button').allTextContents();
      expect(buttons.filter((text) => /request|approve|reject|revoke|start|abort|snapshot/i.test(text)), name).toEqual([]);
      await screenshots(page, name.toLowerCase());
    }
    expect(new URL(page.url()).pathname).toBe('/ui/evidence');
    // The evidence page shows the newest signed checkpoint, read directly (order=desc&limit=1).
    const newest = (await dashboard.api<{ items: { id: number; size: number }[] }>('/api/v1/evidence/checkpoints?order=desc&limit=1')).items[0]!;
    await expect.poll(() => page.getByTestId('checkpoint-size').textContent()).toBe(`${newest.size.toLocaleString('en-US')} entries`);
    expect(await page.getByText(/^Checkpoint #\d+, the newest/).textContent()).toMatch(new RegExp(`^Checkpoint #${newest.id}, the newest`));

    // Nothing of the session is readable by script or kept in storage; a reload finds the session again.
    expect(await page.evaluate('[document.cookie, localStorage.length, sessionStorage.length]')).toEqual(['', 0, 0]);
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Evidence');

    // Signing out returns to sign-in, and stays there across a reload.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    expect(await page.locator('main').textContent()).toMatch(/You are signed out/);
    await page.reload();
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('a wrong key shows a plain error and no session', async () => {
    const dashboard = await startDashboard();
    const browser = await launchBrowser();
    const { page } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/`);
    await signIn(page, `${dashboard.keys.auditor.slice(0, -4)}xxxx`);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This API key was not accepted: it is unknown, revoked or expired.');
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    await screenshots(page, 'sign-in-error');
    // An empty form is refused before anything is sent.
    await page.getByLabel('API key').fill('');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Enter an API key.');
  });

  it('an operator takes a snapshot from the overview (a change: cookie plus CSRF token)', async () => {
    const dashboard = await startDashboard();
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/`);
    await signIn(page, dashboard.keys.operator);
    const take = page.getByRole('button', { name: 'Take a snapshot now' });
    await take.waitFor();
    const before = await page.getByTestId('last-snapshot').textContent();
    await take.click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 30_000 }).toMatch(/^Snapshot \d+ succeeded\.$/);
    await expect.poll(() => page.getByTestId('last-snapshot').textContent()).not.toBe(before);
    const snapshots = await dashboard.api<{ items: { trigger: string; requestedBy?: string }[] }>('/api/v1/snapshots');
    expect(snapshots.items[0]!.trigger).toBe('api');
    expect(problems).toEqual([]);
  });

  it('axe-core finds no serious or critical violation on sign-in, its error, the overview and the pools page, at both sizes', async () => {
    const dashboard = await startDashboard({ demo: true });
    const browser = await launchBrowser();
    for (const size of ['desktop', 'phone'] as const) {
      const { page } = await openPage(browser, size);
      await page.goto(`${dashboard.url}/ui/`);
      await page.getByLabel('API key').waitFor();
      expect(await seriousViolations(page), `sign-in ${size}`).toEqual([]);
      await signIn(page, 'iw_wrong');
      await page.getByRole('alert').waitFor();
      expect(await seriousViolations(page), `sign-in error ${size}`).toEqual([]);
      await signIn(page, dashboard.keys.auditor);
      await page.getByTestId('count-current').waitFor();
      expect(await seriousViolations(page), `overview ${size}`).toEqual([]);
      await page.goto(`${dashboard.url}/ui/pools`);
      await page.getByRole('heading', { name: 'Pools', exact: true }).waitFor();
      expect(await seriousViolations(page), `pools ${size}`).toEqual([]);
    }
  });
});
