// Installs a Codex CLI for the e2e suite into .e2e-cache/codex-<version>/ (git-ignored), outside the
// project's own node_modules so that `npm ci` stays fast for contributors who never run e2e. The version is
// the pinned one unless the command line or E2E_CODEX_VERSION names another (the acceptance subset runs on
// older ones; `npm run codex:drift` on new ones). Does nothing when that version is already there. Installs
// into a temp folder and renames it into place, so an interrupted or concurrent install never leaves a
// half-installed Codex behind.
// Usage: node scripts/e2e-install-codex.mjs [version]   (exit 0: installed or already there; 1: could not)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Codex the whole e2e suite runs on by default: the newest release we have tested. */
export const PINNED_CODEX_VERSION = '0.171.0';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The version to use: E2E_CODEX_VERSION when set, else the pinned one. */
export function wantedCodexVersion(env = process.env) {
  return env.E2E_CODEX_VERSION || PINNED_CODEX_VERSION;
}

/** Where a version lives: .e2e-cache/codex-<version>/. */
export function codexDir(version) {
  return join(root, '.e2e-cache', `codex-${version}`);
}

/** The `codex` launcher of an installed version (it may not exist yet). */
export function codexBin(version) {
  return join(codexDir(version), 'node_modules', '.bin', 'codex');
}

function installedVersion(dir) {
  try {
    const manifest = join(dir, 'node_modules', '@openai', 'codex', 'package.json');
    return JSON.parse(readFileSync(manifest, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** @returns {{ ok: true, installed: boolean, bin: string } | { ok: false, reason: string }} */
export function ensureCodex(version = wantedCodexVersion()) {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    return { ok: false, reason: `"${version}" is not a Codex version: give one like 0.171.0.` };
  }
  const dir = codexDir(version);
  if (installedVersion(dir) === version && existsSync(codexBin(version))) {
    return { ok: true, installed: false, bin: codexBin(version) };
  }
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(
    npm,
    ['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', `@openai/codex@${version}`],
    { encoding: 'utf8', timeout: 10 * 60_000 },
  );
  if (run.status !== 0 || installedVersion(staging) !== version) {
    rmSync(staging, { recursive: true, force: true });
    const detail = (run.error?.message ?? run.stderr ?? '').trim().split('\n').slice(-3).join(' ');
    return { ok: false, reason: `npm install @openai/codex@${version} failed: ${detail}` };
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // A concurrent install won the rename: theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (installedVersion(dir) !== version) throw error;
  }
  return { ok: true, installed: true, bin: codexBin(version) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const version = process.argv[2] || wantedCodexVersion();
  const result = ensureCodex(version);
  if (!result.ok) {
    process.stderr.write(`${result.reason}\n`);
    process.exit(1);
  }
  process.stdout.write(
    result.installed
      ? `Installed Codex ${version} into ${codexDir(version)}\n`
      : `Codex ${version} already in ${codexDir(version)}\n`,
  );
}
