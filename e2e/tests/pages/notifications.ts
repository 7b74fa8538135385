import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { expect, type Page, test } from '@playwright/test';

/** What a subscription's target should be told: a new subscription through the form. */
export interface NewSubscription {
  name: string;
  url: string;
  environments?: string[];
  pathPrefix?: string;
  actions: string[];
}

/** The Notifications page: subscriptions, their secret shown once, tests, dead letters. */
export class NotificationsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await test.step('open Notifications', async () => {
      await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
      await expect(this.page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
    });
  }

  form() {
    return this.page.getByRole('form', { name: 'New subscription' });
  }

  /** Fill the form without submitting. */
  async fill(s: NewSubscription) {
    const form = this.form();
    await form.getByLabel('Name').fill(s.name);
    await form.getByLabel('Target kind').selectOption('webhook');
    await form.getByLabel(/^URL/).fill(s.url);
    await form.getByLabel(/^Environments/).fill((s.environments ?? []).join(', '));
    await form.getByLabel(/^Path prefix/).fill(s.pathPrefix ?? '');
    for (const action of s.actions) {
      await form.getByRole('group', { name: /^Actions/ }).getByRole('checkbox', { name: action, exact: true }).check();
    }
  }

  async create(s: NewSubscription) {
    await test.step(`create subscription ${s.name}`, async () => {
      await this.fill(s);
      await this.form().getByRole('button', { name: 'Create subscription' }).click();
    });
  }

  secretBox() {
    return this.page.getByTestId('notif-secret-box');
  }

  /** A subscription's card: an article named by the subscription. */
  card(name: string) {
    return this.page.getByRole('article', { name, exact: true });
  }

  async sendTest(name: string) {
    await test.step(`send a test to ${name}`, async () => {
      await this.card(name).getByRole('button', { name: 'Send test' }).click();
      await expect(this.card(name).getByTestId('notif-delivery')).toBeVisible({ timeout: 15_000 });
    });
  }

  async remove(name: string) {
    await test.step(`delete subscription ${name}`, async () => {
      const card = this.card(name);
      await card.getByRole('button', { name: 'Delete…' }).click();
      await card.getByRole('button', { name: 'Delete', exact: true }).click();
      await expect(card).toHaveCount(0);
    });
  }
}

/** One request a receiver got. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 (a port of its own), recording what it is sent. */
export class Receiver {
  readonly requests: Received[] = [];
  private constructor(private readonly server: Server) {}

  static async start(answer = 'received by the e2e receiver'): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver?.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(answer);
      });
    });
    receiver = new Receiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path = '/hook') {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async stop() {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The signature of a delivery, checked as a receiver would: `t=<secs>,v1=<hex>`, where v1 is
 * HMAC-SHA256 keyed with the secret over `"<t>.<raw body>"`.
 */
export function expectSigned(r: Received, secret: string) {
  const header = r.headers['x-crypter-signature'];
  expect(typeof header, 'X-Crypter-Signature is there').toBe('string');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  expect(m, `X-Crypter-Signature ${header}`).not.toBeNull();
  const [, t, v1] = m!;
  expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(300);
  const want = createHmac('sha256', secret).update(`${t}.${r.body}`).digest('hex');
  expect(v1).toBe(want);
}
