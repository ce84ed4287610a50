import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoFleet } from '../../src/emulator/index.js';
import { runCli, serveEnv, startServe } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { launchBrowser, openPage, screenshots, seriousViolations, signIn, SIZES } from './dashboard-harness.js';

type Key = 'auditor' | 'operator' | 'admin' | 'adminB';

interface Pool {
  clusterId: string;
  clusterName: string;
  poolName: string;
  status: string;
}
interface RiskException {
  id: string;
  state: string;
  requestedBy: string;
  approvedBy: string | null;
  scope: { kind: string; clusterId?: string; poolName?: string };
}
interface Findings {
  items: { kind: string; clusterId: string | null; poolName: string | null }[];
  nextCursor: string | null;
  statistics: { total: number; open: number; remediated: number };
}

/**
 * The real service against the emulator's demo fleet, as the dashboard harness starts it, with a second admin key
 * (`e2e-admin-b`): approval needs an admin other than the requester.
 */
async function startWithTwoAdmins() {
  const emulator = await startTestEmulator(demoFleet);
  // A limit other than the default 90 days: the request form offers the service's own (GET /api/v1/me).
  const env = { ...serveEnv(emulator), IMAGEWARDEN_DEMO: '1', IMAGEWARDEN_MAX_EXCEPTION_DAYS: '45' };
  const { url } = await startServe(env);
  const names: Record<Key, [string, string]> = {
    auditor: ['auditor', 'e2e-auditor'],
    operator: ['operator', 'e2e-operator'],
    admin: ['admin', 'e2e-admin'],
    adminB: ['admin', 'e2e-admin-b'],
  };
  const entries = Object.entries(names) as [Key, [string, string]][];
  const [snapshot, ...created] = await Promise.all([
    runCli(['snapshot'], env),
    ...entries.map(([, [role, name]]) => runCli(['keys', 'create', '--role', role, '--name', name], env)),
  ]);
  expect(snapshot!.code, snapshot!.stderr).toBe(0);
  const keys = Object.fromEntries(
    created.map((result, i) => {
      expect(result.code, result.stderr).toBe(0);
      return [entries[i]![0], result.stdout.trim().split('\n').at(-1)!];
    }),
  ) as Record<Key, string>;
  const call = async <T>(method: string, path: string, key: Key, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${keys[key]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return {
    url,
    keys,
    call,
    async api<T>(path: string, key: Key = 'auditor'): Promise<T> {
      const answer = await call<T>('GET', path, key);
      expect(answer.status, path).toBe(200);
      return answer.body;
    },
  };
}

async function openAs(browser: Browser, url: string, key: string, path: string): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(browser);
  await opened.page.goto(`${url}${path}`);
  await signIn(opened.page, key);
  return opened;
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
/** Screenshots with every table scrolled back to its start (a click on a row's button scrolls its region). */
async function shoot(page: Page, name: string): Promise<void> {
  await page.locator('.table-scroll').evaluateAll((regions) => regions.forEach((region) => (region.scrollLeft = 0)));
  await screenshots(page, name);
}
const rowOf = (page: Page, id: string) => page.locator(`tr[data-id="${id}"]`);

describe('exceptions and findings pages in chromium', () => {
  it('an operator requests, admin A may not approve their own request, admin B approves it and the pool turns excepted', async () => {
    const started = Date.now();
    const service = await startWithTwoAdmins();
    const nonCompliant = await service.api<{ items: Pool[] }>('/api/v1/pools?status=non_compliant&limit=1000');
    expect(nonCompliant.items.length).toBeGreaterThanOrEqual(2);
    const [poolA, poolOp] = nonCompliant.items as [Pool, Pool];
    const browser = await launchBrowser();

    // The operator requests an exception for one pool through the form.
    const operator = await openAs(browser, service.url, service.keys.operator, '/ui/exceptions');
    await operator.page.getByRole('button', { name: 'Request an exception' }).click();
    await expect.poll(() => operator.page.locator('#exc-expires-hint').textContent()).toBe('At most 45 days after approval.');
    expect(await operator.page.getByLabel('Expires on (end of day, UTC)').getAttribute('max')).toBe(inDays(44));
    await operator.page.getByLabel('Scope').selectOption('pool');
    await operator.page.getByLabel('Cluster (ARM id)').fill(poolOp.clusterId);
    await operator.page.getByLabel('Pool name').fill(poolOp.poolName);
    await operator.page.getByLabel('Reason', { exact: true }).fill('Vendor driver not yet certified on the new image');
    await operator.page.getByLabel('Compensating control').fill('Node isolated by network policy; daily vulnerability scan');
    await operator.page.getByLabel('Ticket').fill('CHG-1001');
    await operator.page.getByLabel('Expires on (end of day, UTC)').fill(inDays(20));
    await operator.page.getByRole('button', { name: 'Send the request' }).click();
    await expect.poll(() => operator.page.getByTestId('exceptions-status').textContent()).toMatch(/^Exception exc_[0-9a-f-]+ requested: Pool /);
    const afterOperator = await service.api<{ items: RiskException[] }>('/api/v1/exceptions');
    expect(afterOperator.items).toHaveLength(1);
    const opException = afterOperator.items[0]!;
    expect(opException).toMatchObject({ state: 'requested', requestedBy: 'key:e2e-operator', scope: { kind: 'pool', poolName: poolOp.poolName } });
    await expect.poll(() => rowOf(operator.page, opException.id).getByTestId('exception-state').textContent()).toBe('Requested');
    // An operator is offered no decision.
    expect(await operator.page.getByRole('button', { name: /^(Approve|Reject|Revoke)/ }).count()).toBe(0);

    // Admin A requests another; their own request offers no Approve, and says why; the operator's does.
    const adminA = await openAs(browser, service.url, service.keys.admin, '/ui/exceptions');
    await adminA.page.getByRole('button', { name: 'Request an exception' }).click();
    await adminA.page.getByLabel('Cluster (ARM id)').fill(poolA.clusterId);
    await adminA.page.getByLabel('Pool name').fill(poolA.poolName);
    await adminA.page.getByLabel('Reason', { exact: true }).fill('Upgrade freeze during the quarter-end close');
    await adminA.page.getByLabel('Compensating control').fill('No internet egress from the pool; EDR on every node');
    await adminA.page.getByLabel('Ticket').fill('CHG-1002');
    await adminA.page.getByRole('button', { name: 'Send the request' }).click();
    await expect.poll(() => adminA.page.getByTestId('exceptions-status').textContent()).toMatch(/requested/);
    const mine = (await service.api<{ items: RiskException[] }>('/api/v1/exceptions?state=requested')).items.find((e) => e.requestedBy === 'key:e2e-admin')!;
    expect(mine.scope.poolName).toBe(poolA.poolName);
    const myRow = rowOf(adminA.page, mine.id);
    await myRow.waitFor();
    expect(await myRow.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect(await myRow.getByTestId('four-eyes-note').textContent()).toMatch(/another admin must approve it \(four-eyes rule\)/);
    expect(await myRow.getByRole('button', { name: /^Reject/ }).count()).toBe(1);
    // The API refuses the same approval: 403 four_eyes_required.
    const refused = await service.call<{ error: { code: string } }>('POST', `/api/v1/exceptions/${mine.id}/approve`, 'admin', {});
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'four_eyes_required' } } });

    // A refusal by the API is shown plainly: admin B rejects the operator's request meanwhile; admin A's page is stale.
    expect((await service.call('POST', `/api/v1/exceptions/${opException.id}/reject`, 'adminB', { reason: 'Use the maintenance window instead' })).status).toBe(200);
    await rowOf(adminA.page, opException.id).getByRole('button', { name: /^Approve/ }).click();
    await adminA.page.getByRole('button', { name: 'Approve exception' }).click();
    await expect
      .poll(() => adminA.page.getByTestId('exceptions-error').textContent())
      .toBe(`Could not approve exception ${opException.id}: Cannot approve an exception that is rejected. (409 conflicts with its current state: invalid_state)`);
    await expect.poll(() => rowOf(adminA.page, opException.id).getByTestId('exception-state').textContent()).toBe('Rejected');
    expect(adminA.problems.filter((p) => !/409/.test(p))).toEqual([]);

    // Admin B approves admin A's request with a reason; the page shows it approved and the pool turns excepted.
    const adminB = await openAs(browser, service.url, service.keys.adminB, '/ui/exceptions');
    const row = rowOf(adminB.page, mine.id);
    await row.getByRole('button', { name: /^Approve/ }).click();
    await adminB.page.getByLabel('Reason for the decision (optional)').fill('Reviewed with the CISO; compensating controls verified');
    await adminB.page.getByRole('button', { name: 'Approve exception' }).click();
    await expect.poll(() => row.getByTestId('exception-state').textContent()).toBe('Approved');
    expect(await row.getByTestId('exception-decision').textContent()).toMatch(/^Approved by key:e2e-admin-b\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(await row.getByRole('button', { name: /^Revoke/ }).count()).toBe(1);
    expect(await adminB.page.getByTestId('exceptions-error').count()).toBe(0);
    // Newest request first, as the API lists them with order=desc.
    const newestFirst = (await service.api<{ items: RiskException[] }>('/api/v1/exceptions?order=desc')).items.map((e) => e.id);
    expect(await adminB.page.getByTestId('exception-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')))).toEqual(newestFirst);
    const pools = await service.api<{ items: Pool[] }>(`/api/v1/pools?clusterId=${encodeURIComponent(poolA.clusterId)}`);
    expect(pools.items.find((pool) => pool.poolName === poolA.poolName)?.status).toBe('excepted');

    // The state filter asks the API for that state only.
    await adminB.page.getByLabel('State').selectOption('approved');
    await expect.poll(() => adminB.page.getByTestId('exception-row').count()).toBe(1);
    await adminB.page.getByLabel('State').selectOption('');
    await expect.poll(() => adminB.page.getByTestId('exception-row').count()).toBe(2);

    await adminB.page.getByRole('button', { name: 'Request an exception' }).click();
    for (const size of ['desktop', 'phone'] as const) {
      await adminB.page.setViewportSize(SIZES[size]);
      expect(await seriousViolations(adminB.page), `exceptions (admin) ${size}`).toEqual([]);
    }
    await shoot(adminB.page, 'exceptions-admin');
    await adminB.page.getByRole('button', { name: 'Close the form' }).click();

    // Findings: the API's statistics, a kind filter, and each pool linked to its page.
    await adminB.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Findings' }).click();
    const findings = await service.api<Findings>('/api/v1/findings');
    await expect.poll(() => adminB.page.getByTestId('stat-total').locator('.figure-value').textContent()).toBe(findings.statistics.total.toLocaleString('en-US'));
    expect(await adminB.page.getByTestId('stat-open').locator('.figure-value').textContent()).toBe(findings.statistics.open.toLocaleString('en-US'));
    expect(await adminB.page.getByTestId('finding-row').count()).toBe(findings.items.length);
    const withPool = findings.items.find((f) => f.poolName !== null && f.clusterId !== null);
    if (withPool) {
      const href = `/ui/pools/${encodeURIComponent(`${withPool.clusterId}/agentPools/${withPool.poolName}`)}`;
      expect(await adminB.page.locator(`a[href="${href}"]`).count()).toBeGreaterThan(0);
    }
    await adminB.page.getByLabel('Kind').selectOption('sla_breach');
    await adminB.page.getByRole('button', { name: 'Apply filters' }).click();
    const breaches = await service.api<Findings>('/api/v1/findings?kind=sla_breach');
    await expect.poll(() => adminB.page.getByTestId('finding-row').count()).toBe(breaches.items.length);
    for (const kind of await adminB.page.getByTestId('finding-row').locator('th').allTextContents()) expect(kind).toBe('SLA breach');
    // A period ending before it starts is refused by the form itself (the dates bound each other).
    await adminB.page.getByLabel('From (UTC day)').fill(inDays(5));
    await adminB.page.getByLabel('To (UTC day)').fill(inDays(1));
    await adminB.page.getByRole('button', { name: 'Apply filters' }).click();
    expect(await adminB.page.locator('input[type="date"]:invalid').count()).toBeGreaterThan(0);
    await adminB.page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => adminB.page.getByTestId('findings-error').count()).toBe(0);
    // One cluster's findings (its id in any case), as the API filters them.
    if (withPool) {
      const ofCluster = await service.api<Findings>(`/api/v1/findings?clusterId=${encodeURIComponent(withPool.clusterId!)}`);
      await adminB.page.getByLabel('Cluster (ARM id)').fill(withPool.clusterId!.toUpperCase());
      await adminB.page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(() => adminB.page.getByTestId('finding-row').count()).toBe(ofCluster.items.length);
      expect(ofCluster.items.every((f) => f.clusterId?.toLowerCase() === withPool.clusterId!.toLowerCase())).toBe(true);
      await adminB.page.getByRole('button', { name: 'Clear' }).click();
    }
    for (const size of ['desktop', 'phone'] as const) {
      await adminB.page.setViewportSize(SIZES[size]);
      expect(await seriousViolations(adminB.page), `findings ${size}`).toEqual([]);
    }
    await shoot(adminB.page, 'findings');
    expect(operator.problems).toEqual([]);
    expect(adminB.problems).toEqual([]);
    console.log(`exceptions workflow test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('an auditor reads exceptions and findings with no request or decision controls; axe finds nothing serious', async () => {
    const service = await startWithTwoAdmins();
    const [pool] = (await service.api<{ items: Pool[] }>('/api/v1/pools?status=non_compliant&limit=1')).items as [Pool];
    const requested = await service.call<RiskException>('POST', '/api/v1/exceptions', 'operator', {
      scope: { kind: 'pool', clusterId: pool.clusterId, poolName: pool.poolName },
      reason: 'Kernel module pinned by the storage vendor',
      compensatingControl: 'Host firewall; weekly review',
      ticket: 'RISK-42',
      expiresAt: `${inDays(10)}T23:59:59Z`,
    });
    expect(requested.status).toBe(201);
    const browser = await launchBrowser();
    for (const size of ['desktop', 'phone'] as const) {
      const { page, problems } = await openPage(browser, size);
      await page.goto(`${service.url}/ui/exceptions`);
      await signIn(page, service.keys.auditor);
      await rowOf(page, requested.body.id).waitFor();
      expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
      expect(await page.getByTestId('four-eyes-note').count()).toBe(0);
      expect(await seriousViolations(page), `exceptions (auditor) ${size}`).toEqual([]);
      if (size === 'desktop') await shoot(page, 'exceptions-auditor');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Findings' }).click();
      await page.getByTestId('stat-total').waitFor();
      expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out', 'Apply filters', 'Clear', ...((await page.getByRole('button', { name: 'More' }).count()) > 0 ? ['More'] : [])]);
      expect(await seriousViolations(page), `findings (auditor) ${size}`).toEqual([]);
      expect(problems).toEqual([]);
    }
  });
});
