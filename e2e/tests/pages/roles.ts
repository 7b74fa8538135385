import { expect, test, type Page } from '@playwright/test';

export type GrantInput = {
  environment: string;
  scope: string;
  capabilities: Array<'read' | 'list' | 'create' | 'update' | 'delete'>;
  deny?: boolean;
};

/** The Roles page: list, editor, detail, users and identity checks. */
export class RolesPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await test.step('open the Roles page', async () => {
      await this.page.getByTestId('nav').getByTestId('nav-roles').click();
      await expect(this.page.getByTestId('page-title')).toHaveText('Roles');
    });
  }

  row(name: string) {
    return this.page.getByTestId(`role-row-${name}`);
  }

  editor() {
    return this.page.getByTestId('role-editor');
  }

  detail() {
    return this.page.getByTestId('role-detail');
  }

  async fillNewRole(name: string, roleClass: string, description: string, grants: GrantInput[]) {
    await test.step(`fill in role ${name} with ${grants.length} grants`, async () => {
      await this.page.getByTestId('role-new').click();
      const editor = this.editor();
      await editor.getByLabel('Name').fill(name);
      await editor.getByTestId('role-class').selectOption(roleClass);
      await editor.getByLabel('Description').fill(description);
      for (let i = 0; i < grants.length; i++) {
        if (i > 0) await editor.getByTestId('grant-add').click();
        const g = grants[i];
        await editor.getByTestId(`grant-env-${i}`).fill(g.environment);
        await editor.getByTestId(`grant-scope-${i}`).fill(g.scope);
        for (const c of g.capabilities) await editor.getByTestId(`grant-${i}-${c}`).check();
        if (g.deny) await editor.getByTestId(`grant-deny-${i}`).check();
      }
    });
  }

  async showDiff() {
    await test.step('show the policy diff', async () => {
      await this.editor().getByTestId('role-preview').click();
      await expect(this.editor().getByTestId('policy-diff')).toBeVisible();
    });
  }

  async save() {
    await test.step('save the role', async () => {
      await this.editor().getByTestId('role-save').click();
      await expect(this.detail()).toBeVisible();
    });
  }

  async checkAccess(environment: string, path: string) {
    await test.step(`check access to ${environment}/${path}`, async () => {
      const form = this.detail().getByTestId('check-access');
      await form.getByLabel('Environment').fill(environment);
      await form.getByLabel('Credential path').fill(path);
      await form.getByTestId('check-submit').click();
      await expect(form.getByTestId('check-result')).toBeVisible();
    });
  }

  async issueSecretId(ttl: string) {
    await test.step('issue a secret-id', async () => {
      const box = this.detail().getByTestId('secret-ids');
      await box.getByLabel('Lifetime').fill(ttl);
      await box.getByTestId('secret-id-issue').click();
      await expect(box.getByTestId('secret-id-issued')).toBeVisible();
    });
  }

  async runIdentityChecks() {
    await test.step('run the identity checks', async () => {
      const box = this.page.getByTestId('identity-checks');
      await box.getByTestId('identities-run').click();
      await expect(box.getByTestId('identities-table')).toBeVisible();
    });
  }

  async deleteRole(name: string) {
    await test.step(`delete role ${name}`, async () => {
      const zone = this.detail().getByTestId('role-delete-zone');
      await zone.getByTestId('role-delete').click();
      await expect(zone.getByTestId('role-delete-submit')).toBeDisabled();
      await zone.getByTestId('role-delete-confirm').fill(name);
      await zone.getByTestId('role-delete-submit').click();
      await expect(this.row(name)).toHaveCount(0);
    });
  }
}
