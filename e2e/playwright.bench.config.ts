import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Console benchmarks: timed, so they live apart from the e2e tests (`make bench-console-list`).
export default defineConfig({
  ...base,
  testDir: './bench',
  timeout: 900_000,
});
