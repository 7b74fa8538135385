import { expect, type Page, test } from '@playwright/test';

/** The Environments page: list, create, edit, delete, and compare/promote. */
export class EnvironmentsPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await test.step('open Environments', async () => {
      await this.page.getByTestId('nav').getByTestId('nav-environments').click();
      await expect(this.page.getByTestId('page-title')).toHaveText('Environments');
    });
  }

  row(name: string) {
    return this.page.locator(`[data-testid="env-row"][data-env="${name}"]`);
  }

  async create(name: string, description: string, isProtected = false) {
    await test.step(`create environment ${name}`, async () => {
      const form = this.page.getByTestId('env-create');
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Description').fill(description);
      if (isProtected) await form.getByTestId('env-protected').check();
      await form.getByTestId('env-save').click();
      await expect(this.row(name)).toBeVisible();
    });
  }

  async compare(left: string, right: string, prefix = '') {
    await test.step(`compare ${left} with ${right}`, async () => {
      const box = this.page.getByTestId('compare');
      await box.getByTestId('compare-left').selectOption(left);
      await box.getByTestId('compare-right').selectOption(right);
      await box.getByTestId('compare-prefix').fill(prefix);
      await box.getByTestId('compare-run').click();
      await expect(box.getByTestId('compare-table')).toBeVisible();
    });
  }

  compareRow(path: string) {
    return this.page.locator(`[data-testid="compare-row"][data-path="${path}"]`);
  }
}
