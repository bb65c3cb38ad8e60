// Runs the built CLI (dist/bin.cjs) as a user would: a child process with its own HOME, CODEX_HOME,
// INFINIUM_CODEX_HOME and project folder, and a `codex` on PATH that reports a chosen version.

import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { nativeHookBinary } from '../../scripts/build-native.mjs';
import { recordDecision } from '../../src/config/consent';
import { secretAccount } from '../../src/config/credentials';
import { collectOutput } from './child-output';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO_ROOT, 'dist', 'bin.cjs');
/** The checkout's native hook front-end for this machine, where `npm run build` puts it (when there is a C compiler). */
export const NATIVE_HOOK = nativeHookBinary();
/** Tests of the native front-end run where it was built, and always in CI, which installs a compiler. */
export const NATIVE_HOOK_BUILT = existsSync(NATIVE_HOOK) || Boolean(process.env.CI);

export interface Sandbox {
  root: string;
  home: string;
  codexHome: string;
  stateDir: string;
  project: string;
  env: Record<string, string>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function makeSandbox(codexVersion = '0.169.0'): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-cli-')));
  const home = join(root, 'home');
  const codexHome = join(home, '.codex');
  const stateDir = join(home, '.infinium-codex');
  const project = join(home, 'work', 'demo');
  const bin = join(root, 'bin');
  for (const dir of [codexHome, project, bin]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(bin, 'codex'), `#!/bin/sh\necho "codex-cli ${codexVersion}"\n`);
  chmodSync(join(bin, 'codex'), 0o755);
  const env: Record<string, string> = {
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    CODEX_HOME: codexHome,
    INFINIUM_CODEX_HOME: stateDir,
    INFINIUM_CODEX_SYSTEM_DIR: join(root, 'etc', 'infinium-codex'),
    INFINIUM_CODEX_SYSTEM_CODEX_DIR: join(root, 'etc', 'codex'),
    // No worker lingers after a test to poll Maestro's evaluations, or waits for a session's next event;
    // the tests of each turn it on.
    INFINIUM_CODEX_EVALUATION_WAIT_SECONDS: '0',
    INFINIUM_CODEX_WORKER_IDLE_SECONDS: '0',
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
  };
  return { root, home, codexHome, stateDir, project, env };
}

export function runCli(
  sandbox: Sandbox,
  args: string[],
  options: {
    input?: string;
    cwd?: string;
    env?: Record<string, string | undefined>;
    bin?: string;
    /** The node to run the CLI with (the one `init` writes into hooks.json); this test run's by default. */
    node?: string;
    /** Another local account to run it as (test/support/other-user.ts), where file modes bind. */
    user?: { uid: number; gid: number };
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...sandbox.env, ...options.env };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const child = spawn(options.node ?? process.execPath, [options.bin ?? BIN, ...args], {
      cwd: options.cwd ?? sandbox.project,
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    const output = collectOutput(child);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, ...output }));
    child.stdin.end(options.input ?? '');
  });
}

/** Every file under `dir` with its bytes (and mode), for byte-for-byte comparisons. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(dir)) return files;
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      const stats = statSync(path);
      if (stats.isDirectory()) walk(path);
      else files[relative(dir, path)] = `${(stats.mode & 0o777).toString(8)} ${readFileSync(path, 'utf8')}`;
    }
  };
  walk(dir);
  return files;
}

/** `init` without questions, the secret on stdin, the fallback file instead of a keyring. */
export function initArgs(agentId: string, baseUrl: string, ...extra: string[]): string[] {
  return [
    'init',
    '--yes',
    '--agent-id',
    agentId,
    '--agent-secret-stdin',
    '--base-url',
    baseUrl,
    '--no-keyring',
    ...extra,
  ];
}

/**
 * Writes a project's `.infinium/config.json` as the user's own, allowed on this machine as `init` allows
 * what it writes (src/config/consent.ts); a planted file is written without this.
 */
export function writeAllowedProjectConfig(
  sandbox: Sandbox,
  settings: Record<string, unknown>,
  projectDir = sandbox.project,
): string {
  const file = join(projectDir, '.infinium', 'config.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(settings));
  recordDecision(file, 'allow', sandbox.env);
  return file;
}

/** Stores an agent's secret for a base URL's origin in the fallback file, as `init --no-keyring` does. */
export function storeFallbackSecret(
  sandbox: Sandbox,
  agentId: string,
  baseUrl: string,
  secret: string,
): void {
  mkdirSync(sandbox.stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(sandbox.stateDir, 'credentials.json'),
    JSON.stringify({ [secretAccount(agentId, baseUrl)]: secret }),
    { mode: 0o600 },
  );
}
