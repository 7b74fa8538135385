import { defineConfig } from '@playwright/test';
import base, { ADMIN_PASSWORD, PORT } from './playwright.config';

// The cluster suite: the same console over `crypter dev --nodes 3 --instances 3 --wan 20ms`,
// a real 3-node Raft OpenBao on loopback ports with one node and one Crypter instance per
// data center (PORT in dc1, PORT + 1 in dc2, PORT + 2 in dc3), and every connection between
// data centers through a relay that delays it 20 ms each way and can cut a data center off
// (its control address in wan.json). Run it on its own:
//   npx playwright test -c playwright.cluster.config.ts
// It kills a node and cuts dc3 off, so it never reuses a running server.
export default defineConfig({
  ...base,
  testDir: './tests-cluster',
  timeout: 60_000,
  webServer: {
    command:
      `../target/debug/crypter dev --nodes 3 --instances 3 --wan 20ms --listen 127.0.0.1:${PORT} --dist-dir ../dist ` +
      `--admin-password ${ADMIN_PASSWORD} --login-burst 1000 --login-per-minute 1000`,
    url: `http://127.0.0.1:${PORT}/api/v1/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
