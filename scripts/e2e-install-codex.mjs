// Installs the pinned Codex CLI for the e2e suite into .e2e-cache/codex-<version>/ (git-ignored), outside
// the project's own node_modules so that `npm ci` stays fast for contributors who never run e2e. Does
// nothing when the pinned version is already there. Installs into a temp folder and renames it into place,
// so an interrupted or concurrent install never leaves a half-installed Codex behind.
// Usage: node scripts/e2e-install-codex.mjs   (exit 0: installed or already there; 1: could not install)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODEX_VERSION = '0.169.0';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CODEX_DIR = join(root, '.e2e-cache', `codex-${CODEX_VERSION}`);

function installedVersion(dir) {
  try {
    const manifest = join(dir, 'node_modules', '@openai', 'codex', 'package.json');
    return JSON.parse(readFileSync(manifest, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** @returns {{ ok: true, installed: boolean } | { ok: false, reason: string }} */
export function ensureCodex() {
  if (
    installedVersion(CODEX_DIR) === CODEX_VERSION &&
    existsSync(join(CODEX_DIR, 'node_modules', '.bin', 'codex'))
  ) {
    return { ok: true, installed: false };
  }
  const staging = `${CODEX_DIR}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(
    npm,
    [
      'install',
      '--prefix',
      staging,
      '--no-audit',
      '--no-fund',
      '--no-save',
      `@openai/codex@${CODEX_VERSION}`,
    ],
    { encoding: 'utf8', timeout: 10 * 60_000 },
  );
  if (run.status !== 0 || installedVersion(staging) !== CODEX_VERSION) {
    rmSync(staging, { recursive: true, force: true });
    const detail = (run.error?.message ?? run.stderr ?? '').trim().split('\n').slice(-3).join(' ');
    return { ok: false, reason: `npm install @openai/codex@${CODEX_VERSION} failed: ${detail}` };
  }
  rmSync(CODEX_DIR, { recursive: true, force: true });
  try {
    renameSync(staging, CODEX_DIR);
  } catch (error) {
    // A concurrent install won the rename: theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (installedVersion(CODEX_DIR) !== CODEX_VERSION) throw error;
  }
  return { ok: true, installed: true };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = ensureCodex();
  if (!result.ok) {
    process.stderr.write(`${result.reason}\n`);
    process.exit(1);
  }
  process.stdout.write(
    result.installed
      ? `Installed Codex ${CODEX_VERSION} into ${CODEX_DIR}\n`
      : `Codex ${CODEX_VERSION} already in ${CODEX_DIR}\n`,
  );
}
