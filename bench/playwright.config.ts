/** Playwright benchmarks (not part of npm test): npx playwright test -c bench/playwright.config.ts */
import { defineConfig } from '@playwright/test';
import base from '../playwright.config.js';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 600_000,
});
