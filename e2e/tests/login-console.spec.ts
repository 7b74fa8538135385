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
    await expect(page.getByTestId('page-title')).toHaveText('Overview');
    await expect(page.getByTestId('store-status')).toHaveText('ok');
    await expect(page.getByTestId('store-version')).toHaveText(/^2\.\d+\.\d+/);
    await expect(page.getByTestId('store-sealed')).toHaveText('unsealed');
    await expect(page.getByTestId('store-ha-mode')).toHaveText('disabled');
  });

  await test.step('every page is reachable from the navigation', async () => {
    for (const p of Shell.pages) {
      await shell.navigate(p.testid);
      await expect(page).toHaveURL(new RegExp(`${p.path === '/' ? '/$' : p.path + '$'}`));
      await expect(page.getByTestId('page-title')).toHaveText(p.title);
      await expect(page.getByTestId('nav').getByTestId(p.testid)).toHaveAttribute('aria-current', 'page');
    }
  });

  await test.step('log out', async () => {
    await shell.logOut();
    await expect(page.getByTestId('login-form')).toBeVisible();
    await page.goto('/roles');
    await expect(page).toHaveURL(/\/login\?next=%2Froles|\/login\?next=\/roles/);
  });
});

test('a page opened without a session sends you to login, then back', async ({ page }) => {
  await page.goto('/activity');
  await expect(page.getByTestId('login-form')).toBeVisible();
  await expect(page).toHaveURL(/\/login\?next=/);
  await new LoginPage(page).logIn();
  await expect(page).toHaveURL(/\/activity$/);
  await expect(page.getByTestId('page-title')).toHaveText('Activity');
});

test('the console is usable at 390 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  await expect(page.getByTestId('store-status')).toHaveText('ok');
  await expect(page.getByTestId('nav')).toBeHidden();
  await page.getByTestId('menu-toggle').click();
  await page.getByTestId('nav').getByTestId('nav-freeze').click();
  await expect(page.getByTestId('page-title')).toHaveText('Freeze');
  await expect(page.getByTestId('nav')).toBeHidden();
});

test('the theme toggle switches to dark and is remembered', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', /dark|light/);
  const theme = await page.locator('html').getAttribute('data-theme');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme!);
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
  await expect(page.getByTestId('login-form')).toBeVisible();
  expect(violations).toEqual([]);
});
