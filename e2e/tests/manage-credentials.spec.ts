import { expect, test } from '@playwright/test';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
});

const unique = () => `e2e-${Date.now() % 1000000}`;

test('nothing is selected until an environment is picked', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto();
  await expect(page.getByTestId('pick-environment')).toBeVisible();
  await expect(page.getByTestId('env-picker')).toHaveValue('');
  await expect(page.getByTestId('credential-list')).toHaveCount(0);
});

test('create a credential, reveal it and copy it', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const path = `${unique()}/db`;
  await creds.create(path, 'first-secret-value');

  await test.step('the value stays masked until revealed', async () => {
    await expect(creds.detail().getByTestId('masked-value')).toBeVisible();
    await expect(creds.detail()).not.toContainText('first-secret-value');
  });
  await creds.reveal(1);
  await expect(creds.detail().getByTestId('revealed-value')).toHaveText('first-secret-value');

  await test.step('copy puts the value on the clipboard', async () => {
    await creds.detail().getByTestId('copy-value').click();
    await expect(creds.detail().getByTestId('copied')).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe('first-secret-value');
  });

  await test.step('the reveal is in the activity log', async () => {
    await page.getByTestId('nav').getByTestId('nav-activity').click();
    const row = page.getByTestId('activity-row').filter({ hasText: `staging/${path}` }).first();
    await expect(row).toHaveAttribute('data-action', 'credential.reveal');
    await expect(page.getByTestId('activity-table')).not.toContainText('first-secret-value');
  });
});

test('edit a credential and roll it back', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const path = `${unique()}/api`;
  await creds.create(path, 'value-one');
  await creds.editValue('value-two');
  await expect(creds.detail().getByTestId('version-row')).toHaveCount(2);
  await creds.reveal(2);
  await expect(creds.detail().getByTestId('revealed-value')).toHaveText('value-two');

  await test.step('roll back to version 1', async () => {
    await creds.detail().locator('[data-testid="version-row"][data-version="1"]').getByTestId('rollback-version').click();
    await expect(creds.detail().getByTestId('version-row')).toHaveCount(3);
  });
  await creds.reveal(3);
  await expect(creds.detail().getByTestId('revealed-value')).toHaveText('value-one');
});

test('delete in a protected environment needs the name typed; undelete brings it back', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('production');
  const path = `${unique()}/token`;
  await creds.create(path, 'prod-value');

  await test.step('typed confirmation', async () => {
    await creds.detail().getByTestId('delete-credential').click();
    const confirm = creds.detail().getByTestId('typed-confirm');
    await expect(confirm).toContainText('production');
    await expect(confirm.getByTestId('confirm-submit')).toBeDisabled();
    await confirm.getByTestId('confirm-input').fill('production');
    await confirm.getByTestId('confirm-submit').click();
  });
  const v1 = creds.detail().locator('[data-testid="version-row"][data-version="1"]');
  await expect(v1.getByTestId('version-state')).toHaveText('deleted');
  await expect(creds.row(path)).toContainText('deleted');

  await v1.getByTestId('undelete-version').click();
  await expect(v1.getByTestId('version-state')).toHaveText('current');
});

test('a script tag in a description renders as text', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const path = `${unique()}/xss`;
  const evil = '<script>window.__pwned = 1</script><img src=x onerror="alert(1)">';
  await creds.create(path, 'v', { description: evil });
  await expect(creds.detail().getByTestId('meta-description')).toHaveText(evil);
  await expect(creds.detail().locator('script')).toHaveCount(0);
  await expect(creds.detail().locator('img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

test('filters narrow the list', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  await page.getByTestId('filter-class').selectOption('e2e');
  await expect(creds.row('e2e/checkout-bot')).toBeVisible();
  await expect(creds.row('payments/db')).toHaveCount(0);
  await page.getByTestId('filter-class').selectOption('');
  await page.getByTestId('filter-q').fill('ledger');
  await expect(page.getByTestId('credential-row')).toHaveCount(1);
  await expect(creds.row('payments/ledger-db')).toBeVisible();
});
