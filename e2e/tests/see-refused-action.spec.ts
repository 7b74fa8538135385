import { expect, test } from '@playwright/test';
import { Bao } from './pages/bao';
import { LoginPage } from './pages/login';
import { adminApi } from './pages/seed';

// A refusal names the Crypter thing it was about, never OpenBao's path, and shows the
// request id under which Crypter's log keeps OpenBao's own reason.
test('a refused credential names it and shows the request id to quote', async ({ page, request }) => {
  const n = Date.now() % 1000000;
  const env = `e2e-refused-${n}`;
  const user = `e2e-nobody-${n}`;
  await test.step('an environment with a credential, and a user whose token grants nothing', async () => {
    const admin = await adminApi(request);
    await admin.environment(env);
    await admin.credential(env, 'db/password', 'never-shown-value');
    await new Bao(request).userToken(user, 'nobody-password-1', ['default']);
  });

  const login = new LoginPage(page);
  await login.goto();
  await login.logIn(user, 'nobody-password-1');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();

  const answered = page.waitForResponse((r) => r.url().includes(`/environments/${env}/credentials`) && r.status() === 403);
  await page.goto(`/credentials?env=${env}&path=db/password`);
  const refused = await answered;
  const id = refused.headers()['x-request-id'];
  expect(id).toMatch(/^[0-9a-f]{24}$/);

  const alert = page.getByRole('alert').filter({ hasText: `OpenBao refused this action on the credentials of environment ${env}` }).first();
  await expect(alert).toBeVisible();
  await expect(alert.getByTestId('error-request-id')).toHaveText(/^\(request id [0-9a-f]{24}\)$/);
  const shown = await page.getByRole('alert').filter({ hasText: 'OpenBao refused' }).allTextContents();
  expect(shown.join(' ')).toContain(`(request id ${id})`);
  for (const path of ['env/', 'sys/', 'auth/', 'crypter/data']) {
    expect(shown.join(' ')).not.toContain(path);
  }
  await expect(page.locator('body')).not.toContainText('never-shown-value');
});
