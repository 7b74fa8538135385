import { expect, test } from '@playwright/test';
import { ChangesetsPage } from './pages/changesets';
import { LoginPage } from './pages/login';

const suffix = Date.now().toString().slice(-8);
const id = `e2e-${suffix}`;
const env = `cs${suffix}`;

function changeset(length: number): string {
  return `# uploaded by the e2e test
id = "${id}"
author = "e2e"
description = "copy staging into a fresh environment"
environment = "${env}"

[[operations]]
op = "create_environment"
description = "made by a changeset"

[[operations]]
op = "copy_credentials"
from = { environment = "staging", prefix = "" }
to = { prefix = "" }

[[operations]]
op = "put_credential"
path = "e2e/generated"
class = "service"
generate = { length = ${length}, charset = "alphanumeric" }
`;
}

test('upload a changeset, plan, apply with a progress bar, edit it and see it changed', async ({ page }) => {
  const changesets = new ChangesetsPage(page);

  await test.step('log in and open the Changesets page', async () => {
    const login = new LoginPage(page);
    await login.goto();
    await login.logIn();
    await changesets.open();
  });

  await test.step('upload: the changeset is pending with its checksum', async () => {
    await changesets.upload(changeset(24));
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'pending');
    await expect(changesets.row(id).getByTestId('changeset-checksum')).toContainText('sha256:');
  });

  await test.step('plan: counts per operation and the environment warning highlighted', async () => {
    await changesets.plan();
    const planned = page.locator(`[data-testid="plan-changeset"][data-id="${id}"]`);
    await expect(planned.getByTestId('plan-operation')).toHaveCount(3);
    await expect(
      page.locator('[data-testid="plan-warning"][data-code="environment_mismatch"]').first(),
    ).toBeVisible();
    await expect(page.getByTestId('plan-hash')).toContainText('sha256:');
  });

  await test.step('apply: the progress bar runs to the end', async () => {
    await changesets.apply();
    await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 30_000 });
    const bar = page.getByTestId('job-progress-bar');
    const max = await bar.getAttribute('max');
    await expect(bar).toHaveAttribute('value', max ?? '');
    expect(Number(max)).toBeGreaterThan(3);
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'applied');
  });

  await test.step('edit it: changed, with the diff, and apply is blocked', async () => {
    await changesets.upload(changeset(32));
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'changed');
    const diff = page.getByTestId('changeset-diff');
    await expect(diff).toContainText('-generate = { length = 24');
    await expect(diff).toContainText('+generate = { length = 32');
    await changesets.plan();
    await expect(page.getByTestId('plan-blocker').first()).toContainText(`${id} is changed`);
    await expect(page.getByTestId('apply-button')).toBeDisabled();
  });

  await test.step('put the applied body back: applied again, so later suites start clean', async () => {
    await changesets.upload(changeset(24));
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'applied');
  });
});
