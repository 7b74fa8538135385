import { expect, test, type Page } from '@playwright/test';
import { SSO_PASSWORDS } from '../playwright.config';
import { expectAccessible } from './pages/a11y';
import { api } from './pages/changesets';
import { LoginPage } from './pages/login';
import { Shell } from './pages/shell';

// Single sign-on through the local identity provider that `crypter dev --sso` runs
// (tools/idp.mjs): the console's button, the provider's own login page, and back.
// The spec maps the provider group `payments-admins` to a role of its own on an
// environment of its own, and puts the group's roles back at the end.
const suffix = Date.now().toString().slice(-8);
const env = `sso${suffix}`;
const role = `sso-reader-${suffix}`;
const group = 'payments-admins';

/** Through the provider's login page as `user`, from the console's login page. */
async function signInWithSso(page: Page, user: keyof typeof SSO_PASSWORDS) {
  await new LoginPage(page).goto();
  await page.getByTestId('sso-login').click();
  // The provider's page, not the console's.
  await expect(page.getByRole('heading', { name: 'Local identity provider' })).toBeVisible();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(SSO_PASSWORDS[user]);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('people sign in through the identity provider and get their group\'s role', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  await new Shell(page).expectLoggedInAs('admin');

  let before: string[] = [];
  await test.step('an environment, a credential, a role and the group mapped to it', async () => {
    await api(page, 'POST', '/environments', { name: env, description: 'sso e2e', protected: false });
    await api(page, 'PUT', `/environments/${env}/credentials/payments/db`, { data: { value: 'v' }, class: 'service' });
    await api(page, 'POST', '/roles', {
      name: role, class: 'human', description: 'sso e2e',
      grants: [{ environment: env, scope: 'payments/*', capabilities: ['read', 'list'], effect: 'allow' }],
    });
    const mappings = await (await api(page, 'GET', '/sso/groups')).json();
    before = mappings.mappings.find((m: { group: string }) => m.group === group)?.roles ?? [];
    await api(page, 'PUT', `/sso/groups/${group}`, { roles: [...before, role] });
  });

  await test.step('alice (in the group) signs in and may read the credential', async () => {
    const context = await browser.newContext();
    const alice = await context.newPage();
    await new LoginPage(alice).goto();
    await expect(alice.getByTestId('sso-login')).toHaveText(/Sign in with Local SSO/);
    await expectAccessible(alice, 'login page with single sign-on');
    await signInWithSso(alice, 'alice');
    await new Shell(alice).expectLoggedInAs('alice');
    const session = await (await alice.request.get('/api/v1/session')).json();
    expect(session.method).toBe('oidc');
    expect(session.policies).toContain(`crypter-role-${role}`);
    const read = await alice.request.get(`/api/v1/environments/${env}/credentials/payments/db`);
    expect(read.status()).toBe(200);
    // Logging out ends the Crypter session and offers the provider's own sign-out.
    await alice.getByTestId('logout').click();
    await expect(alice.getByTestId('sso-signout')).toHaveAttribute('href', /\/session\/end$/);
    expect((await alice.request.get('/api/v1/session')).status()).toBe(401);
    await context.close();
  });

  await test.step('bob (in no group) signs in and may not', async () => {
    const context = await browser.newContext();
    const bob = await context.newPage();
    await signInWithSso(bob, 'bob');
    await new Shell(bob).expectLoggedInAs('bob');
    const read = await bob.request.get(`/api/v1/environments/${env}/credentials/payments/db`);
    expect(read.status()).toBe(403);
    await context.close();
  });

  await test.step('a forged return from the provider gets a clear error and no session', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    await other.goto('/api/v1/auth/oidc/callback?state=forged&code=forged');
    await expect(other.getByTestId('sso-error')).toBeVisible();
    await expect(other.getByTestId('sso-error')).toContainText(/expired|already used|start again/i);
    expect((await other.request.get('/api/v1/session')).status()).toBe(401);
    await context.close();
  });

  await test.step('the group gets its roles back', async () => {
    await api(page, 'PUT', `/sso/groups/${group}`, { roles: before });
  });
});
