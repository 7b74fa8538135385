import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { LoginPage } from './pages/login';
import { RunbooksPage } from './pages/runbooks';

test('walk the Store migration runbook with a sign-off and an incident, then download the report', async ({ page }) => {
  test.setTimeout(180_000);
  const runbooks = new RunbooksPage(page);
  await new LoginPage(page).goto();
  await new LoginPage(page).logIn();
  await runbooks.open();
  await runbooks.start('Move the store to dc2', 'production');

  await runbooks.complete('announce', 'announced in #eng');
  await runbooks.run('freeze');
  await runbooks.run('verify-freeze');
  await test.step('the evidence of the verification can be expanded', async () => {
    const evidence = runbooks.step('verify-freeze').getByTestId('step-evidence');
    await evidence.locator('summary').click();
    await expect(evidence.locator('pre')).toContainText('"probes"');
  });
  await test.step('the snapshot step says the dev store has no Raft, and is skipped', async () => {
    await runbooks.run('snapshot', 'failed');
    await expect(runbooks.step('snapshot').getByTestId('step-summary')).toContainText('does not use Raft storage');
  });
  await runbooks.skip('snapshot', 'crypter dev keeps its store in memory: no Raft snapshot');
  await runbooks.run('validate');
  await runbooks.run('plan');
  await runbooks.reportIncident('Checkout logins slow', '3% of checkouts retried', 'add a dc2 read replica');
  await runbooks.resolveIncident();
  await runbooks.signOff('go-no-go');
  await runbooks.run('apply');
  await runbooks.run('verify-identities');
  await test.step('the lint step shows the demo data findings and fails', async () => {
    await runbooks.run('lint', 'failed');
    await expect(runbooks.step('lint').getByTestId('step-summary')).toContainText('findings');
  });
  await runbooks.skip('lint', 'demo findings are known and tracked');
  await runbooks.run('cluster-health');
  for (const step of ['plan-rollback', 'rollback-go-no-go', 'rollback']) {
    await runbooks.skip(step, 'every check passed: nothing to roll back');
  }
  await runbooks.run('thaw');
  await runbooks.run('verify-thaw');
  await runbooks.complete('report', 'sent to eng-all');
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');

  await test.step('the timeline is an SVG with step bars and the incident marker', async () => {
    const svg = page.getByTestId('timeline-svg');
    await expect(svg).toBeVisible();
    expect(await svg.locator('rect.tl-bar').count()).toBeGreaterThanOrEqual(13);
    await expect(svg.getByTestId('timeline-incident')).toHaveCount(1);
  });

  await test.step('the report renders and downloads', async () => {
    await page.getByTestId('report-show').click();
    const report = page.getByTestId('report');
    await expect(report).toContainText('Runbook report: Move the store to dc2');
    await expect(report).toContainText('Checkout logins slow');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('report-download').click(),
    ]);
    const md = await readFile((await download.path())!, 'utf8');
    for (const wanted of ['**Succeeded**', '## Plan', '## Steps', '## Incidents', '## Timeline',
      'Checkout logins slow', '3% of checkouts retried', 'add a dc2 read replica', 'Plan hash: `sha256:',
      'Signed off by admin', 'demo findings are known and tracked']) {
      expect(md).toContain(wanted);
    }
  });
});
