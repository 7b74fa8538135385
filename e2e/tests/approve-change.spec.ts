import { type Browser, expect, test } from '@playwright/test';
import { expectAccessible } from './pages/a11y';
import { ApprovalsPage } from './pages/approvals';
import { Bao } from './pages/bao';
import { api } from './pages/changesets';
import { CredentialsPage } from './pages/credentials';
import { LoginPage } from './pages/login';
import { Shell } from './pages/shell';

// Everything this spec needs is its own: an environment, a role on it, a requester holding
// the role and an approver (an admin), all named per run.
const suffix = Date.now().toString().slice(-8);
const env = `ap${suffix}`;
const role = `ap-writer-${suffix}`;
const requester = `req${suffix}`;
const approver = `appr${suffix}`;
const password = 'a long enough password for e2e';

/** A browser of its own for `user`, logged in through the console. */
async function logInAs(browser: Browser, user: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn(user, password);
  await new Shell(page).expectLoggedInAs(user);
  return { context, page };
}

test('a change to a ruled environment waits for an approver, then is applied', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  // Logged in once the console's shell shows: the session cookie is set.
  await new Shell(page).expectLoggedInAs('admin');

  await test.step('an environment, a credential, a writer role, a requester and an approver', async () => {
    await api(page, 'POST', '/environments', { name: env, description: 'approvals e2e', protected: false });
    await api(page, 'PUT', `/environments/${env}/credentials/app/db`, { data: { value: 'before' }, class: 'service' });
    await api(page, 'POST', '/roles', {
      name: role, class: 'human', description: 'writes the approvals e2e environment',
      grants: [{ environment: env, scope: '*', capabilities: ['read', 'list', 'create', 'update'], effect: 'allow' }],
    });
    await api(page, 'POST', '/users', { name: requester, password, roles: [role] });
    // An admin, logged in once at OpenBao: a rule can only name approvers OpenBao knows.
    await new Bao(request).userToken(approver, password, ['crypter-admin']);
  });

  const approvals = new ApprovalsPage(page);
  await test.step('the admin sets the rule on the Approvals page', async () => {
    await approvals.goto();
    await approvals.setRule(env, 1, [approver]);
  });

  const asRequester = await logInAs(browser, requester);
  let id = '';
  await test.step('the requester edits the credential: the form asks for a change', async () => {
    const p = asRequester.page;
    const creds = new CredentialsPage(p);
    await p.goto(`/credentials?env=${env}&path=app/db`);
    await creds.openFromLink('app/db');
    await creds.detail().getByRole('button', { name: 'Edit (new version)' }).click();
    const form = creds.detail().getByRole('form', { name: 'New version' });
    await form.getByLabel('Value 1').fill('after');
    await form.getByRole('button', { name: 'Request change' }).click();
    await expect(form.getByRole('status')).toContainText('Sent for approval');
    const href = await form.getByRole('link', { name: 'See the request' }).getAttribute('href');
    id = href!.split('/').pop()!;
    expect(id).not.toBe('');
  });

  await test.step('nobody approves their own request', async () => {
    const own = new ApprovalsPage(asRequester.page);
    await own.goto();
    await expect(own.request(id).getByTestId('request-by')).toHaveText(`${requester} (you)`);
    await own.vote(id, true, 'my own');
    await expect(own.request(id).getByRole('alert')).toBeVisible();
    await expect(own.request(id)).toHaveAttribute('data-state', 'pending');
  });

  const asApprover = await logInAs(browser, approver);
  await test.step('the approver sees the count, and approves with a comment', async () => {
    const shell = new Shell(asApprover.page);
    await expect(shell.pendingCount()).toBeVisible();
    await shell.link('Approvals').click();
    const inbox = new ApprovalsPage(asApprover.page);
    await expect(inbox.request(id)).toBeVisible();
    // The request on its own page says, to those who may read it, which keys change.
    await inbox.request(id).getByRole('heading').getByRole('link').click();
    await expect(asApprover.page).toHaveURL(new RegExp(`/requests/${id}$`));
    await expect(inbox.request(id).getByTestId('request-same')).toContainText('differs in value');
    await inbox.vote(id, true, 'looks right');
    await expect(inbox.request(id)).toHaveAttribute('data-state', 'applied');
    for (const theme of ['light', 'dark']) {
      await asApprover.page.evaluate((t) => window.localStorage.setItem('crypter-theme', t), theme);
      await asApprover.page.reload();
      await expect(inbox.request(id)).toBeVisible();
      await expect(asApprover.page.locator('html')).toHaveAttribute('data-theme', theme);
      await expectAccessible(asApprover.page, `the Approvals page with a request (${theme})`);
    }
  });

  await test.step('the requester sees it applied, and who approved it', async () => {
    const mine = new ApprovalsPage(asRequester.page);
    await mine.goto(id);
    const card = mine.request(id);
    await expect(card).toHaveAttribute('data-state', 'applied');
    await expect(card.getByTestId('request-vote')).toContainText(`Approved by ${approver}`);
    await expect(card.getByTestId('request-vote')).toContainText('looks right');
    await expect(card.getByTestId('request-applied')).toHaveText('v2');
    await asRequester.context.close();
  });

  await test.step('the credential holds the new value', async () => {
    const r = await api(page, 'POST', `/environments/${env}/credentials/app/db/reveal`, { version: 2 });
    expect((await r.json()).data).toEqual({ value: 'after' });
  });

  // Also leaves no rule behind: a rule on this environment would make later specs' roles
  // with grants on every environment into requests.
  await test.step('removing the rule is itself a request: approved, then carried out by an admin', async () => {
    await approvals.goto();
    const rules = approvals.rules();
    await rules.getByLabel('Environment').selectOption(env);
    await expect(rules.getByTestId('rule-now')).toContainText('1 approval needed');
    await rules.getByLabel(/^Approvals needed/).fill('0');
    await rules.getByLabel(/^Approvers/).fill('');
    await rules.getByRole('button', { name: 'Save rule' }).click();
    await expect(rules.getByRole('status')).toContainText('it became a request');
    const href = await rules.getByRole('link', { name: 'See the request' }).getAttribute('href');
    const ruleRequest = href!.split('/').pop()!;
    const inbox = new ApprovalsPage(asApprover.page);
    await inbox.goto(ruleRequest);
    await expect(inbox.request(ruleRequest).getByTestId('request-target')).toHaveText('remove the rule');
    await inbox.vote(ruleRequest, true, 'retire it');
    await expect(inbox.request(ruleRequest)).toHaveAttribute('data-state', 'approved');
    await approvals.goto(ruleRequest);
    await approvals.request(ruleRequest).getByRole('button', { name: 'Carry out' }).click();
    await expect(approvals.request(ruleRequest)).toHaveAttribute('data-state', 'applied');
    const rule = await (await api(page, 'GET', `/environments/${env}/approvals`)).json();
    expect(rule.required).toBe(0);
    await asApprover.context.close();
  });
});
