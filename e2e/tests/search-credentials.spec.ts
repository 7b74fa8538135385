import { expect, test } from '@playwright/test';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';
import { adminApi } from './pages/seed';
import { Shell } from './pages/shell';

const suffix = Date.now() % 1000000;

test('search finds a credential by its label in another environment and opens it', async ({ page, request }) => {
  const label = `moon-${suffix}`;
  const api = await adminApi(request);
  await api.credential('production', `partners/visa-${suffix}`, 'not-searched-value', {
    class: 'integration', owner: 'team-cards', description: 'Card network sandbox', labels: [label],
  });

  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  const creds = new CredentialsPage(page);
  await creds.goto('staging');
  const shell = new Shell(page);
  await shell.search(label);

  const results = page.getByRole('table', { name: 'Credentials found' });
  const hit = results.getByRole('row').filter({ hasText: `partners/visa-${suffix}` });
  await expect(hit).toHaveCount(1);
  await expect(hit.getByRole('cell').nth(0)).toHaveText('production');
  await expect(hit.getByRole('cell').nth(2)).toHaveText('integration');
  await expect(hit.getByRole('cell').nth(3)).toHaveText('team-cards');
  await expect(page.getByRole('main')).not.toContainText('not-searched-value');
  await expect(page.getByRole("status").filter({ hasText: "found" })).toHaveText(new RegExp(`^1 found for “${label}” in \\d+ environments$`));

  await hit.getByRole('link', { name: `partners/visa-${suffix}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Credentials' })).toBeVisible();
  await expect(creds.picker()).toHaveValue('production');
  await creds.openFromLink(`partners/visa-${suffix}`);
  await expect(creds.row(`partners/visa-${suffix}`)).toHaveAttribute('aria-selected', 'true');
});

test('a user granted one environment finds nothing in the others', async ({ browser, request }) => {
  const name = `one-env-${suffix}`;
  const user = `reader${suffix}`;
  const password = 'a long enough password for e2e';
  const api = await adminApi(request);
  const shared = `shared-${suffix}`;
  await api.credential('staging', `${shared}/db`, 'staging-value');
  await api.credential('production', `${shared}/db`, 'production-value');
  await api.post('/roles', {
    name, class: 'human', description: 'reads staging only',
    grants: [{ environment: 'staging', scope: '*', capabilities: ['read', 'list'], effect: 'allow' }],
  });
  await api.post('/users', { name: user, password, roles: [name] });

  const context = await browser.newContext();
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn(user, password);
  await new Shell(page).search(shared);
  const results = page.getByRole('table', { name: 'Credentials found' });
  await expect(results.getByRole('row').filter({ hasText: `${shared}/db` })).toHaveCount(1);
  await expect(results.getByRole('row').filter({ hasText: 'production' })).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'found' })).toHaveText(`1 found for “${shared}” in 1 environment`);
  await expect(page.getByText('Searched: staging', { exact: true })).toBeVisible();
  await context.close();
});
