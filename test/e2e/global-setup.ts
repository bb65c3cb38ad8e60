// Runs once before each e2e project (only when one of its tests is selected): makes sure its Codex CLI is
// in .e2e-cache, installing it when missing. The version is the project's E2E_CODEX_VERSION (the
// acceptance projects in vitest.config.ts), else the environment's, else E2E_CODEX_BIN, else the pinned
// one. If it cannot be installed (no network, no npm), the project's tests skip, and this says so loudly
// instead of letting a green run hide that nothing ran.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { codexBin, PINNED_CODEX_VERSION } from '../../scripts/e2e-install-codex.mjs';
import { REPO_ROOT } from './support/codex';

declare module 'vitest' {
  export interface ProvidedContext {
    codexSkipReason: string;
  }
}

export default function setup(project: TestProject): void {
  const reason = findSkipReason(project.config.env?.E2E_CODEX_VERSION ?? process.env.E2E_CODEX_VERSION);
  if (reason !== '') {
    const bar = '!'.repeat(100);
    process.stderr.write(
      `\n${bar}\n!! E2E TESTS SKIPPED (${project.name}): the real Codex CLI is not available.\n!! ${reason}\n` +
        `!! Run \`node scripts/e2e-install-codex.mjs [version]\` to see why; every e2e scenario below is reported as skipped.\n${bar}\n\n`,
    );
  }
  project.provide('codexSkipReason', reason);
}

function findSkipReason(version: string | undefined): string {
  if (!existsSync(join(REPO_ROOT, 'dist', 'bin.cjs'))) {
    return 'dist/ is missing: run `npm run build` first (npm test does)';
  }
  if (!version && process.env.E2E_CODEX_BIN) {
    return existsSync(process.env.E2E_CODEX_BIN)
      ? ''
      : `E2E_CODEX_BIN=${process.env.E2E_CODEX_BIN} does not exist`;
  }
  const wanted = version ?? PINNED_CODEX_VERSION;
  const install = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'e2e-install-codex.mjs'), wanted], {
    encoding: 'utf8',
  });
  if (install.status === 0 && existsSync(codexBin(wanted))) return '';
  return `could not install Codex ${wanted}: ${(install.stderr || install.error?.message || 'unknown error').trim()}`;
}
