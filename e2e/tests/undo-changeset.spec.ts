import { expect, test } from '@playwright/test';
import { api, ChangesetsPage } from './pages/changesets';
import { LoginPage } from './pages/login';

const suffix = Date.now().toString().slice(-8);
const id = `e2e-undo-${suffix}`;
const env = `un${suffix}`;

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  // Logged in once the console's navigation shows: the session cookie is set.
  await new ChangesetsPage(page).open();
});

test('undo an applied changeset from its restore point, then redo it', async ({ page }) => {
  const changesets = new ChangesetsPage(page);

  await test.step('its own environment: svc/a holds an old value', async () => {
    await api(page, 'POST', '/environments', { name: env, description: 'undo', protected: false });
    await api(page, 'PUT', `/environments/${env}/credentials/svc/a`, { data: { v: 'old' }, class: 'service' });
  });

  await test.step('apply a changeset that overwrites svc/a and creates svc/b', async () => {
    await changesets.open();
    await changesets.upload(`id = "${id}"
author = "e2e"
description = "overwrite one, create one"
environment = "${env}"
[[operations]]
op = "put_credential"
path = "svc/a"
class = "service"
overwrite = true
generate = { length = 20, charset = "hex" }
[[operations]]
op = "put_credential"
path = "svc/b"
class = "service"
generate = { length = 20, charset = "hex" }
`);
    await changesets.plan();
    await changesets.apply();
    await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 30_000 });
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'applied');
  });

  await test.step('plan its undo: an inverse plan of a restore and a delete', async () => {
    await changesets.row(id).getByTestId('changeset-undo').click();
    await expect(page.getByTestId('plan-undo-of')).toContainText(id);
    await expect(page.locator('[data-testid="plan-count"][data-kind="restore"]')).toHaveText('restore 1');
    await expect(page.locator('[data-testid="plan-count"][data-kind="delete"]')).toHaveText('delete 1');
    await expect(page.locator(`[data-testid="restore-point"][data-changeset="${id}"]`)).toHaveCount(1);
  });

  await test.step('apply it: undone, svc/a at its old value again, svc/b gone', async () => {
    await changesets.apply();
    await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 30_000 });
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'undone');
    const a = await (await api(page, 'GET', `/environments/${env}/credentials/svc/a`)).json();
    expect(a.current_version).toBe(3);
    const b = await (await api(page, 'GET', `/environments/${env}/credentials/svc/b`)).json();
    expect(b.deleted).toBe(true);
  });

  await test.step('an undone changeset is not planned again; its redo returns to the applied state', async () => {
    await changesets.plan();
    await expect(page.locator(`[data-testid="plan-changeset"][data-id="${id}"]`)).toHaveCount(0);
    await changesets.row(id).getByTestId('changeset-undo').click();
    await expect(page.locator('[data-testid="plan-count"][data-kind="undelete"]')).toHaveText('undelete 1');
    await changesets.apply();
    await expect(page.getByTestId('job-state')).toHaveText('done', { timeout: 30_000 });
    await expect(changesets.row(id)).toHaveAttribute('data-status', 'applied');
    const b = await (await api(page, 'GET', `/environments/${env}/credentials/svc/b`)).json();
    expect(b.deleted).toBe(false);
  });
});
