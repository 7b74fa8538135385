import { defineConfig } from '@playwright/test';

// The e2e suite drives the real console in Debian's Chromium, against a real backend
// (`crypter dev`) over a real in-memory OpenBao. `make test` builds both first.
export const PORT = Number(process.env.CRYPTER_E2E_PORT ?? 18080);
export const ADMIN_PASSWORD = 'e2e-admin-password';
// The dev OpenBao, for specs that act around Crypter as a user with direct access would
// (its root token reaches bao through the environment, never a command line).
export const BAO_ADDR = `http://127.0.0.1:${PORT + 100}`;
export const ROOT_TOKEN = 'e2e-root-token';
// `crypter dev --sso`: the local identity provider's people (tools/idp.mjs).
export const SSO_PASSWORDS = { alice: 'e2e-alice-password', bob: 'e2e-bob-password' };

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'chromium', use: { browserName: 'chromium', viewport: { width: 1280, height: 800 } } },
  ],
  webServer: {
    command:
      `../target/debug/crypter dev --listen 127.0.0.1:${PORT} --dist-dir ../dist ` +
      `--bao-listen 127.0.0.1:${PORT + 100} ` +
      `--admin-password ${ADMIN_PASSWORD} --login-burst 1000 --login-per-minute 1000 --sso`,
    env: {
      ...process.env,
      CRYPTER_ROOT_TOKEN: ROOT_TOKEN,
      CRYPTER_SSO_ALICE_PASSWORD: SSO_PASSWORDS.alice,
      CRYPTER_SSO_BOB_PASSWORD: SSO_PASSWORDS.bob,
    } as Record<string, string>,
    url: `http://127.0.0.1:${PORT}/api/v1/health`,
    reuseExistingServer: !process.env.CI,
    timeout: 90_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
