import { expect, test } from '@playwright/test';
import { expectAccessible, tabTo } from './pages/a11y';
import { api } from './pages/changesets';
import { LoginPage } from './pages/login';
import { expectSigned, NotificationsPage, Receiver } from './pages/notifications';

const suffix = Date.now().toString().slice(-8);
const name = `e2e hook ${suffix}`;
const prefix = `notif${suffix}/`;

let receiver: Receiver;

test.beforeAll(async () => {
  receiver = await Receiver.start();
});

test.afterAll(async () => {
  await receiver.stop();
});

test.beforeEach(async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  // Logged in once the console has navigated: the session cookie is set.
  await new NotificationsPage(page).open();
});

test('subscribe a webhook: secret shown once, a signed test, a real write delivered without its value, delete', async ({ page }) => {
  test.setTimeout(90_000);
  const notifications = new NotificationsPage(page);
  const url = receiver.url('/hook');

  let secret = '';
  await test.step('create it through the form: the secret is shown once, with a warning', async () => {
    await notifications.create({
      name,
      url,
      environments: ['staging'],
      pathPrefix: prefix,
      actions: ['credential.write'],
    });
    const box = notifications.secretBox();
    await expect(box).toBeVisible();
    await expect(box.getByTestId('notif-secret-warning')).toContainText('shown only this once');
    await expect(box.getByRole('button', { name: 'Copy' })).toBeVisible();
    secret = (await box.getByTestId('notif-secret').textContent()) ?? '';
    expect(secret.length).toBeGreaterThan(16);
    const card = notifications.card(name);
    await expect(card.getByTestId('notif-sub-target')).toHaveText(`webhook ${url}`);
    await expect(card.getByTestId('notif-sub-envs')).toHaveText('staging');
    await expect(card.getByTestId('notif-sub-prefix')).toHaveText(prefix);
    await expect(card.getByTestId('notif-sub-actions')).toHaveText('credential.write');
    await expect(card.getByTestId('notif-sub-created')).toContainText('by admin');
    await expectAccessible(page, 'notifications with a new secret');
  });

  await test.step('send test: the receiver answers in the page, and got a signed POST', async () => {
    await notifications.sendTest(name);
    const result = notifications.card(name).getByTestId('notif-delivery');
    await expect(result.getByTestId('delivery-outcome')).toHaveText('delivered');
    await expect(result.getByTestId('delivery-status')).toHaveText('HTTP 200');
    await expect(result.getByTestId('delivery-detail')).toHaveText('received by the e2e receiver');
    const sample = receiver.requests.find((r) => JSON.parse(r.body).test === true);
    expect(sample, 'the receiver got the test').toBeDefined();
    expect(sample!.method).toBe('POST');
    expect(sample!.url).toBe('/hook');
    expectSigned(sample!, secret);
  });

  await test.step('after a reload the secret is gone for good; the subscription stays', async () => {
    await page.reload();
    await expect(notifications.card(name)).toBeVisible();
    await expect(notifications.secretBox()).toHaveCount(0);
    await expect(page.getByText(secret)).toHaveCount(0);
  });

  await test.step('a real write in staging under the prefix is delivered, signed, without its value', async () => {
    const value = `never-sent-${suffix}`;
    await api(page, 'PUT', `/environments/staging/credentials/${prefix}db`, {
      data: { password: value },
      class: 'service',
    });
    await expect
      .poll(
        () => receiver.requests.find((r) => {
          const p = JSON.parse(r.body);
          return !p.test && p.action === 'credential.write' && p.path === `${prefix}db`;
        }),
        { timeout: 30_000, message: 'the write is delivered' },
      )
      .toBeDefined();
    const delivery = receiver.requests.find((r) => !JSON.parse(r.body).test && JSON.parse(r.body).path === `${prefix}db`)!;
    const payload = JSON.parse(delivery.body);
    expect(payload.environment).toBe('staging');
    expect(payload.actor).toBe('admin');
    expect(delivery.body).not.toContain(value);
    expect(payload).not.toHaveProperty('value');
    expect(payload).not.toHaveProperty('data');
    expectSigned(delivery, secret);
  });

  await test.step('delete it through the page: it is gone, also after a reload', async () => {
    await notifications.remove(name);
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
    await expect(page.locator('.loading')).toHaveCount(0);
    await expect(notifications.card(name)).toHaveCount(0);
  });
});

test('by keyboard alone: a plain http:// target off this host is refused in the form, saying what to do', async ({ page }) => {
  const notifications = new NotificationsPage(page);
  const kb = page.keyboard;
  const form = notifications.form();
  await tabTo(page, form.getByLabel('Name'));
  await kb.type(`e2e refused ${suffix}`);
  await tabTo(page, form.getByLabel(/^URL/));
  await kb.type('http://hooks.example.com/crypter');
  await tabTo(page, form.getByRole('checkbox', { name: 'credential.write', exact: true }));
  await kb.press('Space');
  await expect(form.getByRole('checkbox', { name: 'credential.write', exact: true })).toBeChecked();
  await tabTo(page, form.getByRole('button', { name: 'Create subscription' }));
  await kb.press('Enter');
  const error = form.getByRole('alert');
  await expect(error).toHaveAttribute('data-code', 'insecure_target');
  await expect(error).toContainText('must be https://');
  await expect(notifications.secretBox()).toHaveCount(0);
  await expect(notifications.card(`e2e refused ${suffix}`)).toHaveCount(0);
});
