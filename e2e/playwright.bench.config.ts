import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Console benchmarks: timed, so they live apart from the e2e tests (`make bench-console-list`).
// Measured against the release backend (`make build`), as a user would run it. The dev
// OpenBao listens where the e2e config puts it (BAO_ADDR), so a raw SCAN is timed beside.
export default defineConfig({
  ...base,
  webServer: {
    ...base.webServer,
    command: (base.webServer as { command: string }).command.replace('/debug/', '/release/'),
  },
  testDir: './bench',
  testMatch: '**/*.bench.ts',
  timeout: 1_800_000,
});
