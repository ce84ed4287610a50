import { defineConfig } from 'vitest/config';

const shared = {
  // The emulator's CA must be trusted through NODE_EXTRA_CA_CERTS, which Node reads at process start:
  // global setup creates it before the worker processes are forked.
  globalSetup: ['test/helpers/global-setup.ts'],
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', 'test/process/readme.test.ts'] } },
      // The README's `npm run demo` rebuilds dist/, which other tests run: it goes alone, after them.
      { test: { ...shared, name: 'readme', include: ['test/process/readme.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
