// Which Codex is installed, and what its hooks need. Hooks changed a lot between releases:
// 0.117-0.123 need `[features] codex_hooks = true`; 0.124+ have hooks on by default; 0.129+ run a
// non-managed hook only when it is trusted in config.toml and know the `[features] hooks` key (spec:
// codex-hooks.md; measured per version in the codex-matrix case, docs/compatibility.md).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { type Env, withoutAgentSecret } from '../config/paths';
import { trustedProgram } from '../git/program';

export type Version = readonly [number, number, number];

/**
 * The oldest Codex we support: the first whose Stop carries `turn_id` and that has PreToolUse/PostToolUse.
 * 0.114-0.116 have hooks, but without the turn id an interrupted turn shifts every later turn of the
 * session (codex-matrix case, F2), so `init` and `doctor` refuse them.
 */
export const MIN_HOOKS_VERSION: Version = [0, 117, 0];
const DEFAULT_ON_VERSION: Version = [0, 124, 0];
/** From here Codex checks trust, and `[features] hooks` exists (before, Codex ignores that key). */
const TRUST_VERSION: Version = [0, 129, 0];
const SESSION_END_VERSION: Version = [0, 145, 0];

export function parseVersion(text: string): Version | null {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function formatVersion(version: Version): string {
  return version.join('.');
}

export interface CodexNeeds {
  /** This version is at or above our floor (MIN_HOOKS_VERSION). */
  supported: boolean;
  /** `[features] codex_hooks = true` must be written (the flag was off by default, 0.117-0.123). */
  featureFlag: boolean;
  /** Trust entries are checked (and so must be written). */
  trust: boolean;
  /** SessionEnd exists. */
  sessionEnd: boolean;
}

/** What a Codex version needs; an unknown version is taken to be a current one. */
export function codexNeeds(version: Version | null): CodexNeeds {
  if (!version) return { supported: true, featureFlag: false, trust: true, sessionEnd: true };
  const atLeast = (v: Version) => compareVersions(version, v) >= 0;
  return {
    supported: atLeast(MIN_HOOKS_VERSION),
    featureFlag: atLeast(MIN_HOOKS_VERSION) && !atLeast(DEFAULT_ON_VERSION),
    trust: atLeast(TRUST_VERSION),
    sessionEnd: atLeast(SESSION_END_VERSION),
  };
}

/** How a user updates Codex (npm is how Codex ships for every platform we support). */
export const UPGRADE_COMMAND = 'npm i -g @openai/codex@latest';

/** Why `init` refuses and `doctor` fails a Codex below the floor (the caller adds the upgrade command). */
export function tooOldProblem(version: Version): string {
  return `Codex ${formatVersion(version)} is older than ${formatVersion(MIN_HOOKS_VERSION)}, the oldest version infinium-codex supports`;
}

/** `[features] hooks` / `codex_hooks` as config.toml sets them (undefined when unset). */
export interface HooksFeatureKeys {
  hooks?: boolean;
  codexHooks?: boolean;
}

export interface HooksFeatureVerdict {
  /** Codex will run hooks with these settings. */
  on: boolean;
  /** Why, in one clause naming the key that decides (for `doctor` and `status`). */
  reason: string;
  /** `doctor --fix` can turn hooks on (by writing `codex_hooks = true`; never by undoing the user's `false`). */
  fixable: boolean;
  /** The key whose `false` turns hooks off (the user's choice, which `--fix` leaves alone). */
  offBy?: 'hooks' | 'codex_hooks';
  /** A key that is set but that this Codex ignores. */
  ignored?: 'hooks';
}

/**
 * What this Codex really does with the `[features]` hook flags, measured per version (codex-matrix case,
 * F3-F5): 0.117-0.123 run hooks only with `codex_hooks = true` and ignore `hooks`; 0.124-0.128 run them
 * unless `codex_hooks = false` and still ignore `hooks`; from 0.129 either key set to false turns them off
 * (`codex_hooks` is then a deprecated alias of `hooks`). An unknown version is taken to be a current one.
 * The one judgement `status` and `doctor` share.
 */
export function judgeHooksFeature(version: Version | null, feature: HooksFeatureKeys): HooksFeatureVerdict {
  const current = !version || compareVersions(version, TRUST_VERSION) >= 0;
  const named = version ? `Codex ${formatVersion(version)}` : 'Codex';
  if (feature.codexHooks === false) {
    return {
      on: false,
      reason: 'hooks are turned off ([features] codex_hooks = false)',
      fixable: false,
      offBy: 'codex_hooks',
    };
  }
  if (current) {
    return feature.hooks === false
      ? {
          on: false,
          reason: 'hooks are turned off ([features] hooks = false)',
          fixable: false,
          offBy: 'hooks',
        }
      : { on: true, reason: 'Codex hooks are on', fixable: false };
  }
  const ignored = feature.hooks === undefined ? {} : { ignored: 'hooks' as const };
  if (compareVersions(version as Version, DEFAULT_ON_VERSION) < 0 && feature.codexHooks !== true) {
    return {
      on: false,
      reason: `${named} runs hooks only with [features] codex_hooks = true${feature.hooks === undefined ? '' : ` (it ignores [features] hooks = ${feature.hooks}, a key it does not know)`}`,
      fixable: true,
      ...ignored,
    };
  }
  return {
    on: true,
    reason: `Codex hooks are on${feature.hooks === undefined ? '' : ` (${named} ignores [features] hooks = ${feature.hooks}: that key exists from ${formatVersion(TRUST_VERSION)})`}`,
    fixable: false,
    ...ignored,
  };
}

export interface DetectedCodex {
  version: Version | null;
  /** `codex --version` as printed, or why it could not be run. */
  detail: string;
  found: boolean;
}

/**
 * Runs `codex --version` (time-boxed) for a session in `cwd`. `INFINIUM_CODEX_CODEX_BIN` names another
 * binary; else `codex` is taken from PATH as git is (src/git/program.ts): never from the project's folders
 * or one another user could change, whatever PATH says.
 */
export function detectCodex(
  env: Env = process.env,
  cwd: string = process.cwd(),
  timeoutMs = 5_000,
): Promise<DetectedCodex> {
  const named = env.INFINIUM_CODEX_CODEX_BIN;
  const bin = named || 'codex';
  const found = named ? { program: named, path: env.PATH } : trustedProgram('codex', cwd, env.PATH);
  if (!found) {
    const onPath = (env.PATH ?? '')
      .split(delimiter)
      .some((dir) => isAbsolute(dir) && existsSync(join(dir, 'codex')));
    return Promise.resolve({
      version: null,
      found: false,
      detail: onPath
        ? 'the only `codex` on PATH is in this project or in a folder another user could change (not run)'
        : '`codex` is not on PATH',
    });
  }
  return new Promise((resolve) => {
    execFile(
      found.program,
      ['--version'],
      {
        env: { ...withoutAgentSecret(env), PATH: found.path },
        timeout: timeoutMs,
        windowsHide: true,
        shell: process.platform === 'win32',
      },
      (error, stdout) => {
        const printed = String(stdout).trim();
        if (error && printed === '') {
          const code = (error as NodeJS.ErrnoException).code;
          resolve({
            version: null,
            found: false,
            detail: code === 'ENOENT' ? `\`${bin}\` is not on PATH` : `\`${bin} --version\` failed`,
          });
          return;
        }
        resolve({ version: parseVersion(printed), found: true, detail: printed.split('\n')[0] ?? '' });
      },
    );
  });
}
