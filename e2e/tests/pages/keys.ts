import { expect, type Page, test } from '@playwright/test';

/** The Keys page: an environment's keys, a key's detail, a new key, the try-it panel. */
export class KeysPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await test.step('open the Keys page', async () => {
      await this.page.getByTestId('nav').getByTestId('nav-keys').click();
      await expect(this.page.getByTestId('page-title')).toHaveText('Keys');
    });
  }

  async pickEnvironment(env: string) {
    await this.page.getByLabel('Environment', { exact: true }).selectOption(env);
  }

  row(name: string) {
    return this.page.getByTestId(`key-row-${name}`);
  }

  detail() {
    return this.page.getByTestId('key-detail');
  }

  async create(name: string, type: string, rotationPeriod: string) {
    await test.step(`create key ${name} (${type})`, async () => {
      const form = this.page.getByTestId('key-create');
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Type').selectOption(type);
      await form.getByLabel('Owner').fill('payments');
      await form.getByLabel(/Rotation period/).fill(rotationPeriod);
      await form.getByRole('button', { name: 'Create key' }).click();
      await expect(this.row(name)).toBeVisible();
      await expect(this.detail()).toBeVisible();
    });
  }

  /** Rotate; in a protected environment, type its name first. */
  async rotate(env: string | null) {
    await test.step('rotate the key', async () => {
      const detail = this.detail();
      await detail.getByTestId('key-rotate').click();
      if (env !== null) {
        // The typed confirmation is a modal dialog named after its action.
        const confirm = this.page.getByRole('dialog', { name: 'Rotate in a protected environment' });
        await expect(confirm.getByRole('button', { name: 'Rotate' })).toBeDisabled();
        await confirm.getByRole('textbox').fill(env);
        await confirm.getByRole('button', { name: 'Rotate' }).click();
        await expect(confirm).toBeHidden();
      }
    });
  }

  async tryIt(operation: string, input: string) {
    const form = this.detail().getByTestId('key-try');
    await form.getByLabel('Operation').selectOption(operation);
    await form.getByTestId('key-try-input').fill(input);
    await form.getByRole('button', { name: 'Run' }).click();
    const result = form.getByTestId('key-try-result');
    await expect(result).toBeVisible();
    return result;
  }
}
