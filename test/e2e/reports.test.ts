import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshots, seriousViolations, SIZES, signIn, startDashboard } from './dashboard-harness.js';

interface Report {
  id: string;
  status: string;
  period: { label: string };
  formats: { format: string; fileName: string; sha256: string }[];
  population: { rows: number; sha256: string } | null;
  ledgerSequence: number | null;
}

describe('reports and evidence pages in chromium', () => {
  it('an auditor generates this month\'s report, downloads the PDF whose SHA-256 is the one shown and the API\'s, and verifies the ledger', async () => {
    const dashboard = await startDashboard({ demo: true });
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser);
    await page.goto(`${dashboard.url}/ui/reports`);
    await signIn(page, dashboard.keys.auditor);
    await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    await expect.poll(() => page.getByTestId('reports-empty').isVisible()).toBe(true);

    // The month field starts at the current UTC month: generating needs one press.
    const month = new Date().toISOString().slice(0, 7);
    expect(await page.getByLabel('Month (YYYY-MM, UTC)').inputValue()).toBe(month);
    await page.getByRole('button', { name: 'Generate report' }).click();
    await expect.poll(() => page.getByTestId('generate-status').textContent(), { timeout: 90_000 }).toMatch(/is ready/);
    await page.getByTestId('digest-pdf').waitFor();

    const id = (await page.getByTestId('report-detail').getAttribute('data-report-id'))!;
    const report = await dashboard.api<Report>(`/api/v1/reports/${id}`);
    expect(report.status).toBe('ready');
    expect(report.period.label).toContain(month);
    const apiPdf = report.formats.find((file) => file.format === 'pdf')!;
    const shown = (await page.getByTestId('digest-pdf').textContent())!.trim();
    expect((await page.getByTestId('digest-main').textContent())!.trim()).toBe(shown);
    expect(await page.getByTestId('ledger-entry').textContent()).toBe(`#${report.ledgerSequence} (report_generated)`);
    for (const file of report.formats) expect((await page.getByTestId(`digest-${file.format}`).textContent())!.trim(), file.format).toBe(file.sha256);
    expect((await page.getByTestId('digest-population').textContent())!.trim()).toBe(report.population!.sha256);
    // The list shows the report.
    expect(await page.getByTestId('reports').locator('tbody tr').count()).toBe(1);

    // Download through the page: a plain link, authenticated by the session cookie.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
    expect(download.suggestedFilename()).toBe(`${id}-report.pdf`);
    const bytes = await readFile((await download.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const digest = createHash('sha256').update(bytes).digest('hex');
    expect(digest).toBe(shown);
    expect(digest).toBe(apiPdf.sha256);

    // A reproducible sample: the same seed and size draw what the API draws.
    await page.getByLabel('Seed').fill('audit-2026');
    await page.getByLabel('Size (1–1,000)').fill('5');
    await page.getByRole('button', { name: 'Draw sample' }).click();
    await page.getByTestId('sample').waitFor();
    const sample = await dashboard.api<{ items: { rank: string }[] }>(`/api/v1/reports/${id}/sample?seed=audit-2026&size=5`);
    expect(await page.getByTestId('sample').locator('tbody tr').count()).toBe(sample.items.length);

    for (const size of ['desktop', 'phone'] as const) {
      await page.setViewportSize(SIZES[size]);
      expect(await seriousViolations(page), `reports ${size}`).toEqual([]);
    }
    await screenshots(page, 'reports-ready');

    // Evidence: nothing is verified until asked.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Evidence' }).click();
    await page.getByRole('heading', { level: 1, name: 'Evidence' }).waitFor();
    await page.getByTestId('verifier-key').waitFor();
    await page.getByTestId('checkpoint-note').waitFor();
    expect(await page.getByTestId('verdict').count()).toBe(0);
    const key = await dashboard.api<{ active: { verifierKey: string; publicKeyPem: string } }>('/api/v1/evidence/public-key');
    expect((await page.getByTestId('verifier-key').textContent())!.trim()).toBe(key.active.verifierKey);
    expect((await page.getByTestId('public-key-pem').textContent())!.trim()).toBe(key.active.publicKeyPem.trim());

    await page.getByRole('button', { name: 'Verify the ledger now' }).click();
    await expect.poll(() => page.getByTestId('verdict-title').textContent(), { timeout: 30_000 }).toBe('Intact');
    const verified = await dashboard.api<{ intact: boolean; entries: number }>('/api/v1/evidence/verify');
    expect(verified.intact).toBe(true);
    // The page verified before this call; entries only grow.
    expect(Number((await page.getByTestId('verify-entries').textContent())!.replace(/,/g, ''))).toBeLessThanOrEqual(verified.entries);
    expect(await page.getByRole('link', { name: 'Download the evidence bundle (NDJSON)' }).getAttribute('href')).toBe('/api/v1/evidence/export');

    for (const size of ['desktop', 'phone'] as const) {
      await page.setViewportSize(SIZES[size]);
      expect(await seriousViolations(page), `evidence ${size}`).toEqual([]);
    }
    await screenshots(page, 'evidence-verified');
    expect(problems).toEqual([]);
  });
});
