// Which Codex is installed, and what its hooks need. Hooks changed a lot between releases:
// 0.114-0.123 need `[features] codex_hooks = true`; 0.124+ have hooks on by default; 0.129+ run a
// non-managed hook only when it is trusted in config.toml (spec: codex-hooks.md).
import { execFile } from 'node:child_process';
import type { Env } from '../config/paths';

export type Version = readonly [number, number, number];

export const MIN_HOOKS_VERSION: Version = [0, 114, 0];
const DEFAULT_ON_VERSION: Version = [0, 124, 0];
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
  /** Hooks exist at all in this version. */
  supported: boolean;
  /** `[features] codex_hooks = true` must be written (the flag was off by default). */
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

export interface DetectedCodex {
  version: Version | null;
  /** `codex --version` as printed, or why it could not be run. */
  detail: string;
  found: boolean;
}

/** Runs `codex --version` (time-boxed). `INFINIUM_CODEX_CODEX_BIN` names another binary. */
export function detectCodex(env: Env = process.env, timeoutMs = 5_000): Promise<DetectedCodex> {
  const bin = env.INFINIUM_CODEX_CODEX_BIN || 'codex';
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--version'],
      {
        env: env as NodeJS.ProcessEnv,
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
