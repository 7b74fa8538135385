import { expect, test } from '@playwright/test';
import { Bao } from './pages/bao';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';

const unique = () => `e2e-${Date.now() % 1000000}`;

test('a reveal made directly against OpenBao shows on the Activity page under its actor', async ({ page, request }) => {
  const bao = new Bao(request);
  const path = `${unique()}/direct`;
  const reader = `reader-${Date.now() % 100000}`;

  await test.step('a credential, written through the console', async () => {
    await new LoginPage(page).goto();
    await new LoginPage(page).logIn();
    const creds = new CredentialsPage(page);
    await creds.goto('staging');
    await creds.create(path, 'read-around-crypter');
  });

  await test.step('someone reads it straight from OpenBao, not through Crypter', async () => {
    await bao.root('PUT', `sys/policies/acl/${reader}`, {
      policy: `path "env/staging/data/${path}" {\n  capabilities = ["read"]\n}\n`,
    });
    const token = await bao.userToken(reader, 'reader-password-1', [reader]);
    const read = await bao.call('GET', `env/staging/data/${path}`, token);
    expect(read.status()).toBe(200);
  });

  await test.step('the Activity page shows their reveal, by name, without the value', async () => {
    await page.getByTestId('nav').getByTestId('nav-activity').click();
    await expect(page.getByTestId('activity-feed')).toBeVisible();
    const row = page
      .getByTestId('activity-row')
      .filter({ hasText: `staging/${path}` })
      .filter({ has: page.getByTestId('activity-actor').getByText(reader, { exact: true }) });
    await expect(row).toHaveAttribute('data-action', 'credential.reveal');
    await expect(page.getByTestId('activity-table')).not.toContainText('read-around-crypter');
  });

  await test.step("people first: the backend identity's own records are left out", async () => {
    const backend = page.getByTestId('activity-actor').getByText('approle:crypter-backend', { exact: true });
    await expect(page.getByTestId('activity-row').first()).toBeVisible();
    await expect(backend).toHaveCount(0);
    await page.getByTestId('activity-own-reads').check();
    await expect(backend.first()).toBeVisible();
    await page.getByTestId('activity-own-reads').uncheck();
    await expect(backend).toHaveCount(0);
  });

  await test.step('filtered by action, the page lists only reveals, theirs among them', async () => {
    await page.getByLabel('Action').selectOption('credential.reveal');
    const rows = page.getByTestId('activity-row');
    await expect(rows.filter({ hasText: `staging/${path}` })).toHaveCount(1);
    const actions = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['credential.reveal']));
    await page.getByLabel('Action').selectOption('policy.write');
    await expect(rows.filter({ hasText: `policy/${reader}` }).first()).toBeVisible();
    await expect(rows.filter({ hasText: `staging/${path}` })).toHaveCount(0);
  });

  await test.step('the Overview shows recent activity from the same feed', async () => {
    await page.getByTestId('nav').getByTestId('nav-overview').click();
    await expect(page.getByTestId('overview-activity').getByTestId('activity-row').first()).toBeVisible();
    await expect(page.getByTestId('no-audit-feed')).toHaveCount(0);
  });
});
