import { expect, test, type Page } from '@playwright/test';

export type GrantInput = {
  environment: string;
  scope: string;
  capabilities: Array<'read' | 'list' | 'create' | 'update' | 'delete'>;
  deny?: boolean;
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Roles page: list, editor, detail, users and identity checks. */
export class RolesPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await test.step('open the Roles page', async () => {
      await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
      await expect(this.page.getByRole('heading', { level: 1, name: 'Roles' })).toBeVisible();
    });
  }

  /** A role's row in the roles table: its name comes first. */
  row(name: string) {
    return this.page.getByRole('row', { name: new RegExp(`^${escape(name)} `) });
  }

  editor() {
    return this.page.getByRole('form', { name: /^(New|Edit) role$/ });
  }

  detail(name?: string) {
    return name ? this.page.getByRole('region', { name, exact: true }) : this.page.getByTestId('role-detail');
  }

  async fillNewRole(name: string, roleClass: string, description: string, grants: GrantInput[]) {
    await test.step(`fill in role ${name} with ${grants.length} grants`, async () => {
      await this.page.getByRole('button', { name: 'New role' }).click();
      const editor = this.editor();
      await editor.getByLabel('Name', { exact: true }).fill(name);
      await editor.getByLabel('Class', { exact: true }).selectOption(roleClass);
      await editor.getByLabel('Description', { exact: true }).fill(description);
      for (let i = 0; i < grants.length; i++) {
        if (i > 0) await editor.getByRole('button', { name: 'Add grant' }).click();
        const g = grants[i];
        const n = i + 1;
        await editor.getByLabel(`Environment of grant ${n}`).fill(g.environment);
        await editor.getByLabel(`Scope of grant ${n}`).fill(g.scope);
        for (const c of g.capabilities) await editor.getByLabel(`${c} (grant ${n})`).check();
        if (g.deny) await editor.getByLabel(`Deny (grant ${n})`).check();
      }
    });
  }

  async showDiff() {
    await test.step('show the policy diff', async () => {
      await this.editor().getByRole('button', { name: 'Show policy diff' }).click();
      await expect(this.editor().getByTestId('policy-diff')).toBeVisible();
    });
  }

  async save() {
    await test.step('save the role', async () => {
      await this.editor().getByRole('button', { name: /^(Create|Save) role$/ }).click();
      await expect(this.detail()).toBeVisible();
    });
  }

  checkAccessForm() {
    return this.detail().getByRole('form', { name: 'Check access' });
  }

  async checkAccess(environment: string, path: string) {
    await test.step(`check access to ${environment}/${path}`, async () => {
      const form = this.checkAccessForm();
      await form.getByLabel('Environment').fill(environment);
      await form.getByLabel('Credential path').fill(path);
      await form.getByRole('button', { name: 'Check' }).click();
      await expect(form.getByRole('table')).toBeVisible();
    });
  }

  /** OpenBao's answer for one capability in the check-access result. */
  answer(capability: string) {
    return this.checkAccessForm().getByRole('row', { name: new RegExp(`^${capability} `) }).getByRole('cell');
  }

  secretIds() {
    return this.detail().getByRole('region', { name: 'Machine logins (secret-ids)' });
  }

  async issueSecretId(ttl: string) {
    await test.step('issue a secret-id', async () => {
      const box = this.secretIds();
      await box.getByLabel('Lifetime').fill(ttl);
      await box.getByRole('button', { name: 'Issue secret-id' }).click();
      await expect(box.getByRole('status')).toBeVisible();
    });
  }

  identityChecks() {
    return this.page.getByRole('region', { name: 'Identity checks' });
  }

  async runIdentityChecks() {
    await test.step('run the identity checks', async () => {
      const box = this.identityChecks();
      await box.getByRole('button', { name: 'Run identity checks' }).click();
      await expect(box.getByRole('table')).toBeVisible();
    });
  }

  async deleteRole(name: string) {
    await test.step(`delete role ${name}`, async () => {
      const detail = this.detail();
      await detail.getByRole('button', { name: 'Delete role…' }).click();
      const confirm = detail.getByLabel(`Type ${name} to delete the role, its policy and its machine logins`);
      await expect(detail.getByRole('button', { name: 'Delete', exact: true })).toBeDisabled();
      await confirm.fill(name);
      await detail.getByRole('button', { name: 'Delete', exact: true }).click();
      await expect(this.row(name)).toHaveCount(0);
    });
  }
}
