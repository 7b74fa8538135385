import { expect, test } from '@playwright/test';
import { LoginPage } from './pages/login';
import { Shell } from './pages/shell';

test('a wrong password shows an error on the login form', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn('admin', 'not the password');
  await expect(login.error()).toContainText('not valid');
  await expect(page).toHaveURL(/\/login$/);
});

test('log in, see the store health, visit every page, log out', async ({ page }) => {
  const login = new LoginPage(page);
  const shell = new Shell(page);

  await test.step('log in', async () => {
    await login.goto();
    await login.logIn();
    await shell.expectLoggedInAs('admin');
  });

  await test.step('the overview shows the store health', async () => {
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    const health = page.getByRole('definition');
    await expect(health.filter({ hasText: /^ok$/ })).toBeVisible();
    await expect(health.filter({ hasText: /^2\.\d+\.\d+$/ })).toBeVisible();
    await expect(health.filter({ hasText: /^unsealed$/ })).toBeVisible();
    await expect(health.filter({ hasText: /^disabled$/ })).toBeVisible();
  });

  await test.step('every page is reachable from the navigation', async () => {
    for (const p of Shell.pages) {
      await shell.navigate(p.title);
      await expect(page).toHaveURL(new RegExp(`${p.path === '/' ? '/$' : p.path + '$'}`));
      await expect(shell.link(p.title)).toHaveAttribute('aria-current', 'page');
    }
  });

  await test.step('log out', async () => {
    await shell.logOut();
    await expect(login.form()).toBeVisible();
    await page.goto('/roles');
    await expect(page).toHaveURL(/\/login\?next=%2Froles|\/login\?next=\/roles/);
  });
});

test('a page opened without a session sends you to login, then back', async ({ page }) => {
  await page.goto('/activity');
  const login = new LoginPage(page);
  await expect(login.form()).toBeVisible();
  await expect(page).toHaveURL(/\/login\?next=/);
  await login.logIn();
  await expect(page).toHaveURL(/\/activity$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
});

test('the console is usable at 390 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  const login = new LoginPage(page);
  const shell = new Shell(page);
  await login.goto();
  await login.logIn();
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await expect(shell.nav()).toBeHidden();
  await page.getByRole('button', { name: 'Menu' }).click();
  await shell.link('Freeze').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Freeze' })).toBeVisible();
  await expect(shell.nav()).toBeHidden();

  await test.step("the Environments table keeps each row's actions in view", async () => {
    await page.goto('/environments');
    const table = page.getByRole('table', { name: 'Environments' });
    for (const name of ['Edit staging', 'Delete']) {
      const button = table.getByRole('row', { name: /^staging / }).getByRole('button', { name, exact: true });
      // Other specs' environments may push the row below the fold: what counts is that it
      // is not cut off sideways.
      await button.scrollIntoViewIfNeeded();
      await expect(button).toBeInViewport({ ratio: 1 });
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
  });
});

test('the theme toggle names the theme it switches to, and the choice is remembered', async ({ page }) => {
  const shell = new Shell(page);
  await page.emulateMedia({ colorScheme: 'light' });
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  await expect(shell.themeToggle()).toHaveText('Dark theme');
  await shell.themeToggle().click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(shell.themeToggle()).toHaveText('Light theme');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(shell.themeToggle()).toHaveText('Light theme');
  await shell.themeToggle().click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expect(shell.themeToggle()).toHaveText('Dark theme');
});

test('with no choice made, the toggle follows a dark system preference', async ({ page }) => {
  const shell = new Shell(page);
  await page.emulateMedia({ colorScheme: 'dark' });
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  // Logging in is a page load into the console: read the colours once it is there.
  await expect(shell.themeToggle()).toHaveText('Light theme');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe('rgb(15, 20, 27)');
  await shell.themeToggle().click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(246, 247, 249)');
});

test('the console loads under the strict CSP without violations', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  const resp = await page.goto('/login');
  const csp = resp!.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  await expect(new LoginPage(page).form()).toBeVisible();
  expect(violations).toEqual([]);
});
