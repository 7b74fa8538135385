import { expect, type Page, test } from '@playwright/test';

export class RunbooksPage {
  constructor(private readonly page: Page) {}

  async open() {
    await test.step('open Runbooks', async () => {
      await this.page.getByTestId('nav').getByTestId('nav-runbooks').click();
      await expect(this.page.getByTestId('page-title')).toHaveText('Runbooks');
    });
  }

  async start(title: string, environments: string) {
    await test.step(`start "${title}" from the Store migration template`, async () => {
      await expect(this.page.getByTestId('runbook-template')).toContainText('Store migration');
      await this.page.getByTestId('runbook-title').fill(title);
      await this.page.getByTestId('runbook-environments').fill(environments);
      await this.page.getByTestId('runbook-start').click();
      await expect(this.page).toHaveURL(/\/runbooks\/rb-/);
      await expect(this.page.getByTestId('page-title')).toHaveText(title);
    });
  }

  step(id: string) {
    return this.page.getByTestId(`step-${id}`);
  }

  async expectState(id: string, state: string) {
    await expect(this.step(id)).toHaveAttribute('data-state', state, { timeout: 30_000 });
  }

  async run(id: string, expected = 'passed') {
    await test.step(`run ${id}`, async () => {
      await expect(this.step(id)).toHaveClass(/current/);
      await this.step(id).getByTestId('step-run').click();
      await this.expectState(id, expected);
    });
  }

  async complete(id: string, note: string) {
    await test.step(`complete ${id}`, async () => {
      await this.step(id).getByTestId('step-note').fill(note);
      await this.step(id).getByTestId('step-complete').click();
      await this.expectState(id, 'passed');
    });
  }

  async skip(id: string, reason: string) {
    await test.step(`skip ${id}`, async () => {
      await this.step(id).getByTestId('step-note').fill(reason);
      await this.step(id).getByTestId('step-skip').click();
      await this.expectState(id, 'skipped');
    });
  }

  async signOff(id: string) {
    await test.step(`sign off ${id}`, async () => {
      const hash = this.step(id).getByTestId('signoff-plan');
      await expect(hash).toContainText('sha256:');
      const shown = (await hash.locator('code').textContent()) ?? '';
      await this.step(id).getByTestId('step-note').fill('go');
      await this.step(id).getByTestId('step-signoff-button').click();
      await this.expectState(id, 'passed');
      await expect(this.step(id).getByTestId('step-signoff')).toContainText(shown);
    });
  }

  async reportIncident(title: string, impact: string, followUp: string) {
    await test.step(`report incident "${title}"`, async () => {
      await this.page.getByTestId('incident-title').fill(title);
      await this.page.getByTestId('incident-severity').selectOption('high');
      await this.page.getByTestId('incident-impact').fill(impact);
      await this.page.getByTestId('incident-follow-up').fill(followUp);
      await this.page.getByTestId('incident-submit').click();
      await expect(this.page.getByTestId('timeline-incident')).toHaveCount(1);
      await expect(this.page.getByTestId('incident')).toContainText(title);
    });
  }

  async resolveIncident() {
    await test.step('mark the incident resolved', async () => {
      await this.page.getByTestId('incident-resolve').click();
      await expect(this.page.getByTestId('incident').getByTestId('incident-state')).toHaveText('resolved');
    });
  }
}
