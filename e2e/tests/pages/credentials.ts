import { expect, type Page, test } from '@playwright/test';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the New credential form takes besides the path and the value. */
export interface NewCredential {
  cls?: string;
  owner?: string;
  description?: string;
  labels?: string;
}

/** The Credentials page: environment picker, filters, virtualized list, detail panel. */
export class CredentialsPage {
  /** The credential whose detail is open. */
  private current = '';

  constructor(private readonly page: Page) {}

  async goto(env?: string) {
    await test.step('open Credentials', async () => {
      await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credentials' }).click();
      await expect(this.page.getByRole('heading', { level: 1, name: 'Credentials' })).toBeVisible();
    });
    if (env) await this.pick(env);
  }

  picker() {
    return this.page.getByLabel('Environment', { exact: true });
  }

  async pick(env: string) {
    await test.step(`pick environment ${env}`, async () => {
      await this.picker().selectOption(env);
      await expect(this.list()).toBeVisible();
    });
  }

  list() {
    return this.page.getByRole('listbox', { name: 'Credentials' });
  }

  /** A row of the list: an option whose name starts with the path. */
  row(path: string) {
    return this.list().getByRole('option', { name: new RegExp(`^${escape(path)} `) });
  }

  count() {
    // "N shown of M": a status line.
    return this.page.getByRole('status').filter({ hasText: /shown of|Listing/ });
  }

  detail(path = this.current) {
    return this.page.getByRole('region', { name: path, exact: true });
  }

  async open(path: string) {
    await test.step(`open ${path}`, async () => {
      await this.page.getByLabel('Path prefix').fill(path);
      await this.row(path).click();
      this.current = path;
      await expect(this.detail().getByRole('heading', { name: path })).toBeVisible();
    });
  }

  /** The detail a link opened (`/credentials?env=…&path=…`). */
  async openFromLink(path: string) {
    this.current = path;
    await expect(this.detail().getByRole('heading', { name: path })).toBeVisible();
  }

  async create(path: string, value: string, opts: NewCredential = {}) {
    await test.step(`create credential ${path}`, async () => {
      await this.submitNew(path, value, opts);
      this.current = path;
      await expect(this.detail().getByRole('heading', { name: path })).toBeVisible();
    });
  }

  /** Fill the New credential form and press Save; the form, to see what came of it. */
  async submitNew(path: string, value: string, opts: NewCredential = {}) {
    await this.page.getByRole('button', { name: 'New credential' }).click();
    const form = this.page.getByRole('form', { name: 'New credential' });
    await form.getByLabel('Path').fill(path);
    await form.getByLabel('Class').selectOption(opts.cls ?? 'service');
    await form.getByLabel('Value 1').fill(value);
    await form.getByLabel('Owner').fill(opts.owner ?? 'e2e-team');
    await form.getByLabel('Description').fill(opts.description ?? 'made by e2e');
    if (opts.labels) await form.getByLabel(/^Labels/).fill(opts.labels);
    await form.getByRole('button', { name: 'Save' }).click();
    return form;
  }

  revealed() {
    return this.detail().getByRole('group', { name: 'Revealed value' });
  }

  async reveal(version: number) {
    await test.step(`reveal version ${version}`, async () => {
      await this.detail().getByRole('button', { name: `Reveal (version ${version})` }).click();
      await expect(this.revealed()).toContainText(`Version ${version}`);
    });
  }

  async editValue(value: string) {
    await test.step('write a new version', async () => {
      await this.detail().getByRole('button', { name: 'Edit (new version)' }).click();
      const form = this.detail().getByRole('form', { name: 'New version' });
      await form.getByLabel('Value 1').fill(value);
      await form.getByRole('button', { name: 'Save' }).click();
      await expect(form).toBeHidden();
    });
  }

  /** A version's row in the detail's table of versions. */
  version(n: number) {
    return this.detail().getByRole('row', { name: new RegExp(`^${n} `) });
  }
}
