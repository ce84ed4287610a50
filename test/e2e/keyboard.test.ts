import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openPage, startDashboard } from './dashboard-harness.js';

interface Focused {
  tag: string;
  id: string;
  text: string;
  ring: boolean;
}

/** What has the keyboard focus: its tag, id and text, and whether it shows a focus ring (evaluated in the page). */
const focused = (page: Page) =>
  page.evaluate(`(() => {
    const element = document.activeElement;
    const style = element ? getComputedStyle(element) : null;
    return {
      tag: element ? element.tagName.toLowerCase() : '',
      id: element ? element.id : '',
      text: ((element && element.textContent) || '').trim(),
      ring: style !== null && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  })()`) as Promise<Focused>;

/** Presses Tab until the focus is on the element with this text or id (at most `limit` presses). */
async function tabTo(page: Page, target: { text: string } | { id: string }, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if ('text' in target ? now.text === target.text : now.id === target.id) return;
  }
  throw new Error(`nothing focusable matching ${JSON.stringify(target)} within ${limit} tabs`);
}

describe('the dashboard from the keyboard alone, in chromium', () => {
  it('signs in, skips to the content, moves between pages and filters pools without a pointer', async () => {
    const dashboard = await startDashboard();
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/`);
    await page.getByLabel('API key').waitFor();

    // Sign in: Tab to the key field, type, Enter submits.
    for (let i = 0; i < 10 && (await focused(page)).id !== 'api-key'; i++) await page.keyboard.press('Tab');
    expect((await focused(page)).id).toBe('api-key');
    await page.keyboard.type(dashboard.keys.auditor);
    await page.keyboard.press('Enter');
    await page.getByTestId('actor').waitFor({ timeout: 30_000 });

    // The first Tab reaches the skip link, shown with a focus ring; Enter puts the focus on the content.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'a', text: 'Skip to content', ring: true });
    await page.keyboard.press('Enter');
    expect((await focused(page)).id).toBe('main');

    // The navigation: Enter on "Pools" opens the page and puts the focus on its heading, as a page load would.
    await page.keyboard.press('Shift+Tab');
    await tabTo(page, { text: 'Pools' });
    expect((await focused(page)).ring).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/ui/pools');
    await expect.poll(async () => (await focused(page)).tag).toBe('h1');
    expect((await focused(page)).text).toBe('Pools');

    // A filter from the keyboard: the status select changes with the arrow keys, Enter in the form applies it.
    await tabTo(page, { id: (await page.getByLabel('Status').getAttribute('id'))! });
    const options = await page.getByLabel('Status').locator('option').evaluateAll((list) => list.map((option) => option.getAttribute('value') ?? ''));
    const target = options.indexOf('non_compliant');
    for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
    expect(await page.getByLabel('Status').inputValue()).toBe('non_compliant');
    await tabTo(page, { text: 'Apply filter' });
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('non_compliant');
    const nonCompliant = (await dashboard.api<{ items: unknown[] }>('/api/v1/pools?status=non_compliant&limit=1000')).items.length;
    await expect.poll(() => page.getByTestId('pools').locator('tbody tr').count(), { timeout: 30_000 }).toBe(nonCompliant);
    expect(problems).toEqual([]);
  }, 120_000);
});
