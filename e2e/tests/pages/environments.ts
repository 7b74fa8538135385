import { expect, type Page, test } from '@playwright/test';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Environments page: list, create, edit, delete, and compare/promote. */
export class EnvironmentsPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await test.step('open Environments', async () => {
      await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments' }).click();
      await expect(this.page.getByRole('heading', { level: 1, name: 'Environments' })).toBeVisible();
    });
  }

  table() {
    return this.page.getByRole('table', { name: 'Environments' });
  }

  /** A row: its name is the environment's name, then the rest of its cells. */
  row(name: string) {
    return this.table().getByRole('row', { name: new RegExp(`^${escape(name)} `) });
  }

  /** The credential count cell of a row (the third column). */
  count(name: string) {
    return this.row(name).getByRole('cell').nth(2);
  }

  async create(name: string, description: string, isProtected = false) {
    await test.step(`create environment ${name}`, async () => {
      const form = this.page.getByRole('form', { name: 'New environment' });
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Description').fill(description);
      if (isProtected) await form.getByLabel(/Protected \(destructive actions/).check();
      await form.getByRole('button', { name: 'Create' }).click();
      await expect(this.row(name)).toBeVisible();
    });
  }

  compareBox() {
    return this.page.getByRole('region', { name: 'Compare and promote' });
  }

  async compare(left: string, right: string, prefix = '') {
    await test.step(`compare ${left} with ${right}`, async () => {
      const box = this.compareBox();
      await box.getByLabel('Left').selectOption(left);
      await box.getByLabel('Right').selectOption(right);
      await box.getByLabel('Prefix').fill(prefix);
      await box.getByRole('button', { name: 'Compare' }).click();
      await expect(box.getByRole('table', { name: 'Comparison' })).toBeVisible();
    });
  }

  compareRow(path: string) {
    return this.compareBox().getByRole('row', { name: new RegExp(`^${escape(path)} `) });
  }
}
