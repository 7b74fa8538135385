import { expect, test, type Locator, type Page } from '@playwright/test';

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

  /** Upload a changeset the backend refuses; returns the error shown by the form. */
  async uploadRefused(toml: string): Promise<Locator> {
    await this.page.getByLabel(/^TOML/).fill(toml);
    await this.page.getByTestId('changeset-upload-submit').click();
    const error = this.page.getByTestId('changeset-upload').getByRole('alert');
    await expect(error).toBeVisible();
    return error;
  }

  row(id: string): Locator {
    return this.page.locator(`[data-testid="changeset-row"][data-id="${id}"]`);
  }

  async plan() {
    await this.page.getByTestId('plan-button').click();
    await expect(this.page.getByTestId('plan')).toBeVisible();
  }

  items(): Locator {
    return this.page.getByTestId('plan-item');
  }

  shown(): Locator {
    return this.page.getByTestId('plan-items-shown');
  }

  async show(kind: string) {
    await test.step(`show the ${kind || 'every'} items`, async () => {
      await this.page.getByLabel('Show').selectOption(kind);
    });
  }

  async apply() {
    await this.page.getByTestId('apply-button').click();
    await expect(this.page.getByTestId('job-progress')).toBeVisible();
  }
}

/** A call to the API as the logged-in user (the page's cookie and CSRF token). */
export async function api(page: Page, method: string, path: string, data?: unknown) {
  const session = await (await page.request.get('/api/v1/session')).json();
  const resp = await page.request.fetch(`/api/v1${path}`, {
    method,
    headers: { 'X-Crypter-Csrf': session.csrf_token },
    data,
  });
  expect(resp.ok(), `${method} ${path}: ${await resp.text()}`).toBeTruthy();
  return resp;
}
