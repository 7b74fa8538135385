import { expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../../playwright.config';

export class LoginPage {
  constructor(private readonly page: Page) {}

  async goto(path = '/login') {
    await this.page.goto(path);
    await expect(this.page.getByTestId('login-form')).toBeVisible();
  }

  async logIn(username = 'admin', password = ADMIN_PASSWORD) {
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByTestId('login-submit').click();
  }

  error() {
    return this.page.getByTestId('login-form').getByTestId('error');
  }
}
