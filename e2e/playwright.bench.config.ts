import { defineConfig } from '@playwright/test';
import base, { PORT } from './playwright.config';

/** The dev OpenBao's address, fixed so the benchmark can time a raw SCAN beside the console. */
export const BAO_PORT = Number(process.env.CRYPTER_BENCH_BAO_PORT ?? PORT + 1);

// Console benchmarks: timed, so they live apart from the e2e tests (`make bench-console-list`).
// Measured against the release backend (`make build`), as a user would run it.
export default defineConfig({
  ...base,
  webServer: {
    ...base.webServer,
    command:
      (base.webServer as { command: string }).command.replace('/debug/', '/release/') +
      ` --bao-listen 127.0.0.1:${BAO_PORT}`,
  },
  testDir: './bench',
  testMatch: '**/*.bench.ts',
  timeout: 1_800_000,
});
