// The detached worker stays between a session's events: one Node process per `codex exec` session (and per
// stretch of a TUI session) instead of one per hook that starts a worker. It keeps the worker lock while it
// waits, asleep (an inotify watch on the state root, a fallback check every 5 s), so the hooks that
// would start a worker find the lock's holder alive and leave it a rerun request instead (src/hook/hook.sh,
// native/hook.c), which wakes it at once. Nothing about the hooks changes: a worker that dies meanwhile
// leaves a dead pid in the lock, and the next hook starts a worker again, which takes the lock over.
//
// It leaves, releasing the lock (and then looks for a rerun request once more, as every worker does), when
// every session it has seen has ended (SessionEnd), after idleMs with no request (a TUI left open, a Codex
// without SessionEnd: the next hook starts a fresh worker), once it has stayed untilMs, when a command that
// needs the lock (`retry`, `import`, `doctor --fix`) asks it to (worker.yield), and when the lock is no
// longer its own (taken over, or the state dir removed). One whose code an upgrade replaced leaves before
// its next pass and starts a fresh worker for it.
import { existsSync, type FSWatcher, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import type { Env } from '../config/paths';
import type { SpoolPaths } from '../spool/layout';
import type { HeldLock } from '../spool/lock';

/** How long a worker waits for its sessions' next event before it leaves. */
export const DEFAULT_IDLE_MS = 10 * 60_000;
/** A worker stays at most this long in all: a process is never kept for a whole day of TUI work. */
export const MAX_STAY_MS = 60 * 60_000;
/** The fallback check while asleep, should the watch miss a change (or be unavailable). */
const FALLBACK_CHECK_MS = 5_000;
/** A yield request is honoured while fresh: the command waiting for the lock touches it as it retries. */
const YIELD_FRESH_MS = 30_000;

/** What ended a wait: a rerun request, a yield request, the timeout, or the lock is no longer ours. */
export type Wake = 'rerun' | 'yield' | 'timeout' | 'lost';

/**
 * INFINIUM_CODEX_WORKER_IDLE_SECONDS: how long the worker waits for a session's next event (default 600);
 * 0: it never stays (one worker per turn-ending hook, as before).
 */
export function workerIdleMs(env: Env): number {
  const text = env.INFINIUM_CODEX_WORKER_IDLE_SECONDS;
  if (text === undefined || text.trim() === '') return DEFAULT_IDLE_MS;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 86_400 ? seconds * 1000 : DEFAULT_IDLE_MS;
}

/**
 * Whether `file` (the worker's entry) is still the one this process started from: an upgrade replaces the
 * package's files (a new inode, or new contents), an uninstall removes them.
 */
export function sameFile(file: string): () => boolean {
  const stamp = () => {
    try {
      const { ino, size, mtimeMs } = statSync(file);
      return `${ino} ${size} ${mtimeMs}`;
    } catch {
      return null;
    }
  };
  const started = stamp();
  return () => started !== null && stamp() === started;
}

/** Whether a command waiting for the worker lock asks the holder to leave (see waitForLock). */
function yieldRequested(paths: SpoolPaths, nowMs = Date.now()): boolean {
  try {
    return nowMs - statSync(paths.yieldRequest).mtimeMs < YIELD_FRESH_MS;
  } catch {
    return false;
  }
}

/** Asks a waiting worker to leave (touching the request keeps it fresh), or withdraws the request. */
export function requestYield(paths: SpoolPaths, wanted: boolean): void {
  try {
    if (wanted) writeFileSync(paths.yieldRequest, '', { mode: 0o600 });
    else rmSync(paths.yieldRequest, { force: true });
  } catch {
    // The worker then leaves when its wait is over, as it would anyway.
  }
}

/**
 * Waits, holding `lock`, until a rerun request comes, a yield request, `timeoutMs` passes, or the lock is
 * lost. `idle` marks the wait in worker.idle (the state's tools and tests tell a waiting worker from a
 * working one by it).
 */
export function waitForRequest(
  paths: SpoolPaths,
  lock: HeldLock,
  timeoutMs: number,
  idle: boolean,
): Promise<Wake> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (wake: Wake) => {
      if (done) return;
      done = true;
      watcher?.close();
      for (const timer of timers) clearTimeout(timer);
      if (idle) rmSync(paths.idle, { force: true });
      resolve(wake);
    };
    const requested = (): Wake | null => {
      if (existsSync(paths.rerun)) return 'rerun';
      return yieldRequested(paths) ? 'yield' : null;
    };
    const check = (verify: boolean) => {
      if (done) return true;
      let wake = requested();
      // Gone with the state dir: at once. Taken over: seen at the next full check.
      if (!wake && !existsSync(paths.lock)) wake = 'lost';
      if (!wake && verify) {
        try {
          lock.verify();
        } catch {
          wake = 'lost';
        }
      }
      if (wake) finish(wake);
      return wake !== null;
    };
    if (idle) {
      try {
        writeFileSync(paths.idle, String(process.pid), { mode: 0o600 });
      } catch {
        // Only a hint for tools.
      }
    }
    try {
      watcher = watch(paths.root, { persistent: true }, () => check(false));
      watcher.on('error', () => undefined);
    } catch {
      // No watch here: the fallback check alone.
    }
    if (check(true)) return;
    timers.push(setInterval(() => check(true), FALLBACK_CHECK_MS));
    timers.push(setTimeout(() => finish('timeout'), timeoutMs));
  });
}
