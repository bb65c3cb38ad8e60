import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { formatVersion, MIN_HOOKS_VERSION } from './src/codex/version.js';

/**
 * The acceptance subset (test/e2e/acceptance.test.ts) on older Codex versions: the oldest supported one
 * (src/codex/version.ts MIN_HOOKS_VERSION) and 0.145.0 (the first with SessionEnd). The pinned one runs it
 * in the e2e project. Each project's global setup installs its version into .e2e-cache.
 */
const ACCEPTANCE_CODEX_VERSIONS = [formatVersion(MIN_HOOKS_VERSION), '0.145.0'];

function acceptanceProject(version: string): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name: `acceptance-${version}`,
      include: ['test/e2e/acceptance.test.ts'],
      globalSetup: ['./test/e2e/global-setup.ts'],
      env: { E2E_CODEX_VERSION: version },
      testTimeout: 120_000,
      hookTimeout: 120_000,
      sequence: { groupOrder: 2 },
    },
  };
}

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Generous: tests spawn real child processes on two cores; a hang still fails, just later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn real child processes; two cores are shared with them.
    maxWorkers: 2,
    env: { NO_COLOR: '1' },
    // Four groups, one after the other: the package first (see below); the reliability suites load both cores
    // for minutes (thousands of hook runs, SIGKILLed workers), and nothing timing-sensitive should share the
    // machine with them.
    projects: [
      {
        // `npm pack` as the README says, alone and first: its prepack rebuilds dist/ with the native program
        // of every platform we ship, which the other groups then run on.
        extends: true,
        test: {
          name: 'package',
          include: ['test/integration/package*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/reliability/**', 'test/integration/package.test.ts'],
          // A private, unlocked Secret Service for the keyring tests (only those that inject it use it).
          globalSetup: ['./test/support/secret-service.ts'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The real Codex CLI end to end (test/e2e/README.md). Its global setup installs the pinned Codex
        // (or E2E_CODEX_VERSION's) into .e2e-cache when missing, and runs only when an e2e test is selected.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['./test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 2 },
        },
      },
      ...ACCEPTANCE_CODEX_VERSIONS.map(acceptanceProject),
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          sequence: { groupOrder: 3 },
          // One file at a time: each loads both cores by itself, and together they starve each other.
          fileParallelism: false,
        },
      },
    ],
  },
});
