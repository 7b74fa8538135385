import { expect, type Locator, type Page } from '@playwright/test';

export class ChangesetsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.getByTestId('nav').getByTestId('nav-changesets').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Changesets');
  }

  async upload(toml: string) {
    await this.page.getByLabel(/^TOML/).fill(toml);
    await this.page.getByTestId('changeset-upload-submit').click();
    await expect(this.page.getByTestId('changeset-uploaded')).toBeVisible();
  }

  row(id: string): Locator {
    return this.page.locator(`[data-testid="changeset-row"][data-id="${id}"]`);
  }

  async plan() {
    await this.page.getByTestId('plan-button').click();
    await expect(this.page.getByTestId('plan')).toBeVisible();
  }

  async apply() {
    await this.page.getByTestId('apply-button').click();
    await expect(this.page.getByTestId('job-progress')).toBeVisible();
  }
}
