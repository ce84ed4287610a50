import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshots, seriousViolations, signIn, SIZES, startDashboard } from './dashboard-harness.js';

interface Pool {
  clusterId: string;
  clusterName: string;
  poolName: string;
  status: string;
  imageAgeDays: number | null;
  nodeImageVersion: string | null;
  subscriptionId: string;
  slaDays: number;
  [field: string]: unknown;
}

/** RFC 4180 rows (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

const cellOf = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
};

describe('pools pages in chromium', () => {
  it('an auditor filters, sorts, pages, downloads the CSV and opens a pool', async () => {
    const started = Date.now();
    const dashboard = await startDashboard({ demo: true });
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/pools`);
    await signIn(page, dashboard.keys.auditor);
    await page.getByTestId('pools').waitFor();

    // Filter to non_compliant through the form: the address carries it, and the rows are the API's.
    const expected = (await dashboard.api<{ items: Pool[] }>('/api/v1/pools?status=non_compliant&limit=1000')).items;
    expect(expected.length).toBeGreaterThan(1);
    await page.getByLabel('Status').selectOption('non_compliant');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('non_compliant');
    const rows = page.getByTestId('pools').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(expected.length);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.children[0]!.textContent}/${tr.children[1]!.textContent}|${tr.children[2]!.textContent}`));
    expect(new Set(shown)).toEqual(new Set(expected.map((pool) => `${pool.clusterName}/${pool.poolName}|Non-compliant`)));

    // Sort by image age, descending on a second press: aria-sort says so, and the order is the API's ages sorted.
    const ageHeader = page.getByRole('columnheader', { name: /Image age/ });
    await ageHeader.getByRole('button').click();
    await expect.poll(() => ageHeader.getAttribute('aria-sort')).toBe('ascending');
    await ageHeader.getByRole('button').click();
    await expect.poll(() => ageHeader.getAttribute('aria-sort')).toBe('descending');
    const ages = expected.map((pool) => pool.imageAgeDays).filter((age): age is number => age !== null).sort((a, b) => b - a);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.children[4]!.textContent))).toEqual([
      ...ages.map((age) => `${age.toLocaleString('en-US')} d`),
      ...expected.filter((pool) => pool.imageAgeDays === null).map(() => '—'),
    ]);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('imageAgeDays');
    expect(await page.getByTestId('pools-sort-note').textContent()).toMatch(/across every pool of the filter/);
    await screenshots(page, 'pools');
    for (const size of ['desktop', 'phone'] as const) {
      await page.setViewportSize(SIZES[size]);
      expect(await seriousViolations(page), `pools list ${size}`).toEqual([]);
    }
    await page.setViewportSize(SIZES.desktop);

    // The CSV of the filter: a header of the contract's fields, one row per API pool.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
    const header = csv[0]!;
    expect(header).toContain('clusterId');
    expect(header).toContain('observedAt');
    expect(header.length).toBe(30);
    const byKey = (cells: string[]) => `${cells[0]}/${cells[5]}`;
    expect(csv.slice(1).map(byKey).sort()).toEqual(expected.map((pool) => `${pool.clusterId}/${pool.poolName}`).sort());
    for (const pool of expected) {
      const line = csv.find((cells) => byKey(cells) === `${pool.clusterId}/${pool.poolName}`)!;
      expect(line).toEqual(header.map((field) => cellOf(pool[field])));
    }

    // Paging: limit=5 in the address gives 5 rows and a next page; all pages together are the filter's pools.
    await page.goto(`${dashboard.url}/ui/pools?status=non_compliant&limit=5`);
    await page.getByTestId('pools').waitFor();
    await expect.poll(() => rows.count()).toBe(Math.min(5, expected.length));
    if (expected.length > 5) {
      while (await page.getByRole('button', { name: /^Next page/ }).isVisible()) {
        const before = await rows.count();
        await page.getByRole('button', { name: /^Next page/ }).click();
        await expect.poll(() => rows.count()).toBeGreaterThan(before);
      }
      expect(await rows.count()).toBe(expected.length);
    }

    // Back goes to the earlier filter's address.
    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get('sort')).toBe('imageAgeDays');

    // A pool's detail: its fields are the API's.
    const pool = expected[0]!;
    await page.goto(`${dashboard.url}/ui/pools?status=non_compliant`);
    await page.getByTestId('pools').getByRole('link', { name: pool.poolName }).first().waitFor();
    const link = page.getByTestId('pools').locator(`a[href="/ui/pools/${encodeURIComponent(`${pool.clusterId}/agentPools/${pool.poolName}`)}"]`);
    await link.click();
    await page.getByTestId('pool-fields').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(pool.poolName);
    const field = (name: string) => page.getByTestId('pool-fields').locator(`[data-field="${name}"] dd`).textContent();
    expect(await field('clusterId')).toBe(pool.clusterId);
    expect(await field('nodeImageVersion')).toBe(pool.nodeImageVersion ?? '—');
    expect(await field('status')).toBe('Non-compliant');
    expect(await field('slaDays')).toBe(`${pool.slaDays} d`);
    expect(await field('imageAgeDays')).toBe(pool.imageAgeDays === null ? '—' : `${pool.imageAgeDays} d`);
    expect(await page.getByTestId('pool-fields').locator('[data-field]').count()).toBe(30);
    const findings = (await dashboard.api<{ items: { clusterId: string | null; poolName: string | null }[] }>(`/api/v1/findings?subscriptionId=${pool.subscriptionId}&limit=1000`)).items.filter(
      (finding) => finding.clusterId?.toLowerCase() === pool.clusterId.toLowerCase() && finding.poolName === pool.poolName,
    );
    if (findings.length === 0) await page.getByTestId('pool-findings-empty').waitFor();
    else await expect.poll(() => page.getByTestId('pool-findings').locator('tbody tr').count()).toBe(findings.length);
    // Its image history is the API's, a row per change, newest first.
    const history = await dashboard.api<{ items: { snapshotId: number; nodeImageVersion: string | null }[] }>(
      `/api/v1/pools/${encodeURIComponent(`${pool.clusterId}/agentPools/${pool.poolName}`)}/history?limit=50`,
    );
    expect(history.items.length).toBeGreaterThan(0);
    const historyRows = page.getByTestId('pool-history').locator('tbody tr');
    await expect.poll(() => historyRows.count()).toBe(history.items.length);
    expect(await historyRows.locator('td:nth-child(4)').allTextContents()).toEqual(history.items.map((item) => item.nodeImageVersion ?? '—'));
    expect(await historyRows.last().locator('td').nth(0).textContent()).toBe('First observed');
    await screenshots(page, 'pool-detail');
    for (const size of ['desktop', 'phone'] as const) {
      await page.setViewportSize(SIZES[size]);
      expect(await seriousViolations(page), `pool detail ${size}`).toEqual([]);
    }
    // A reload of the detail's address finds the same pool.
    await page.reload();
    await page.getByTestId('pool-fields').waitFor();
    expect(await field('poolName')).toBe(pool.poolName);
    // Its cluster's findings: the findings page filtered by the cluster, as the API filters them.
    const ofCluster = await dashboard.api<{ items: unknown[] }>(`/api/v1/findings?clusterId=${encodeURIComponent(pool.clusterId)}`);
    await page.getByRole('link', { name: 'All findings of its cluster' }).click();
    await expect.poll(() => page.getByLabel('Cluster (ARM id)').inputValue()).toBe(pool.clusterId);
    await expect.poll(() => page.getByTestId('finding-row').count()).toBe(ofCluster.items.length);
    expect(problems).toEqual([]);
    console.log(`pools e2e: ${Date.now() - started} ms`);
  });
});
