import { expect, test } from '@playwright/test';
import { ChangesetsPage } from './pages/changesets';
import { LoginPage } from './pages/login';

const suffix = Date.now().toString().slice(-8);

test('a dropped progress stream shows "reconnecting", then reconnects and shows the end', async ({ page }) => {
  const id = `sse-${suffix}`;
  const env = `sse${suffix}`;
  const changesets = new ChangesetsPage(page);
  await new LoginPage(page).goto();
  await new LoginPage(page).logIn();
  await changesets.open();
  await changesets.upload(`id = "${id}"
author = "e2e"
description = "a job to follow"
environment = "${env}"

[[operations]]
op = "create_environment"
description = "made by the progress stream spec"

[[operations]]
op = "put_credential"
path = "sse/generated"
class = "service"
generate = { length = 24, charset = "alphanumeric" }
`);

  // The first two connections to the job's events fail as a restarting backend would
  // (503); the third is held until the page has been seen saying "reconnecting", then
  // goes through.
  let refused = 0;
  let release = () => {};
  const released = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/api/v1/jobs/*/events', async (route) => {
    if (refused < 2) {
      refused += 1;
      await route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"restarting"}}' });
    } else {
      await released;
      await route.continue();
    }
  });
  await changesets.plan();
  await page.getByRole('button', { name: 'Apply exactly these items' }).click();
  const link = page.getByTestId('job-link');
  await expect(link).toHaveAttribute('data-link', 'reconnecting');
  await expect(link).toHaveText(/reconnecting/);
  await expect.poll(() => refused).toBe(2);
  release();
  await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 30_000 });
  await expect(link).toHaveAttribute('data-link', 'live');
  await expect(link).toHaveText('');
  expect(refused).toBe(2);
  await expect(changesets.row(id)).toHaveAttribute('data-status', 'applied');
});
