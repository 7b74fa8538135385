import { expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../../playwright.config';

export class LoginPage {
  constructor(private readonly page: Page) {}

  form() {
    return this.page.getByRole('form', { name: 'Log in' });
  }

  async goto(path = '/login') {
    await this.page.goto(path);
    await expect(this.form()).toBeVisible();
  }

  async logIn(username = 'admin', password = ADMIN_PASSWORD) {
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.form().getByRole('button', { name: 'Log in' }).click();
  }

  error() {
    return this.form().getByRole('alert');
  }
}
