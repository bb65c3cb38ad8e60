// The native hook front-end (native/hook.c): one small program per platform, shipped as an optional npm
// package (@infinium-codex/hook-<platform>-<arch>, from npm/ in the repo) that npm installs only on its
// own platform, as esbuild and biome ship theirs. It saves the shell Codex's `$SHELL -c` would start for
// hook.sh. It is used only when it is there AND passes a self-test; otherwise hook.sh serves (and on
// Windows the Node front-end, always).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Env } from '../config/paths';
import type { FrontEnd } from '../config/settings';
import type { HookTarget } from './hooks-file';

/** The program's file name inside its platform package. */
export const NATIVE_HOOK_BINARY = 'infinium-codex-hook';
/** How long the self-test may take: one start of a small program, on a loaded machine. */
const SELF_TEST_TIMEOUT_MS = 5_000;

/** The platform package for Node's `process.platform` and `process.arch`, e.g. @infinium-codex/hook-linux-x64. */
export function nativeHookPackage(platform: string, arch: string): string {
  return `@infinium-codex/hook-${platform}-${arch}`;
}

/**
 * Where the host's program may be, in order: in the installed optional package (resolved from our own
 * dist/, as Node would from the package), then in a source checkout's npm/ folder, where the build puts
 * it. None on Windows.
 */
export function nativeHookCandidates(
  distDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): string[] {
  if (platform === 'win32') return [];
  const name = nativeHookPackage(platform, arch);
  const candidates: string[] = [];
  try {
    const manifest = createRequire(join(distDir, 'cli.mjs')).resolve(`${name}/package.json`);
    candidates.push(join(dirname(manifest), NATIVE_HOOK_BINARY));
  } catch {
    // not installed: npm skips an optional package for another platform, or one it could not fetch
  }
  candidates.push(join(distDir, '..', 'npm', `hook-${platform}-${arch}`, NATIVE_HOOK_BINARY));
  return [...new Set(candidates)];
}

/**
 * Why `binary` cannot serve as our hook front-end for `target` ("it is missing", "its self-test ..."), or
 * null when it can: it
 * must be a regular executable file that, run as Codex would run it with an empty payload and
 * INFINIUM_CODEX_DISABLED=1 (so it spools nothing), exits 0 with no output. A program built for another
 * architecture fails here.
 */
export function nativeHookProblem(binary: string, target: HookTarget, env: Env = process.env): string | null {
  try {
    if (!statSync(binary).isFile()) return 'it is not a regular file';
    accessSync(binary, constants.X_OK);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is missing' : 'it is not executable';
  }
  const run = spawnSync(binary, ['Stop', target.nodePath, target.distDir], {
    input: '',
    env: { ...env, INFINIUM_CODEX_DISABLED: '1' },
    timeout: SELF_TEST_TIMEOUT_MS,
    encoding: 'utf8',
  });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') return `its self-test did not finish within ${SELF_TEST_TIMEOUT_MS / 1000} s`;
    return `it cannot be run (${code ?? run.error.message})`;
  }
  // A program for another architecture fails execve with ENOEXEC, and execvp (libuv's, a shell's) then
  // hands it to /bin/sh, which gives up with 126 or 127.
  if (run.status === 126 || run.status === 127) {
    return `it cannot be run on this machine (another architecture, or not a program: exit ${run.status})`;
  }
  if (run.status !== 0) return `its self-test exited with ${run.status ?? run.signal}`;
  if (run.stdout !== '' || run.stderr !== '') return 'its self-test printed output';
  return null;
}

/** The host's native front-end that passes its self-test (see nativeHookProblem), or null: use hook.sh. */
export function findNativeHook(target: HookTarget, env: Env = process.env): string | null {
  return (
    nativeHookCandidates(target.distDir).find((binary) => !nativeHookProblem(binary, target, env)) ?? null
  );
}

/**
 * The hook target for a front-end preference: `native` gives the host's working native program when there
 * is one (else hook.sh), `sh` always hook.sh.
 */
export function targetFor(preference: FrontEnd, target: HookTarget, env: Env = process.env): HookTarget {
  const { nativeHook: _ignored, ...base } = target;
  const binary = preference === 'native' ? findNativeHook(base, env) : null;
  return binary ? { ...base, nativeHook: binary } : base;
}
