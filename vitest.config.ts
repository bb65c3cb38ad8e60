import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A private, unlocked Secret Service for the keyring tests (only those that inject it use it).
    globalSetup: ['./test/support/secret-service.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real child processes; two cores are shared with them.
    maxWorkers: 2,
    env: { NO_COLOR: '1' },
  },
});
