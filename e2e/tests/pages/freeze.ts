import { expect, type Page } from '@playwright/test';

export class FreezePage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.getByTestId('nav').getByTestId('nav-freeze').click();
    await expect(this.page.getByTestId('page-title')).toHaveText('Freeze');
  }

  async freeze(level: 'provisioning' | 'full', reason: string) {
    await this.page.getByTestId('freeze-level-select').selectOption(level);
    await this.page.getByTestId('freeze-reason-input').fill(reason);
    await expect(this.page.getByTestId('freeze-submit')).toBeDisabled();
    await this.page.getByTestId('freeze-confirm').fill(level);
    await this.page.getByTestId('freeze-submit').click();
  }

  async verify() {
    await this.page.getByTestId('freeze-verify').click();
    await expect(this.page.getByTestId('verify-result')).toBeVisible({ timeout: 20_000 });
  }

  async thaw() {
    await this.page.getByTestId('thaw-confirm').fill('thaw');
    await this.page.getByTestId('thaw-submit').click();
  }
}
