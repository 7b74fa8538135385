import { expect, test } from '@playwright/test';
import { Bao } from './pages/bao';
import { FreezePage } from './pages/freeze';
import { LoginPage } from './pages/login';

test('a write by root during a freeze is listed, and a damaged snapshot is thawed from its good version', async ({ page, request }) => {
  const bao = new Bao(request);
  const freeze = new FreezePage(page);
  const sneaky = `sneaky-${Date.now() % 100000}`;

  await test.step('freeze provisioning from the console', async () => {
    await new LoginPage(page).goto();
    await new LoginPage(page).logIn();
    await freeze.open();
    await expect(page.getByTestId('freeze-level')).toHaveText('none');
    await freeze.freeze('provisioning', 'e2e: writes through the freeze');
    await expect(page.getByTestId('freeze-level')).toHaveText('provisioning');
    await expect(page.getByTestId('freeze-writes-none')).toBeVisible();
  });

  await test.step('root writes a policy straight to OpenBao; the Freeze page lists it', async () => {
    await bao.root('PUT', `sys/policies/acl/${sneaky}`, {
      policy: 'path "secret/x" {\n  capabilities = ["read"]\n}\n',
    });
    await page.getByTestId('freeze-writes-refresh').click();
    const row = page.getByTestId('freeze-writes').getByTestId('activity-row').filter({ hasText: `policy/${sneaky}` });
    await expect(row).toHaveAttribute('data-action', 'policy.write');
    await expect(row.getByTestId('activity-actor')).toHaveText('root');
    await expect(page.getByTestId('freeze-writes-count')).toHaveText('1 write(s) got through');
  });

  await test.step('the snapshot is damaged: thaw says so and offers the good version', async () => {
    await bao.root('POST', 'crypter/data/freeze/snapshot', { data: { damaged: true } });
    await freeze.thaw();
    await expect(page.getByTestId('thaw-panel').getByTestId('error')).toContainText('cannot be restored');
    await expect(page.getByTestId('snapshot-version')).toHaveCount(2);
    await expect(page.locator('[data-testid="snapshot-version"][data-good="true"]')).toHaveCount(1);
    await expect(page.getByTestId('thaw-version')).toHaveValue('1');
    await expect(page.getByTestId('thaw-from-version')).toBeDisabled();
    await page.getByTestId('thaw-version-reason').fill('snapshot overwritten in the e2e test');
    await page.getByTestId('thaw-from-version').click();
    await expect(page.getByTestId('freeze-level')).toHaveText('none');
    await expect(page.getByTestId('freeze-banner')).toBeHidden();
  });

  await bao.root('DELETE', `sys/policies/acl/${sneaky}`);
});
