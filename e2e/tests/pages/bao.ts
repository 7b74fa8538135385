import { expect, type APIRequestContext } from '@playwright/test';
import { BAO_ADDR, ROOT_TOKEN } from '../../playwright.config';

/** OpenBao itself, used directly as someone with access to the store would: around Crypter. */
export class Bao {
  constructor(private readonly request: APIRequestContext) {}

  async call(method: string, path: string, token: string, body?: unknown) {
    const resp = await this.request.fetch(`${BAO_ADDR}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token },
      data: body === undefined ? undefined : JSON.stringify(body),
    });
    return resp;
  }

  /** As root: must succeed. */
  async root(method: string, path: string, body?: unknown) {
    const resp = await this.call(method, path, ROOT_TOKEN, body);
    expect(resp.status(), `${method} ${path}: ${await resp.text()}`).toBeLessThan(300);
    return resp;
  }

  /** A userpass user with `policies`, logged in straight against OpenBao; its token. */
  async userToken(name: string, password: string, policies: string[]) {
    await this.root('POST', `auth/userpass/users/${name}`, { password, token_policies: policies });
    const resp = await this.request.post(`${BAO_ADDR}/v1/auth/userpass/login/${name}`, {
      data: { password },
    });
    expect(resp.status()).toBe(200);
    return (await resp.json()).auth.client_token as string;
  }
}
