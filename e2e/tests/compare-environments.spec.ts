import { expect, test } from '@playwright/test';
import { CredentialsPage } from './pages/credentials';
import { EnvironmentsPage } from './pages/environments';
import { LoginPage } from './pages/login';

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
});

test('compare two environments and promote a credential', async ({ page }) => {
  const creds = new CredentialsPage(page);
  const envs = new EnvironmentsPage(page);
  const prefix = `promo-${Date.now() % 1000000}/`;
  await creds.goto('staging');
  await creds.create(`${prefix}key`, 'promoted-value', { cls: 'key' });

  await envs.goto();
  await envs.compare('staging', 'production', prefix);
  const row = envs.compareRow(`${prefix}key`);
  await expect(row).toContainText('present');
  await expect(row).toContainText('missing');
  await expect(envs.compareBox()).not.toContainText('promoted-value');

  await test.step('promote to production', async () => {
    await row.getByRole('button', { name: 'Promote' }).click();
    await expect(row.getByRole('cell').nth(3)).toHaveText('equal');
  });

  await test.step('the shared demo value shows as equal', async () => {
    await envs.compare('staging', 'production', 'legacy/');
    await expect(envs.compareRow('legacy/smtp-password').getByRole('cell').nth(3)).toHaveText('equal');
  });

  await test.step('production now holds it, with the same value', async () => {
    await creds.goto('production');
    await creds.open(`${prefix}key`);
    await expect(creds.detail().getByRole('definition').nth(4)).toHaveText('production');
    await creds.reveal(1);
    await expect(creds.revealed().locator('code.value')).toHaveText('promoted-value');
  });

  await test.step('overwriting in protected production needs its name typed', async () => {
    await creds.goto('staging');
    await creds.open(`${prefix}key`);
    await creds.editValue('newer-value');
    await envs.goto();
    await envs.compare('staging', 'production', prefix);
    const row = envs.compareRow(`${prefix}key`);
    await expect(row.getByRole('cell').nth(3)).toHaveText('different');
    await row.getByRole('button', { name: 'Promote (overwrite)' }).click();
    const dialog = page.getByRole('dialog', { name: /Promote \(overwrite\) in a protected environment/ });
    await expect(dialog.getByRole('button', { name: 'Promote (overwrite)' })).toBeDisabled();
    await dialog.getByLabel(/Type production to confirm/).fill('production');
    await dialog.getByRole('button', { name: 'Promote (overwrite)' }).click();
    await expect(row.getByRole('cell').nth(3)).toHaveText('equal');
  });
});
