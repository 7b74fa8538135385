import { expect, test } from '@playwright/test';
import { LoginPage } from './pages/login';
import { RolesPage } from './pages/roles';

test('create a role with two grants, see its diff, issue a secret-id, check access, delete it', async ({ page }) => {
  const roles = new RolesPage(page);
  const name = `ci-reader-${Date.now() % 100000}`;
  await new LoginPage(page).goto();
  await new LoginPage(page).logIn();
  await roles.goto();

  await roles.fillNewRole(name, 'service', 'reads payments in staging', [
    { environment: 'staging', scope: 'payments/*', capabilities: ['read', 'list'] },
    { environment: '*', scope: 'payments/stripe-key', capabilities: ['read'], deny: true },
  ]);

  await test.step('an invalid scope is flagged in its row and blocks the diff', async () => {
    const editor = roles.editor();
    const scope = editor.getByLabel('Scope of grant 2');
    const grant = editor.getByRole('row').filter({ has: page.getByLabel('Scope of grant 2') });
    await scope.fill('payments/../x');
    await expect(grant).toContainText("'..' is not allowed");
    await expect(editor.getByRole('button', { name: 'Show policy diff' })).toBeDisabled();
    await scope.fill('payments/stripe-key');
    await expect(grant).not.toContainText('not allowed');
  });

  await roles.showDiff();
  await test.step('the diff shows the whole new policy, and save appears only now', async () => {
    const diff = roles.editor().getByTestId('policy-diff');
    await expect(diff).toContainText('New policy');
    await expect(diff).toContainText('+ path "env/staging/data/payments/*"');
    await expect(diff).toContainText('+ path "env/staging/data/payments/stripe-key"');
    await expect(diff).toContainText('"deny"');
    // Editing the form hides save until the diff is shown again.
    await roles.editor().getByLabel('Description', { exact: true }).fill('reads payments in staging!');
    await expect(roles.editor().getByRole('button', { name: 'Create role' })).toHaveCount(0);
    await roles.showDiff();
  });
  await roles.save();

  await test.step('the list shows the class and two grants, in sync', async () => {
    await expect(roles.row(name).getByRole('cell').nth(1)).toHaveText('service');
    await expect(roles.row(name).getByRole('cell').nth(2)).toHaveText('2');
    await expect(roles.detail(name).getByText('in sync', { exact: true })).toBeVisible();
  });

  await roles.checkAccess('staging', 'payments/db');
  await test.step('OpenBao allows read on payments/db and denies writes', async () => {
    await expect(roles.answer('read')).toHaveText('allowed');
    await expect(roles.answer('update')).toHaveText('denied');
  });
  await roles.checkAccess('staging', 'payments/stripe-key');
  await expect(roles.answer('read')).toHaveText('denied');

  await roles.issueSecretId('1h');
  await test.step('the secret-id is shown once, with copy buttons, and listed by accessor', async () => {
    const box = roles.secretIds();
    const issued = box.getByRole('status');
    const secret = (await issued.getByRole('definition').nth(1).locator('code').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    await expect(issued.getByRole('button', { name: /^Copy/ })).toHaveCount(2);
    await expect(box.getByRole('table').getByRole('row')).toHaveCount(2);
    await issued.getByRole('button', { name: 'Done' }).click();
    await expect(issued).toHaveCount(0);
    await expect(page.locator('body')).not.toContainText(secret);
    await page.reload();
    await roles.row(name).getByRole('button', { name }).click();
    await expect(roles.secretIds().getByRole('table').getByRole('row')).toHaveCount(2);
    await expect(page.locator('body')).not.toContainText(secret);
  });

  await roles.deleteRole(name);
});

test('run the identity checks: the demo e2e identity passes', async ({ page }) => {
  const roles = new RolesPage(page);
  await new LoginPage(page).goto();
  await new LoginPage(page).logIn();
  await roles.goto();
  await roles.runIdentityChecks();
  const row = page.getByTestId('identity-checkout-bot');
  await expect(row.getByTestId('identity-status')).toHaveText('ok');
  await expect(row).toContainText('canary staging/e2e/checkout-bot: expected 200, got 200');
});

test('manage a user, and flag what depends on a deprecated login method', async ({ page }) => {
  const roles = new RolesPage(page);
  const user = `tester${Date.now() % 100000}`;
  await new LoginPage(page).goto();
  await new LoginPage(page).logIn();
  await roles.goto();

  await test.step('create a user with a role; the password is not kept in the form', async () => {
    const form = page.getByTestId('user-create');
    await form.getByLabel('Username').fill(user);
    await form.getByLabel('Password (12 characters or more)').fill('a very long test password');
    await form.getByLabel('Roles (comma-separated)').fill('payments-api');
    await form.getByTestId('user-create-submit').click();
    await expect(page.getByTestId(`user-row-${user}`)).toBeVisible();
    await expect(page.getByTestId(`user-roles-${user}`)).toHaveValue('payments-api');
    await expect(form.getByLabel('Password (12 characters or more)')).toHaveValue('');
  });

  await test.step('mark approle/ deprecated: machine roles and the identity checks flag it', async () => {
    await page.getByTestId('deprecated-input').fill('approle/');
    await page.getByTestId('deprecated-save').click();
    await expect(page.getByTestId('deprecated-input')).toHaveValue('approle/');
    await page.reload();
    await expect(roles.row('payments-api').getByTestId('role-row-deprecated')).toContainText('approle/');
    await roles.runIdentityChecks();
    await expect(page.getByTestId('identities-deprecated')).toContainText('approle/');
  });

  await test.step('mark userpass/ deprecated: users are flagged', async () => {
    await page.getByTestId('deprecated-input').fill('userpass/');
    await page.getByTestId('deprecated-save').click();
    await expect(page.getByTestId('deprecated-input')).toHaveValue('userpass/');
    await page.reload();
    await expect(page.getByTestId(`user-row-${user}`).getByTestId('user-deprecated')).toContainText('userpass/');
    await expect(roles.row('payments-api').getByTestId('role-row-deprecated')).toHaveCount(0);
  });

  await test.step('clean up: no deprecated methods, delete the user', async () => {
    await page.getByTestId('deprecated-input').fill('');
    await page.getByTestId('deprecated-save').click();
    await expect(page.getByTestId('deprecated-input')).toHaveValue('');
    const row = page.getByTestId(`user-row-${user}`);
    await row.getByTestId('user-delete').click();
    await row.getByTestId('user-delete-confirm').click();
    await expect(page.getByTestId(`user-row-${user}`)).toHaveCount(0);
  });
});
