import { expect, type Page, test } from '@playwright/test';

/** The Credentials page: environment picker, filters, virtualized list, detail panel. */
export class CredentialsPage {
  constructor(private readonly page: Page) {}

  async goto(env?: string) {
    await test.step('open Credentials', async () => {
      await this.page.getByTestId('nav').getByTestId('nav-credentials').click();
      await expect(this.page.getByTestId('page-title')).toHaveText('Credentials');
    });
    if (env) await this.pick(env);
  }

  async pick(env: string) {
    await test.step(`pick environment ${env}`, async () => {
      await this.page.getByTestId('env-picker').selectOption(env);
      await expect(this.page.getByTestId('credential-list')).toBeVisible();
    });
  }

  row(path: string) {
    return this.page.locator(`[data-testid="credential-row"][data-path="${path}"]`);
  }

  detail() {
    return this.page.getByTestId('credential-detail');
  }

  async open(path: string) {
    await test.step(`open ${path}`, async () => {
      await this.page.getByTestId('filter-prefix').fill(path);
      await this.row(path).click();
      await expect(this.detail().getByTestId('detail-path')).toHaveText(path);
    });
  }

  async create(path: string, value: string, opts: { cls?: string; owner?: string; description?: string } = {}) {
    await test.step(`create credential ${path}`, async () => {
      await this.page.getByTestId('new-credential').click();
      const form = this.page.getByTestId('credential-form');
      await form.getByLabel('Path').fill(path);
      await form.getByLabel('Class').selectOption(opts.cls ?? 'service');
      await form.getByTestId('cred-value').first().fill(value);
      await form.getByLabel('Owner').fill(opts.owner ?? 'e2e-team');
      await form.getByLabel('Description').fill(opts.description ?? 'made by e2e');
      await form.getByTestId('cred-save').click();
      await expect(this.detail().getByTestId('detail-path')).toHaveText(path);
    });
  }

  async reveal(version: number) {
    await test.step(`reveal version ${version}`, async () => {
      await this.detail().locator(`[data-testid="version-row"][data-version="${version}"]`).getByTestId('reveal-version').click();
      await expect(this.detail().getByTestId('revealed')).toContainText(`Version ${version}`);
    });
  }

  async editValue(value: string) {
    await test.step('write a new version', async () => {
      await this.detail().getByTestId('edit-credential').click();
      const form = this.detail().getByTestId('credential-form');
      await form.getByTestId('cred-value').first().fill(value);
      await form.getByTestId('cred-save').click();
      await expect(form).toBeHidden();
    });
  }
}
