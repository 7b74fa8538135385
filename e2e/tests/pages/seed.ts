import { expect, type APIRequestContext } from '@playwright/test';
import { ADMIN_PASSWORD } from '../../playwright.config';

/** The admin's API session, for making the state a spec needs (not what it tests). */
export async function adminApi(request: APIRequestContext) {
  const login = await request.post('/api/v1/session', {
    data: { method: 'userpass', username: 'admin', password: ADMIN_PASSWORD },
  });
  expect(login.status()).toBe(200);
  const headers = { 'X-Crypter-Csrf': (await login.json()).csrf_token as string };
  return {
    async environment(name: string, isProtected = false) {
      const r = await request.post('/api/v1/environments', { headers, data: { name, protected: isProtected } });
      expect(r.status(), await r.text()).toBe(201);
    },
    async credential(env: string, path: string, value: string, extra: Record<string, unknown> = {}) {
      const r = await request.put(`/api/v1/environments/${env}/credentials/${path}`, {
        headers,
        data: { data: { value }, class: 'service', owner: 'e2e-team', ...extra },
      });
      expect(r.status(), await r.text()).toBe(200);
    },
    async post(path: string, data: unknown) {
      const r = await request.post(`/api/v1${path}`, { headers, data });
      expect(r.ok(), await r.text()).toBe(true);
      return r.json();
    },
  };
}
