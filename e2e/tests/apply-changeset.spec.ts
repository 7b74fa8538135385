import { expect, test } from '@playwright/test';
import { api, ChangesetsPage } from './pages/changesets';
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

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  await new ChangesetsPage(page).open();
});

test('upload a changeset, plan its items, apply with a progress bar, edit it and see it changed', async ({ page }) => {
  const changesets = new ChangesetsPage(page);

  await test.step('a move onto itself is refused at upload, naming the file and line', async () => {
    const error = await changesets.uploadRefused(`id = "${id}-self"
author = "e2e"
description = "moves staging's payments onto themselves"
environment = "staging"
[[operations]]
op = "move_credentials"
from = { environment = "staging", prefix = "payments/" }
to = { prefix = "payments/" }
`);
    await expect(error).toContainText('upload:5: operation 1: move_credentials would read and write the same credentials');
    await expect(changesets.row(`${id}-self`)).toHaveCount(0);
  });

  await test.step('upload: the changeset is pending with its checksum', async () => {
    await changesets.upload(changeset(24));
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'pending');
    await expect(changesets.row(id).getByTestId('changeset-checksum')).toContainText('sha256:');
  });

  await test.step('plan: counts per operation, every item, and the environment warning', async () => {
    await changesets.plan();
    const planned = page.locator(`[data-testid="plan-changeset"][data-id="${id}"]`);
    await expect(planned.getByTestId('plan-operation')).toHaveCount(3);
    await expect(planned.getByTestId('plan-operation').first()).toContainText('create_environment 1');
    await expect(
      page.locator('[data-testid="plan-warning"][data-code="environment_mismatch"]').first(),
    ).toBeVisible();
    await expect(page.getByTestId('plan-hash')).toContainText('sha256:');
    await expect(changesets.items().first()).toContainText(`environment ${env}`);
    await expect(changesets.items().filter({ hasText: `${env}/e2e/generated (absent)` })).toHaveCount(1);
  });

  await test.step('filter: only the items of one kind', async () => {
    await changesets.show('create_environment');
    await expect(changesets.items()).toHaveCount(1);
    await expect(changesets.shown()).toContainText('1 match');
    await changesets.show('');
    await expect(changesets.items().first()).toHaveAttribute('data-kind', 'create_environment');
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

test('page through a plan of more than a hundred items', async ({ page }) => {
  test.setTimeout(90_000);
  const changesets = new ChangesetsPage(page);
  const from = `pg${suffix}`;
  const pagedId = `e2e-paged-${suffix}`;

  await test.step('an environment with 120 credentials', async () => {
    await api(page, 'POST', '/environments', { name: from, description: 'paged', protected: false });
    for (let i = 0; i < 120; i++) {
      const path = `bulk/c${String(i).padStart(3, '0')}`;
      await api(page, 'PUT', `/environments/${from}/credentials/${path}`, {
        data: { v: `value-${i}` }, class: 'service', labels: [],
      });
    }
  });

  await test.step('a changeset copying them: 121 items, 100 to a page', async () => {
    await changesets.upload(`id = "${pagedId}"
author = "e2e"
description = "copy 120 into a new environment"
environment = "${from}-copy"

[[operations]]
op = "create_environment"

[[operations]]
op = "copy_credentials"
from = { environment = "${from}", prefix = "bulk/" }
to = { prefix = "bulk/" }
`);
    await changesets.plan();
    const planned = page.locator(`[data-testid="plan-changeset"][data-id="${pagedId}"]`);
    await expect(planned.getByTestId('plan-operation').nth(1)).toContainText('create 120');
    await expect(changesets.items()).toHaveCount(100);
    await expect(changesets.shown()).toHaveText(/^items 1–100; \d+ match$/);
  });

  await test.step('next pages to the last item, and back', async () => {
    const next = page.getByTestId('plan-items-next');
    await next.click();
    await expect(changesets.shown()).toContainText('items 101–');
    let shown = await changesets.shown().textContent();
    while (await next.isEnabled()) {
      await next.click();
      await expect(changesets.shown()).not.toHaveText(shown ?? '');
      shown = await changesets.shown().textContent();
    }
    await expect(changesets.items().last()).toContainText(`${from}-copy/bulk/c119 (absent)`);
    await page.getByTestId('plan-items-previous').click();
    await expect(changesets.items()).toHaveCount(100);
  });

  await test.step('apply it, so later suites start clean', async () => {
    await changesets.apply();
    await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 30_000 });
    await expect(changesets.row(pagedId)).toHaveAttribute('data-status', 'applied');
  });
});
