import { expect, type Page } from '@playwright/test';

/** The authenticated layout: navigation, the user's name and logout. */
export class Shell {
  static readonly pages = [
    { testid: 'nav-overview', path: '/', title: 'Overview' },
    { testid: 'nav-environments', path: '/environments', title: 'Environments' },
    { testid: 'nav-credentials', path: '/credentials', title: 'Credentials' },
    { testid: 'nav-roles', path: '/roles', title: 'Roles' },
    { testid: 'nav-keys', path: '/keys', title: 'Keys' },
    { testid: 'nav-freeze', path: '/freeze', title: 'Freeze' },
    { testid: 'nav-changesets', path: '/changesets', title: 'Changesets' },
    { testid: 'nav-runbooks', path: '/runbooks', title: 'Runbooks' },
    { testid: 'nav-cluster', path: '/cluster', title: 'Cluster' },
    { testid: 'nav-activity', path: '/activity', title: 'Activity' },
  ];

  constructor(private readonly page: Page) {}

  async expectLoggedInAs(username: string) {
    await expect(this.page.getByTestId('current-user')).toHaveText(username);
  }

  async navigate(testid: string) {
    await this.page.getByTestId('nav').getByTestId(testid).click();
  }

  async logOut() {
    await this.page.getByTestId('logout').click();
  }
}
