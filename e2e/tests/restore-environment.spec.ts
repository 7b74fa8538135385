import { expect, test } from '@playwright/test';
import { api } from './pages/changesets';
import { EnvironmentsPage } from './pages/environments';
import { LoginPage } from './pages/login';

const suffix = Date.now().toString().slice(-8);
const env = `rp${suffix}`;

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  // Logged in once the console's navigation shows: the session cookie is set.
  await new EnvironmentsPage(page).goto();
});

test('make a named restore point, compare it with now, and restore the environment', async ({ page }) => {
  await test.step('its own environment with two credentials', async () => {
    await api(page, 'POST', '/environments', { name: env, description: 'restore', protected: false });
    await api(page, 'PUT', `/environments/${env}/credentials/app/a`, { data: { v: 'then' }, class: 'service' });
    await api(page, 'PUT', `/environments/${env}/credentials/app/b`, { data: { v: 'then' }, class: 'service' });
  });

  const card = page.getByTestId('restore-points-card');
  await test.step('make the restore point on the Environments page', async () => {
    await page.reload();
    await card.getByLabel('Environment').selectOption(env);
    await card.getByLabel('Name').fill('before-change');
    await card.getByTestId('rp-make').click();
    await expect(card.locator('[data-testid="rp-row"][data-name="before-change"]')).toBeVisible();
  });

  await test.step('change one, create one; compare names both', async () => {
    await api(page, 'PUT', `/environments/${env}/credentials/app/a`, { data: { v: 'now' } });
    await api(page, 'PUT', `/environments/${env}/credentials/app/c`, { data: { v: 'new' }, class: 'service' });
    await card.getByTestId('rp-compare').click();
    await expect(card.locator('[data-testid="rp-drift"][data-drift="changed"]')).toContainText('app/a');
    await expect(card.locator('[data-testid="rp-drift"][data-drift="created"]')).toContainText('app/c');
    await expect(card.getByTestId('rp-counts')).toContainText('same 1');
  });

  await test.step('plan the restore and apply it', async () => {
    await card.getByTestId('rp-restore').click();
    await expect(card.getByTestId('rp-plan-counts')).toHaveText('delete 1, restore 1');
    await card.getByTestId('rp-apply').click();
    await expect(card.getByTestId('rp-started')).toBeVisible();
    await expect(async () => {
      const a = await (await api(page, 'GET', `/environments/${env}/credentials/app/a`)).json();
      expect(a.current_version).toBe(3);
      const c = await (await api(page, 'GET', `/environments/${env}/credentials/app/c`)).json();
      expect(c.deleted).toBe(true);
    }).toPass({ timeout: 20_000 });
  });
});
