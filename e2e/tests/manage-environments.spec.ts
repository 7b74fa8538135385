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
  await expect(envs.row('staging').getByTestId('env-count')).not.toHaveText('0');
  await expect(envs.row('production').getByTestId('protected-badge')).toBeVisible();
  const name = `qa-${Date.now() % 100000}`;
  await envs.create(name, 'made by e2e');
  await expect(envs.row(name).getByTestId('env-count')).toHaveText('0');
  await expect(envs.row(name).getByTestId('protected-badge')).toHaveCount(0);

  await test.step('edit it', async () => {
    await envs.row(name).getByTestId('edit-env').click();
    const form = page.getByTestId('env-edit');
    await form.getByLabel('Description').fill('edited by e2e');
    await form.getByTestId('env-save').click();
    await expect(envs.row(name)).toContainText('edited by e2e');
  });
});

test('deleting a protected environment needs its name typed', async ({ page }) => {
  const envs = new EnvironmentsPage(page);
  await envs.goto();
  const name = `locked-${Date.now() % 100000}`;
  await envs.create(name, 'protected, empty', true);
  await expect(envs.row(name).getByTestId('protected-badge')).toBeVisible();

  await test.step('the confirm button waits for the exact name', async () => {
    await envs.row(name).getByTestId('delete-env').click();
    const confirm = envs.row(name).getByTestId('typed-confirm');
    await expect(confirm).toBeVisible();
    await confirm.getByTestId('confirm-input').fill('wrong');
    await expect(confirm.getByTestId('confirm-submit')).toBeDisabled();
    await confirm.getByTestId('confirm-input').fill(name);
    await confirm.getByTestId('confirm-submit').click();
  });
  await expect(envs.row(name)).toHaveCount(0);
});

test('an environment that still holds credentials is not deleted', async ({ page }) => {
  const envs = new EnvironmentsPage(page);
  await envs.goto();
  await envs.row('staging').getByTestId('delete-env').click();
  await expect(page.getByTestId('error')).toContainText('still holds');
  await expect(envs.row('staging')).toBeVisible();
});
