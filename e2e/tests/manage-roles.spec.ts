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
    await editor.getByTestId('grant-scope-1').fill('payments/../x');
    await expect(editor.getByTestId('grant-error-1')).toContainText("'..' is not allowed");
    await expect(editor.getByTestId('role-preview')).toBeDisabled();
    await editor.getByTestId('grant-scope-1').fill('payments/stripe-key');
    await expect(editor.getByTestId('grant-error-1')).toHaveCount(0);
  });

  await roles.showDiff();
  await test.step('the diff shows the whole new policy, and save appears only now', async () => {
    const diff = roles.editor().getByTestId('policy-diff');
    await expect(diff.getByTestId('policy-diff-summary')).toContainText('New policy');
    await expect(diff).toContainText('+ path "env/staging/data/payments/*"');
    await expect(diff).toContainText('+ path "env/staging/data/payments/stripe-key"');
    await expect(diff).toContainText('"deny"');
    // Editing the form hides save until the diff is shown again.
    await roles.editor().getByLabel('Description').fill('reads payments in staging!');
    await expect(roles.editor().getByTestId('role-save')).toHaveCount(0);
    await roles.showDiff();
  });
  await roles.save();

  await test.step('the list shows the class and two grants, in sync', async () => {
    await expect(roles.row(name).getByTestId('role-class-cell')).toHaveText('service');
    await expect(roles.row(name).getByTestId('role-grant-count')).toHaveText('2');
    await expect(roles.detail().getByTestId('role-in-sync')).toBeVisible();
  });

  await roles.checkAccess('staging', 'payments/db');
  await test.step('OpenBao allows read on payments/db and denies writes', async () => {
    const result = roles.detail().getByTestId('check-result');
    await expect(result.getByTestId('check-read')).toHaveText('allowed');
    await expect(result.getByTestId('check-update')).toHaveText('denied');
  });
  await roles.checkAccess('staging', 'payments/stripe-key');
  await expect(roles.detail().getByTestId('check-result').getByTestId('check-read')).toHaveText('denied');

  await roles.issueSecretId('1h');
  await test.step('the secret-id is shown once, with copy buttons, and listed by accessor', async () => {
    const box = roles.detail().getByTestId('secret-ids');
    const secret = (await box.getByTestId('issued-secret-id').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    await expect(box.getByTestId('copy-secret-id')).toBeVisible();
    await expect(box.getByTestId('secret-id-row')).toHaveCount(1);
    await box.getByTestId('secret-id-dismiss').click();
    await expect(box.getByTestId('secret-id-issued')).toHaveCount(0);
    await expect(page.locator('body')).not.toContainText(secret);
    await page.reload();
    await roles.row(name).getByTestId(`role-open-${name}`).click();
    await expect(roles.detail().getByTestId('secret-id-row')).toHaveCount(1);
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
