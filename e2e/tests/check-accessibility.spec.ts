import { expect, test } from '@playwright/test';
import { expectAccessible } from './pages/a11y';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';
import { Shell } from './pages/shell';

for (const theme of ['light', 'dark'] as const) {
  test(`every page passes axe-core (WCAG 2.1 AA) in the ${theme} theme`, async ({ page }) => {
    test.setTimeout(180_000);
    await page.addInitScript((t) => window.localStorage.setItem('crypter-theme', t), theme);
    const login = new LoginPage(page);
    await login.goto();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await expectAccessible(page, `login (${theme})`);
    await login.logIn();
    const shell = new Shell(page);
    await shell.expectLoggedInAs('admin');

    for (const p of Shell.pages) {
      await page.goto(p.path);
      await expect(page.getByRole('heading', { level: 1, name: p.title })).toBeVisible();
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      // Let each page's sections load (no "Loading…" left), so axe sees the real page.
      await expect(page.locator('.loading')).toHaveCount(0, { timeout: 20_000 });
      await expectAccessible(page, `${p.title} (${theme})`);
    }

    await test.step('credentials: a list, a detail, a reveal, a form and the typed confirmation', async () => {
      const creds = new CredentialsPage(page);
      await page.goto('/credentials?env=production&path=payments/db');
      await creds.openFromLink('payments/db');
      await expect(creds.list().getByRole('option').first()).toBeVisible();
      await creds.reveal(1);
      await expectAccessible(page, `credentials with a detail and a revealed value (${theme})`);
      await creds.detail().getByRole('button', { name: 'Delete', exact: true }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await expectAccessible(page, `the typed confirmation dialog (${theme})`);
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog')).toBeHidden();
      await page.getByRole('button', { name: 'New credential' }).click();
      await expect(page.getByRole('form', { name: 'New credential' })).toBeVisible();
      await expectAccessible(page, `the new credential form (${theme})`);
    });

    await test.step('search results', async () => {
      await shell.search('payments');
      await expect(page.getByRole('table', { name: 'Credentials found' })).toBeVisible();
      await expectAccessible(page, `search results (${theme})`);
    });
  });
}
