// Fault injection for reliability tests: a dist whose hooks spool but start no worker (so the test decides
// when the real worker runs and when it dies), a seeded random source, a size-limited or read-only state
// dir (mounts: root on Linux only; callers skip with the reason when they are not allowed), and a worker
// run under a shifted wall clock (libfaketime, Debian's `faketime` package; see .ci/run).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spoolPaths } from '../../src/spool/layout';
import { lockHeld } from '../../src/spool/lock';
import { DIST, waitFor } from './capture-harness';

/** A copy of the built hook front-ends whose worker.mjs does nothing. */
export function inertWorkerDist(dir: string): string {
  const dist = join(dir, 'dist-inert-worker');
  mkdirSync(dist, { recursive: true });
  for (const file of ['hook.sh', 'bin.cjs']) copyFileSync(join(DIST, file), join(dist, file));
  writeFileSync(join(dist, 'worker.mjs'), '');
  return dist;
}

export interface WorkerRun {
  /** Whether it was still running when killed (false: it had finished on its own). */
  killed: boolean;
  code: number | null;
}

/** Starts dist/worker.mjs and SIGKILLs it after `killAfterMs`, unless it finished first. */
export function runWorkerAndKill(
  env: Record<string, string>,
  killAfterMs: number,
  args: string[] = [],
): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(DIST, 'worker.mjs'), ...args], { env, stdio: 'ignore' });
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ killed, code });
    });
  });
}

/** Why mounting is not possible here, or null when it is (we are root and mount works). */
export function mountUnavailable(probeDir: string): string | null {
  if (process.platform !== 'linux') return 'mounts are tested on Linux only';
  if (process.getuid?.() !== 0) return 'mounting needs root';
  mkdirSync(probeDir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probeDir], { stdio: 'ignore' });
    execFileSync('umount', [probeDir], { stdio: 'ignore' });
    return null;
  } catch {
    return 'mount is not permitted in this environment';
  }
}

/** A tmpfs of `bytes` mounted on `dir` (created 0700): a disk that fills up. */
export function mountSmallDisk(dir: string, bytes: number): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
  return () => execFileSync('umount', ['-l', dir]);
}

/**
 * Makes `dir` read-only for everyone, root included (permission bits do not stop root): a read-only bind
 * mount of the directory over itself. Returns the undo.
 */
export function mountReadOnly(dir: string): () => void {
  execFileSync('mount', ['--bind', dir, dir]);
  execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
  return () => execFileSync('umount', ['-l', dir]);
}

export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** Env that runs a process with its wall clock shifted (e.g. '+3d', '-1y'); timers keep the real pace. */
export function shiftedClock(env: Record<string, string>, offset: string): Record<string, string> {
  return {
    ...env,
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME: offset,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

export const clockShiftUnavailable = (): string | null =>
  existsSync(LIBFAKETIME) ? null : `libfaketime is not installed (${LIBFAKETIME}; Debian package faketime)`;

/**
 * Waits until no live worker holds the lock. A SIGKILLed worker leaves its lock file behind until the next
 * worker takes it over, so the file's existence alone says nothing.
 */
export function workerIdle(env: Record<string, string>, timeoutMs = 60_000): Promise<void> {
  return waitFor(() => !lockHeld(spoolPaths(env).lock), timeoutMs, 'the worker to finish');
}
