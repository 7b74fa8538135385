import { expect, test } from '@playwright/test';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';

test('lint findings show on the overview and on the credentials page', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();

  await test.step('overview: the demo data findings', async () => {
    const lint = page.getByRole('region', { name: 'Lint findings' });
    const finding = (rule: string, text: string) =>
      lint.getByRole('listitem').filter({ hasText: rule }).filter({ hasText: text });
    await expect(finding('environment-mismatch', 'staging/payments/copied-from-prod')).toHaveCount(1);
    await expect(finding('shared-value', 'production/legacy/smtp-password')).toHaveCount(1);
    await expect(finding('rotation-overdue', 'signing/legacy-hmac').first()).toBeVisible();
  });

  await test.step('overview: one chart bar per environment, with its count from the API', async () => {
    const envs: { name: string; credential_count: number | null }[] =
      await (await page.request.get('/api/v1/environments')).json();
    expect(envs.length).toBeGreaterThanOrEqual(2);
    const chart = page.getByRole('img', { name: 'Credentials per environment' });
    // SVG bars have no accessible name of their own: they are found by their test id.
    await expect(chart.getByTestId('chart-bar')).toHaveCount(envs.length);
    for (const e of envs) {
      const bar = chart.locator(`[data-testid="chart-bar"][data-env="${e.name}"]`);
      await expect(bar).toHaveAttribute('data-count', String(e.credential_count ?? 0));
      await expect(bar).toContainText(e.name);
    }
  });

  await test.step('credentials page: only the picked environment', async () => {
    const creds = new CredentialsPage(page);
    await creds.goto('staging');
    const findings = page.getByRole('region', { name: 'Lint findings in this environment' });
    await expect(findings.getByRole('listitem').filter({ hasText: 'environment-mismatch' })).toContainText('staging/payments/copied-from-prod');
    await expect(findings.getByRole('listitem').filter({ hasText: 'production/' })).toHaveCount(0);
    await expect(findings.getByRole('listitem').filter({ hasText: 'unexpected-in-protected' })).toHaveCount(0);
    await page.getByLabel('Path prefix').fill('signing/');
    await expect(creds.row('signing/legacy-hmac')).toContainText('rotate');
  });
});
