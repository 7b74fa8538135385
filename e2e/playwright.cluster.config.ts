import { defineConfig } from '@playwright/test';
import base, { ADMIN_PASSWORD, PORT } from './playwright.config';

// The cluster suite: the same console over `crypter dev --nodes 3 --instances 2`, a real
// 3-node Raft OpenBao (dc1, dc2, dc3) on loopback ports served by two Crypter instances
// (PORT and PORT + 1). Run it on its own:
//   npx playwright test -c playwright.cluster.config.ts
// It kills a node, so it never reuses a running server.
export default defineConfig({
  ...base,
  testDir: './tests-cluster',
  timeout: 60_000,
  webServer: {
    command:
      `../target/debug/crypter dev --nodes 3 --instances 2 --listen 127.0.0.1:${PORT} --dist-dir ../dist ` +
      `--admin-password ${ADMIN_PASSWORD} --login-burst 1000 --login-per-minute 1000`,
    url: `http://127.0.0.1:${PORT}/api/v1/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
