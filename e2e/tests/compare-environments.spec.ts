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
  await expect(page.getByTestId('compare')).not.toContainText('promoted-value');

  await test.step('promote to production', async () => {
    await row.getByTestId('promote').click();
    await expect(row.getByTestId('compare-equal')).toHaveText('equal');
  });

  await test.step('the shared demo value shows as equal', async () => {
    await envs.compare('staging', 'production', 'legacy/');
    await expect(envs.compareRow('legacy/smtp-password').getByTestId('compare-equal')).toHaveText('equal');
  });

  await test.step('production now holds it, with the same value', async () => {
    await creds.goto('production');
    await creds.open(`${prefix}key`);
    await expect(creds.detail().getByTestId('meta-environment')).toHaveText('production');
    await creds.reveal(1);
    await expect(creds.detail().getByTestId('revealed-value')).toHaveText('promoted-value');
  });
});
