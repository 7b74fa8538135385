import { expect, test } from '@playwright/test';
import { EnvironmentsPage } from './pages/environments';
import { LoginPage } from './pages/login';

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
});

test('create an environment and see it with its count', async ({ page }) => {
  const envs = new EnvironmentsPage(page);
  await envs.goto();
  await expect(envs.count('staging')).not.toHaveText('0');
  await expect(envs.row('production').getByText('protected', { exact: true })).toBeVisible();
  const name = `qa-${Date.now() % 100000}`;
  await envs.create(name, 'made by e2e');
  await expect(envs.count(name)).toHaveText('0');
  await expect(envs.row(name).getByText('protected', { exact: true })).toHaveCount(0);

  await test.step('edit it', async () => {
    await envs.row(name).getByRole('button', { name: `Edit ${name}` }).click();
    const form = page.getByRole('form', { name: `Edit ${name}` });
    await form.getByLabel('Description').fill('edited by e2e');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(envs.row(name)).toContainText('edited by e2e');
  });
});

test('deleting a protected environment needs its name typed in a dialog', async ({ page }) => {
  const envs = new EnvironmentsPage(page);
  await envs.goto();
  const name = `locked-${Date.now() % 100000}`;
  await envs.create(name, 'protected, empty', true);
  await expect(envs.row(name).getByText('protected', { exact: true })).toBeVisible();

  await test.step('the confirm button waits for the exact name', async () => {
    await envs.row(name).getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete in a protected environment' });
    await expect(dialog).toBeVisible();
    const input = dialog.getByLabel(`Type ${name} to confirm`, { exact: false });
    await expect(input).toBeFocused();
    await input.fill('wrong');
    await expect(dialog.getByRole('button', { name: 'Delete' })).toBeDisabled();
    await input.fill(name);
    await dialog.getByRole('button', { name: 'Delete' }).click();
  });
  await expect(envs.row(name)).toHaveCount(0);
});

test('an environment that still holds credentials is not deleted', async ({ page }) => {
  const envs = new EnvironmentsPage(page);
  await envs.goto();
  await envs.row('staging').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('alert')).toContainText('still holds');
  await expect(envs.row('staging')).toBeVisible();
});
