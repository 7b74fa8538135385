import { expect, type Page, test } from '@playwright/test';

/** The authenticated layout: navigation, search, the user's name, theme and logout. */
export class Shell {
  static readonly pages = [
    { path: '/', title: 'Overview' },
    { path: '/environments', title: 'Environments' },
    { path: '/credentials', title: 'Credentials' },
    { path: '/roles', title: 'Roles' },
    { path: '/keys', title: 'Keys' },
    { path: '/freeze', title: 'Freeze' },
    { path: '/changesets', title: 'Changesets' },
    { path: '/runbooks', title: 'Runbooks' },
    { path: '/cluster', title: 'Cluster' },
    { path: '/activity', title: 'Activity' },
    { path: '/notifications', title: 'Notifications' },
    { path: '/requests', title: 'Approvals' },
  ];

  constructor(private readonly page: Page) {}

  nav() {
    return this.page.getByRole('navigation', { name: 'Main' });
  }

  /** A page's link; Approvals' name ends with its count of pending requests when there are any. */
  link(title: string) {
    return this.nav().getByRole('link', { name: new RegExp(`^${title}( \\d+ pending)?$`) });
  }

  /** The count of pending requests beside Approvals. */
  pendingCount() {
    return this.nav().getByTestId('nav-approvals-count');
  }

  async expectLoggedInAs(username: string) {
    // The name is plain text in the top bar: no role or label fits it.
    await expect(this.page.getByTestId('current-user')).toHaveText(username);
  }

  async navigate(title: string) {
    await this.link(title).click();
    await expect(this.page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  }

  searchBox() {
    return this.page.getByRole('searchbox', { name: 'Search credentials in every environment' });
  }

  async search(text: string) {
    await test.step(`search for "${text}"`, async () => {
      await this.searchBox().fill(text);
      await this.searchBox().press('Enter');
      await expect(this.page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();
    });
  }

  themeToggle() {
    return this.page.getByRole('button', { name: /^(Light|Dark) theme$/ });
  }

  async logOut() {
    await this.page.getByRole('button', { name: 'Log out' }).click();
  }
}
