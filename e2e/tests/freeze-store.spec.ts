import { expect, test } from '@playwright/test';
import { FreezePage } from './pages/freeze';
import { LoginPage } from './pages/login';
import { RolesPage } from './pages/roles';

test('freeze at provisioning, verify every probe, see a frozen action refused, thaw', async ({ page }) => {
  const freeze = new FreezePage(page);

  await test.step('log in and open the Freeze page', async () => {
    const login = new LoginPage(page);
    await login.goto();
    await login.logIn();
    await expect(page.getByTestId('freeze-banner')).toBeHidden();
    await freeze.open();
    await expect(page.getByTestId('freeze-level')).toHaveText('none');
  });

  await test.step('freeze with typed confirmation; the banner appears', async () => {
    await freeze.freeze('provisioning', 'e2e: move to dc2');
    await expect(page.getByTestId('freeze-level')).toHaveText('provisioning');
    await expect(page.getByTestId('freeze-banner')).toBeVisible();
    await expect(page.getByTestId('freeze-banner-level')).toHaveText('provisioning');
    await expect(page.getByTestId('freeze-banner-verified')).toHaveText('not verified');
    await expect(page.getByTestId('freeze-reason')).toHaveText('e2e: move to dc2');
  });

  await test.step('verify: every probe is as expected', async () => {
    await freeze.verify();
    await expect(page.getByTestId('verify-result')).toContainText('Verified: all');
    const rows = page.getByTestId('probe-row');
    expect(await rows.count()).toBeGreaterThan(10);
    await expect(page.locator('[data-testid="probe-row"][data-status="fail"]')).toHaveCount(0);
    await expect(page.getByTestId('verify-exemptions')).toContainText('crypter-operator');
    await expect(page.getByTestId('freeze-banner-verified')).toHaveText('verified');
  });

  await test.step('the banner follows to other pages', async () => {
    await page.getByTestId('nav').getByTestId('nav-overview').click();
    await expect(page.getByTestId('freeze-banner')).toBeVisible();
  });

  await test.step('creating a role in the console is refused with who froze and when', async () => {
    const roles = new RolesPage(page);
    await roles.goto();
    await expect(page.getByTestId('freeze-banner')).toBeVisible();
    await roles.fillNewRole('refused-role', 'service', 'made while frozen', [
      { environment: 'staging', scope: 'payments/*', capabilities: ['read'] },
    ]);
    await roles.showDiff();
    await roles.editor().getByTestId('role-save').click();
    await expect(roles.editor().getByTestId('error')).toContainText('frozen at level provisioning by admin');
  });

  await test.step('thaw with typed confirmation; the banner goes', async () => {
    await page.getByTestId('freeze-banner-link').click();
    await freeze.thaw();
    await expect(page.getByTestId('freeze-level')).toHaveText('none');
    await expect(page.getByTestId('freeze-banner')).toBeHidden();
  });
});
