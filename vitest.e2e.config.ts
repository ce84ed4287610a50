import { defineConfig } from 'vitest/config';

/** Browser tests (Debian chromium driven by playwright-core); the web dashboard brings the first ones. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    passWithNoTests: true,
  },
});
