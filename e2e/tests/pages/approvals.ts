import { expect, type Page, test } from '@playwright/test';

/** The Approvals page: the inbox of requests, and each environment's rule. */
export class ApprovalsPage {
  constructor(private readonly page: Page) {}

  async goto(id?: string) {
    await this.page.goto(id ? `/requests/${id}` : '/requests');
    await expect(this.page.getByRole('heading', { level: 1, name: id ? 'Request' : 'Approvals' })).toBeVisible();
  }

  rules() {
    return this.page.getByRole('region', { name: 'Rules' });
  }

  /** Through the Rules section: `required` approvals from `approvers`. */
  async setRule(env: string, required: number, approvers: string[]) {
    await test.step(`rule on ${env}: ${required} of ${approvers.join(', ')}`, async () => {
      const rules = this.rules();
      await rules.getByLabel('Environment').selectOption(env);
      await expect(rules.getByTestId('rule-now')).toContainText('No rule');
      await rules.getByLabel(/^Approvals needed/).fill(String(required));
      await rules.getByLabel(/^Approvers/).fill(approvers.join(', '));
      await rules.getByRole('button', { name: 'Save rule' }).click();
      await expect(rules.getByRole('status')).toContainText('Rule saved');
      await expect(rules.getByTestId('rule-now')).toContainText(`${required} approval${required === 1 ? '' : 's'} needed`);
    });
  }

  request(id: string) {
    return this.page.locator(`[data-testid="request"][data-id="${id}"]`);
  }

  async vote(id: string, approve: boolean, comment: string) {
    await test.step(`${approve ? 'approve' : 'reject'} request ${id}`, async () => {
      const card = this.request(id);
      await card.getByLabel('Comment').fill(comment);
      await card.getByRole('button', { name: approve ? 'Approve' : 'Reject' }).click();
    });
  }
}
