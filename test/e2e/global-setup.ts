// Runs once before the e2e project (only when at least one e2e test is selected): makes sure the pinned
// Codex CLI is in .e2e-cache, installing it when missing. If it cannot be installed (no network, no npm),
// the e2e tests skip, and this says so loudly instead of letting a green run hide that nothing ran.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { codexBinary, REPO_ROOT } from './support/codex';

declare module 'vitest' {
  export interface ProvidedContext {
    codexSkipReason: string;
  }
}

export default function setup(project: TestProject): void {
  const reason = findSkipReason();
  if (reason !== '') {
    const bar = '!'.repeat(100);
    process.stderr.write(
      `\n${bar}\n!! E2E TESTS SKIPPED: the real Codex CLI is not available.\n!! ${reason}\n` +
        `!! Run \`node scripts/e2e-install-codex.mjs\` to see why; every e2e scenario below is reported as skipped.\n${bar}\n\n`,
    );
  }
  project.provide('codexSkipReason', reason);
}

function findSkipReason(): string {
  if (!existsSync(join(REPO_ROOT, 'dist', 'bin.cjs'))) {
    return 'dist/ is missing: run `npm run build` first (npm test does)';
  }
  if (process.env.E2E_CODEX_BIN) {
    return existsSync(process.env.E2E_CODEX_BIN)
      ? ''
      : `E2E_CODEX_BIN=${process.env.E2E_CODEX_BIN} does not exist`;
  }
  const install = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'e2e-install-codex.mjs')], {
    encoding: 'utf8',
  });
  if (install.status === 0 && existsSync(codexBinary())) return '';
  return `could not install it: ${(install.stderr || install.error?.message || 'unknown error').trim()}`;
}
