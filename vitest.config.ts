import { defineConfig } from 'vitest/config';

const shared = {
  // The emulator's CA must be trusted through NODE_EXTRA_CA_CERTS, which Node reads at process start:
  // global setup creates it before the worker processes are forked.
  globalSetup: ['test/helpers/global-setup.ts'],
  pool: 'forks' as const,
  // Three workers on the 2-core machine: many tests wait on child processes and HTTPS round trips, so a third
  // worker cut the suite from ~290 s to ~176 s; a fourth made it slower and pushed the PDF stress test past its limit.
  maxWorkers: 3,
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
