// The native hook front-end (native/hook.c): one small program per platform, carried inside this package at
// dist/native/<platform>-<arch>/ (scripts/build-native.mjs builds them: the host's by `npm run build`, all
// four by `npm pack`). It saves the shell Codex's `$SHELL -c` would start for hook.sh. Every Codex event
// runs it as the user, so only our own program may serve: it is looked for in our own package's folder
// only, found from the real path of the running bundle (never through Node's walk up parent node_modules,
// where anyone who can write to a folder above ours could plant a look-alike), and must be a regular file
// that only its owner (the user or root) can change, answer our version to `--version`, and pass a
// self-test. Otherwise hook.sh serves (and on Windows the Node front-end, always).
import { spawnSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pkg from '../../package.json';
import { changeableByOthers } from '../config/file-trust';
import { type Env, withoutAgentSecret } from '../config/paths';
import type { FrontEnd } from '../config/settings';
import type { HookTarget } from './hooks-file';

/** The program's file name in its platform's folder. */
export const NATIVE_HOOK_BINARY = 'infinium-codex-hook';
/** How long the handshake or the self-test may take: one start of a small program, on a loaded machine. */
const SELF_TEST_TIMEOUT_MS = 5_000;

/** Where our package holds the program for `platform`/`arch` (Node's names), given its dist/ folder. */
export function nativeHookPath(
  distDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  return join(distDir, 'native', `${platform}-${arch}`, NATIVE_HOOK_BINARY);
}

/**
 * The one place the host's program may be: inside the package whose dist/ is `distDir`, resolved to its real
 * path (a global install is reached through a bin link). Null on Windows.
 */
export function nativeHookCandidate(
  distDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): string | null {
  if (platform === 'win32') return null;
  let real = distDir;
  try {
    real = realpathSync(distDir);
  } catch {
    // a dist/ that is gone: the program is gone with it, as the checks below will say
  }
  return nativeHookPath(real, platform, arch);
}

/**
 * Why the program at `binary` is not one only the user (or root) controls, or null: it and each folder from
 * its own up to dist/ must be owned by the user or root and not writable by group (but the user's private
 * one) or others (our build and npm's unpacking make them 0755), and the program must be a regular file.
 */
function ownershipProblem(binary: string, distDir: string): string | null {
  const checks: [string, string][] = [[binary, 'it']];
  for (let dir = dirname(binary); dir.length >= distDir.length; dir = dirname(dir)) {
    checks.push([dir, `its folder ${dir}`]);
    if (dir === distDir || dir === dirname(dir)) break;
  }
  for (const [path, what] of checks) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return path === binary ? 'it is missing' : `${what} is missing`;
    if (path === binary && !stat.isFile()) return 'it is not a regular file';
    const changeable = changeableByOthers(stat, what);
    if (changeable) return changeable;
  }
  return null;
}

/** What our own program answers to `--version`. */
export const NATIVE_HOOK_HANDSHAKE = `infinium-codex-hook ${pkg.version}\n`;

function runProblem(run: ReturnType<typeof spawnSync>, what: string): string | null {
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') return `${what} did not finish within ${SELF_TEST_TIMEOUT_MS / 1000} s`;
    if (code === 'EACCES') return 'it is not executable';
    return `it cannot be run (${code ?? run.error.message})`;
  }
  // A program for another architecture fails execve with ENOEXEC, and execvp (libuv's, a shell's) then
  // hands it to /bin/sh, which gives up with 126 or 127.
  if (run.status === 126 || run.status === 127) {
    return `it cannot be run on this machine (another architecture, or not a program: exit ${run.status})`;
  }
  if (run.status !== 0) return `${what} exited with ${run.status ?? run.signal}`;
  return null;
}

/**
 * Why `binary` cannot serve as our hook front-end for `target`, in words ("it is missing", "it is not ours:
 * ..."), or null when it can. It must be the program our package holds for this machine (nativeHookCandidate:
 * a hooks.json naming any other file is refused, whatever that file does), owned and changeable only as
 * ownershipProblem says, answer NATIVE_HOOK_HANDSHAKE to `--version` (a program that merely exits 0 is not
 * ours), and, run as Codex would run it with an empty payload and INFINIUM_CODEX_DISABLED=1 (so it spools
 * nothing), exit 0 with no output.
 */
export function nativeHookProblem(binary: string, target: HookTarget, env: Env = process.env): string | null {
  const ours = nativeHookCandidate(target.distDir);
  if (binary !== ours && binary !== nativeHookPath(target.distDir)) {
    return `it is not the program this package carries (${ours ?? 'none on Windows'})`;
  }
  let distDir = target.distDir;
  try {
    distDir = realpathSync(distDir);
  } catch {
    // reported below as a missing folder
  }
  const owned = ownershipProblem(binary, distDir);
  if (owned) return owned;
  // Both runs with an empty payload and INFINIUM_CODEX_DISABLED=1: a program that did spool would store nothing.
  const run = (args: string[]) =>
    spawnSync(binary, args, {
      input: '',
      env: { ...withoutAgentSecret(env), INFINIUM_CODEX_DISABLED: '1' },
      timeout: SELF_TEST_TIMEOUT_MS,
      encoding: 'utf8',
    });
  const hello = run(['--version']);
  const failed = runProblem(hello, 'its version check');
  if (failed) return failed;
  if (hello.stdout !== NATIVE_HOOK_HANDSHAKE) {
    const said = hello.stdout.trim().slice(0, 60) || 'nothing';
    return `it is not our program of version ${pkg.version} (it answered ${JSON.stringify(said)} to --version)`;
  }
  const test = run(['Stop', target.nodePath, target.distDir]);
  const selfTest = runProblem(test, 'its self-test');
  if (selfTest) return selfTest;
  if (test.stdout !== '' || test.stderr !== '') return 'its self-test printed output';
  return null;
}

/** The host's native front-end, or why there is none to use (then hook.sh serves). */
export type NativeHookChoice = { binary: string } | { binary: null; why: string };

/** The program our package carries for this machine, when it passes nativeHookProblem. */
export function findNativeHook(target: HookTarget, env: Env = process.env): NativeHookChoice {
  const host = `${process.platform}-${process.arch}`;
  const binary = nativeHookCandidate(target.distDir);
  if (!binary) return { binary: null, why: `no native front-end for ${host}` };
  const problem = nativeHookProblem(binary, target, env);
  if (!problem) return { binary };
  return {
    binary: null,
    why:
      problem === 'it is missing'
        ? `no native front-end for ${host}`
        : `the native front-end ${binary} was refused: ${problem}`,
  };
}

/**
 * The hook target for a front-end preference: `native` gives the host's working native program when there
 * is one (else hook.sh, with the reason in `nativeRefused`), `sh` always hook.sh.
 */
export function targetFor(preference: FrontEnd, target: HookTarget, env: Env = process.env): HookTarget {
  const { nativeHook: _ignored, nativeRefused: _reason, ...base } = target;
  if (preference !== 'native') return base;
  const choice = findNativeHook(base, env);
  return choice.binary !== null
    ? { ...base, nativeHook: choice.binary }
    : { ...base, nativeRefused: choice.why };
}
