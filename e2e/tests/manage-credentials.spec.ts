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
  await expect(page.getByText('Pick an environment to list its credentials.')).toBeVisible();
  await expect(creds.picker()).toHaveValue('');
  await expect(creds.list()).toHaveCount(0);
});

test('create a credential, reveal it and copy it', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const path = `${unique()}/db`;
  await creds.create(path, 'first-secret-value');

  await test.step('the value stays masked until revealed', async () => {
    await expect(creds.detail().getByText(/reveal a version to see its value/)).toBeVisible();
    await expect(creds.detail()).not.toContainText('first-secret-value');
  });
  await creds.reveal(1);
  await expect(creds.revealed().locator('code.value')).toHaveText('first-secret-value');

  await test.step('copy puts the value on the clipboard', async () => {
    await creds.revealed().getByRole('button', { name: 'Copy value' }).click();
    await expect(creds.revealed().getByRole('status')).toHaveText('Copied.');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe('first-secret-value');
  });

  await test.step('hide puts the mask back', async () => {
    await creds.revealed().getByRole('button', { name: 'Hide' }).click();
    await expect(creds.detail()).not.toContainText('first-secret-value');
  });

  await test.step('the reveal is in the activity log', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
    const row = page.getByRole('row').filter({ hasText: `staging/${path}` }).first();
    await expect(row).toContainText('credential.reveal');
    await expect(page.getByRole('table')).not.toContainText('first-secret-value');
  });
});

test('edit a credential and roll it back', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const path = `${unique()}/api`;
  await creds.create(path, 'value-one');
  await creds.editValue('value-two');
  await expect(creds.version(2)).toContainText('current');
  await creds.reveal(2);
  await expect(creds.revealed().locator('code.value')).toHaveText('value-two');

  await test.step('roll back to version 1', async () => {
    await creds.version(1).getByRole('button', { name: 'Roll back to this (version 1)' }).click();
    await expect(creds.version(3)).toContainText('current');
  });
  await creds.reveal(3);
  await expect(creds.revealed().locator('code.value')).toHaveText('value-one');
});

test('a save changes its row and findings without listing the environment again', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const path = `${unique()}/svc`;
  await creds.create(path, 'v-one', { owner: 'first-owner' });
  await expect(creds.count()).toHaveText(/^\d+ shown of \d+$/);
  await expect(creds.row(path)).toContainText('first-owner');

  const requests: string[] = [];
  page.on('request', (r) => {
    // The data-center banner's health poll runs on its own timer (every 5 s), whatever the
    // page does: not one of the save's requests.
    if (r.url().includes('/api/v1/') && !r.url().includes('/api/v1/health')) {
      requests.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
    }
  });
  await test.step('edit: a new version with a new owner', async () => {
    await creds.detail().getByRole('button', { name: 'Edit (new version)' }).click();
    const form = creds.detail().getByRole('form', { name: 'New version' });
    await form.getByLabel('Value 1').fill('v-two');
    await form.getByLabel('Owner').fill('second-owner');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toBeHidden();
  });
  await test.step('the row, the detail and the findings follow', async () => {
    await expect(creds.row(path)).toContainText('second-owner');
    await expect(creds.row(path)).toContainText('v2');
    await expect(creds.version(2)).toContainText('current');
    await expect.poll(() => requests.some((r) => r.startsWith('GET /api/v1/lint?environment=staging&path='))).toBe(true);
  });
  await test.step('the page made one write, one detail read and one lint of that credential', async () => {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    expect(requests).toContain(`PUT /api/v1/environments/staging/credentials/${encoded}`);
    expect(requests).toContain(`GET /api/v1/environments/staging/credentials/${encoded}`);
    expect(requests.filter((r) => r.includes('/credentials?')), 'no list request').toEqual([]);
    expect(requests.filter((r) => r.startsWith('GET /api/v1/lint') && !r.includes('path=')), 'no wider lint').toEqual([]);
    expect(requests.length).toBeLessThanOrEqual(4);
  });
});

test('delete in a protected environment needs the name typed; undelete brings it back', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('production');
  const path = `${unique()}/token`;
  await creds.create(path, 'prod-value');

  await test.step('typed confirmation in a dialog', async () => {
    await creds.detail().getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete in a protected environment' });
    await expect(dialog).toContainText('production');
    await expect(dialog.getByRole('button', { name: 'Delete' })).toBeDisabled();
    await dialog.getByLabel(/Type production to confirm/).fill('production');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(dialog).toBeHidden();
  });
  await expect(creds.version(1)).toContainText('deleted');
  await expect(creds.row(path)).toContainText('deleted');

  await creds.version(1).getByRole('button', { name: 'Undelete (version 1)' }).click();
  await expect(creds.version(1)).toContainText('current');
  await expect(creds.row(path)).not.toContainText('deleted');
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
  await expect(creds.detail().getByRole('definition').filter({ hasText: '<script>' })).toHaveText(evil);
  await expect(creds.detail().locator('script')).toHaveCount(0);
  await expect(creds.detail().locator('img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

test('filters narrow the list', async ({ page }) => {
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  await expect(creds.count()).toHaveText(/^\d+ shown of \d+$/);
  await page.getByLabel('Filter by class').selectOption('e2e');
  await expect(creds.row('e2e/checkout-bot')).toBeVisible();
  await expect(creds.row('payments/db')).toHaveCount(0);
  await page.getByLabel('Filter by class').selectOption('');
  await page.getByRole('searchbox', { name: 'Text' }).fill('ledger');
  await expect(creds.list().getByRole('option')).toHaveCount(1);
  await expect(creds.row('payments/ledger-db')).toBeVisible();
  await page.getByRole('searchbox', { name: 'Text' }).fill('no-such-credential-anywhere');
  await expect(page.getByText('No credential matches these filters.')).toBeVisible();
});
