import { expect, test } from '@playwright/test';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';

test('lint findings show on the overview and on the credentials page', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();

  await test.step('overview: findings and the chart', async () => {
    const lint = page.getByTestId('overview-lint');
    await expect(lint.locator('[data-rule="environment-mismatch"]')).toContainText('payments/copied-from-prod');
    await expect(lint.locator('[data-rule="shared-value"]').first()).toContainText('legacy/smtp-password');
    await expect(lint.locator('[data-rule="rotation-overdue"]').first()).toBeVisible();
    await expect(page.getByTestId('env-chart').getByTestId('chart-bar')).toHaveCount(await page.getByTestId('chart-bar').count());
    await expect(page.locator('[data-testid="chart-bar"][data-env="staging"]')).toBeVisible();
  });

  await test.step('credentials page: only the picked environment', async () => {
    const creds = new CredentialsPage(page);
    await creds.goto('staging');
    const findings = page.getByTestId('lint-findings');
    await expect(findings.locator('[data-rule="environment-mismatch"]')).toBeVisible();
    await expect(findings.locator('[data-rule="unexpected-in-protected"]')).toHaveCount(0);
    await expect(creds.row('signing/legacy-hmac').getByTestId('rotation-due')).toBeVisible();
  });
});
