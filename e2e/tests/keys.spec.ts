import { expect, test } from '@playwright/test';
import { KeysPage } from './pages/keys';
import { LoginPage } from './pages/login';
import { RolesPage } from './pages/roles';

// Makes its own state: a key and a role with names of its own, in the protected
// environment (production), so rotation asks for the environment's name.
test('create a key, rotate it, grant encrypt to a role, check access, see rotation due', async ({ page }) => {
  const n = Date.now() % 100000;
  const key = `e2e-cards-${n}`;
  const role = `e2e-encrypter-${n}`;
  const keys = new KeysPage(page);
  await new LoginPage(page).goto();
  await new LoginPage(page).logIn();
  await keys.goto();
  await keys.pickEnvironment('production');
  // A one-hour period: not due yet.
  await keys.create(key, 'aes256-gcm96', '1h');
  await expect(keys.row(key).getByTestId('key-latest')).toHaveText('v1');
  await expect(keys.row(key).getByTestId('key-rotation-due')).toHaveCount(0);

  await keys.rotate('production');
  await test.step('the key is at v2, with both versions listed', async () => {
    await expect(keys.detail().getByTestId('key-detail-latest')).toHaveText('v2');
    await expect(keys.detail().getByTestId('key-versions').getByRole('listitem')).toHaveCount(2);
    await expect(keys.row(key).getByTestId('key-latest')).toHaveText('v2');
  });

  await test.step('try it: encrypt with v2, decrypt back', async () => {
    const cipher = await keys.tryIt('encrypt', 'hello from e2e');
    await expect(cipher).toHaveText(/^vault:v2:/);
    const text = (await cipher.textContent())!;
    const plain = await keys.tryIt('decrypt', text);
    await expect(plain).toHaveText('hello from e2e');
  });

  await test.step('the minimum decryption version names what it would strand', async () => {
    const box = keys.detail().getByTestId('key-min-version');
    await box.getByLabel('Decrypt down to version').fill('2');
    await expect(box.getByTestId('key-min-warning')).toContainText('scan them first');
  });

  const roles = new RolesPage(page);
  await roles.goto();
  await test.step(`grant encrypt on ${key} to a new role`, async () => {
    await page.getByTestId('role-new').click();
    const editor = roles.editor();
    await editor.getByLabel('Name').fill(role);
    await editor.getByTestId('role-class').selectOption('service');
    await editor.getByLabel('Description').fill('encrypts card numbers');
    await editor.getByTestId('grant-env-0').fill('production');
    await editor.getByTestId('grant-target-0').selectOption('keys');
    await editor.getByTestId('grant-scope-0').fill(key);
    await editor.getByTestId('grant-0-encrypt').check();
    await roles.showDiff();
    await expect(editor.getByTestId('policy-diff')).toContainText(`transit/production/encrypt/${key}`);
    await roles.save();
  });
  await test.step('OpenBao allows encrypt and denies decrypt and rotate', async () => {
    const form = roles.detail().getByTestId('check-access');
    await form.getByLabel('Environment').fill('production');
    await form.getByLabel('Check').selectOption('key');
    await form.getByLabel('Key name').fill(key);
    await form.getByTestId('check-submit').click();
    const result = form.getByTestId('check-result');
    await expect(result.getByTestId('check-encrypt')).toHaveText('allowed');
    await expect(result.getByTestId('check-decrypt')).toHaveText('denied');
    await expect(result.getByTestId('check-rotate')).toHaveText('denied');
  });

  await test.step('a key whose period has passed shows rotation due', async () => {
    const stale = `e2e-due-${n}`;
    await keys.goto();
    await keys.pickEnvironment('production');
    await keys.create(stale, 'ed25519', '1s');
    await expect(async () => {
      await page.getByTestId('keys-refresh').click();
      await expect(keys.row(stale).getByTestId('key-rotation-due')).toBeVisible({ timeout: 1000 });
    }).toPass();
    // The open detail is refreshed with the list.
    await expect(keys.detail().getByTestId('key-detail-rotation')).toHaveText('due');
    await expect(keys.row(key).getByTestId('key-rotation-due')).toHaveCount(0);
  });

  await roles.goto();
  await roles.row(role).getByTestId(`role-open-${role}`).click();
  await roles.deleteRole(role);
});
