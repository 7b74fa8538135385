import { expect, test } from '@playwright/test';
import { PORT } from '../playwright.config';
import { CredentialsPage } from '../tests/pages/credentials';
import { LoginPage } from '../tests/pages/login';
import { Shell } from '../tests/pages/shell';

// `crypter dev --instances 3` serves the same store on PORT, PORT + 1 and PORT + 2 (dc1,
// dc2 and dc3), as instances behind a balancer would. A session made on one works on
// another: here A in dc1 and B in dc2.
const A = `http://127.0.0.1:${PORT}`;
const B = `http://127.0.0.1:${PORT + 1}`;

test('a console logged in through instance A keeps working when its requests go to B', async ({ page, request }) => {
  const path = `e2e/instances/${Date.now()}`;
  const creds = new CredentialsPage(page);

  await test.step('instance B is ready', async () => {
    await expect
      .poll(async () => (await request.get(`${B}/api/v1/health/ready`).catch(() => null))?.status(), {
        timeout: 30_000,
      })
      .toBe(200);
  });

  await test.step('log in through A and write a credential there', async () => {
    await new LoginPage(page).goto(`${A}/login`);
    await new LoginPage(page).logIn();
    await expect(page.getByTestId('store-status')).toHaveText('ok');
    await creds.goto('staging');
    await creds.create(path, 'written-through-a');
  });

  await test.step('switch to B mid-session: still logged in, no login page', async () => {
    await page.goto(`${B}/credentials`);
    await expect(page.getByTestId('page-title')).toHaveText('Credentials');
    await expect(page.getByTestId('login-form')).toHaveCount(0);
  });

  await test.step('B reads what A wrote, and writes with the same session (CSRF included)', async () => {
    await creds.pick('staging');
    await creds.open(path);
    await creds.editValue('written-through-b');
    await creds.reveal(2);
    await expect(creds.detail().getByTestId('revealed')).toContainText('written-through-b');
  });

  await test.step('log out on B: A is logged out too', async () => {
    await new Shell(page).logOut();
    await expect(page.getByTestId('login-form')).toBeVisible();
    await page.goto(`${A}/credentials`);
    await expect(page.getByTestId('login-form')).toBeVisible();
  });
});
