import { afterEach, describe, expect, it } from 'vitest';
import { createSigningKey, startEntraAuthority, type TestEntraAuthority } from '../helpers/entra-authority.js';
import { launchBrowser, openPage, screenshots, seriousViolations, startDashboard } from './dashboard-harness.js';

const TENANT = '4d5e6f70-8192-4a3b-9c4d-5e6f7a8b9c0d';
const AUDIENCE = 'api://imagewarden-e2e';
const CLIENT_ID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const ADA = { oid: 'ada00000-0000-4000-8000-00000000ada1', name: 'Ada Admin', roles: ['ImageWarden.Admin'] };
const NOBODY = { oid: 'eee00000-0000-4000-8000-00000000eee0', name: 'Eve Without Roles', roles: [] };
const ENTRA_BUTTON = 'Sign in with Microsoft Entra ID';

const authorities: TestEntraAuthority[] = [];
afterEach(async () => {
  while (authorities.length > 0) await authorities.pop()!.close();
});

/** The stand-in authority's certificate is issued by the test CA, which the service trusts and chromium does not. */
const TRUSTS_TEST_AUTHORITY = { ignoreHTTPSErrors: true };


describe('sign-in with Entra ID in chromium', () => {
  it('an Entra ID admin signs in with the button and is that actor; a user without an app role is told so in plain words', async () => {
    const authority = await startEntraAuthority(TENANT, [await createSigningKey('e2e-key')], { clientId: CLIENT_ID, audience: AUDIENCE });
    authorities.push(authority);
    const dashboard = await startDashboard({
      env: {
        IMAGEWARDEN_ENTRA_TENANT_ID: TENANT,
        IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE,
        IMAGEWARDEN_ENTRA_AUTHORITY: authority.url,
        IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT_ID,
      },
    });
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser, 'desktop', TRUSTS_TEST_AUTHORITY);

    // The sign-in page offers Entra ID beside the API key.
    await page.goto(`${dashboard.url}/ui/`);
    const button = page.getByRole('link', { name: ENTRA_BUTTON });
    await button.waitFor();
    expect(await button.getAttribute('href')).toBe('/api/v1/session/entra');
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    await screenshots(page, 'sign-in-entra');
    expect(await seriousViolations(page)).toEqual([]);

    // Ada has ImageWarden.Admin: through the authority and back, signed in as herself.
    authority.signInAs(ADA);
    await button.click();
    await page.getByTestId('actor').waitFor();
    expect(await page.getByTestId('actor').textContent()).toBe(`entra:${ADA.oid} (${ADA.name})`);
    expect(await page.getByTestId('role').textContent()).toBe('admin');
    expect(new URL(page.url()).pathname).toBe('/ui/');
    expect(new URL(page.url()).search).toBe('');
    expect(authority.signIns).toMatchObject({ authorize: 1, token: 1 });
    // Nothing the page can read holds a token or the session: the cookies are HttpOnly, storage is empty.
    expect(await page.evaluate('[document.cookie, localStorage.length, sessionStorage.length]')).toEqual(['', 0, 0]);
    const cookies = await page.context().cookies();
    expect(cookies.map((cookie) => cookie.name)).toEqual(['imagewarden_session']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // Signed out, Eve (no app role) tries: the page says why, plainly, and the address loses the error code.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await button.waitFor();
    authority.signInAs(NOBODY);
    await button.click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Your Entra ID account has none of the ImageWarden app roles/);
    // The page drops the code from the address just after it first paints the message.
    await expect.poll(() => new URL(page.url()).search).toBe('');
    expect(await page.getByTestId('actor').count()).toBe(0);
    await screenshots(page, 'sign-in-entra-no-role');
    expect(await seriousViolations(page)).toEqual([]);

    // A reload does not repeat the old failure.
    await page.reload();
    await button.waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('without IMAGEWARDEN_ENTRA_CLIENT_ID the page offers the API key only', async () => {
    const dashboard = await startDashboard();
    const browser = await launchBrowser();
    const { page, problems } = await openPage(browser, 'desktop', TRUSTS_TEST_AUTHORITY);
    await page.goto(`${dashboard.url}/ui/`);
    await page.getByLabel('API key').waitFor();
    // The methods answer has come (the page asks once, at load) and offers no Entra ID.
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('link', { name: ENTRA_BUTTON }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
