import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { tabTo } from './pages/a11y';
import { CredentialsPage } from './pages/credentials';
import { adminApi } from './pages/seed';

test('keyboard only: log in, pick an environment, move through the list, open, reveal, confirm', async ({ page, request }) => {
  const env = `kb${Date.now() % 1000000}`;
  await test.step(`make a protected environment ${env} with three credentials`, async () => {
    const api = await adminApi(request);
    await api.environment(env, true);
    for (const [path, value] of [['app/a', 'value-a'], ['app/b', 'value-b'], ['app/c', 'value-c']]) {
      await api.credential(env, path, value);
    }
  });
  const kb = page.keyboard;

  await test.step('log in', async () => {
    await page.goto('/login');
    await tabTo(page, page.getByLabel('Username'));
    await kb.type('admin');
    await kb.press('Tab');
    await kb.type(ADMIN_PASSWORD);
    await kb.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  });

  await test.step('go to Credentials and pick the environment', async () => {
    await tabTo(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credentials' }));
    await kb.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Credentials' })).toBeVisible();
    const creds = new CredentialsPage(page);
    // Typing picks an option by its text: wait, as a person would, until the environments
    // are listed (a client-side navigation reaches the picker before they load).
    await expect(creds.picker().locator(`option[value="${env}"]`)).toBeAttached();
    await tabTo(page, creds.picker());
    await kb.type(env);
    await expect(creds.picker()).toHaveValue(env);
    await expect(creds.count()).toHaveText('3 shown of 3');
  });

  const creds = new CredentialsPage(page);
  await test.step('move through the list with the arrow keys and open the third', async () => {
    await tabTo(page, creds.list());
    const active = () => creds.list().getAttribute('aria-activedescendant');
    await expect.poll(active).toBe('cred-opt-0');
    await kb.press('ArrowDown');
    await kb.press('ArrowDown');
    await kb.press('ArrowDown');
    await expect.poll(active).toBe('cred-opt-2');
    await kb.press('ArrowUp');
    await kb.press('End');
    await expect.poll(active).toBe('cred-opt-2');
    await expect(creds.list().locator('#cred-opt-2')).toHaveAccessibleName(/^app\/c /);
    await kb.press('Enter');
    await expect(creds.row('app/c')).toHaveAttribute('aria-selected', 'true');
    await creds.openFromLink('app/c');
  });

  await test.step('reveal it', async () => {
    await tabTo(page, creds.detail().getByRole('button', { name: 'Reveal (version 1)' }));
    await kb.press('Enter');
    await expect(creds.revealed().locator('code.value')).toHaveText('value-c');
  });

  await test.step('the typed confirmation: focus moves in, stays in, Escape closes, focus returns', async () => {
    const del = creds.detail().getByRole('button', { name: 'Delete', exact: true });
    await tabTo(page, del);
    await kb.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete in a protected environment' });
    await expect(dialog).toBeVisible();
    const input = dialog.getByLabel(`Type ${env} to confirm`, { exact: false });
    await expect(input).toBeFocused();
    for (let i = 0; i < 6; i++) {
      await kb.press('Tab');
      expect(await dialog.evaluate((d) => d.contains(document.activeElement)), `Tab ${i + 1} left the dialog`).toBe(true);
    }
    await kb.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(del).toBeFocused();
  });

  await test.step('type the confirmation and delete', async () => {
    await kb.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete in a protected environment' });
    await expect(dialog.getByLabel(`Type ${env} to confirm`, { exact: false })).toBeFocused();
    await kb.type(env);
    await kb.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(creds.version(1)).toContainText('deleted');
    await expect(creds.row('app/c')).toContainText('deleted');
  });
});
