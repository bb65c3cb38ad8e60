// One worker per state dir. The lock file names its holder; the holder refreshes its mtime while it runs,
// so a lock whose holder is gone (dead pid) or silent (no heartbeat for LOCK_STALE_MS: a frozen process, or
// a pid reused after a crash) is taken over instead of blocking tracing forever.
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const LOCK_HEARTBEAT_MS = 5_000;
export const LOCK_STALE_MS = 60_000;

interface LockOwner {
  pid: number;
  token: string;
}

export interface HeldLock {
  release(): void;
}

export function tryLock(file: string, nowMs = Date.now()): HeldLock | null {
  // The lock sits in the state root, which may be a link the user made: no ensureDir here.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const owner: LockOwner = { pid: process.pid, token: `${process.pid}-${nowMs}-${Math.random()}` };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(owner));
      } catch (error) {
        // A full disk: an empty lock would read as "a holder is writing it" and stop every worker for a while.
        closeSync(fd);
        rmSync(file, { force: true });
        throw error;
      }
      closeSync(fd);
      return heldLock(file, owner);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!isStale(file, nowMs)) return null;
    rmSync(file, { force: true });
  }
  return null;
}

/** Whether a worker holds the lock right now. */
export function lockHeld(file: string, nowMs = Date.now()): boolean {
  try {
    statSync(file);
  } catch {
    return false;
  }
  return !isStale(file, nowMs);
}

function isStale(file: string, nowMs: number): boolean {
  let ageMs: number;
  try {
    ageMs = nowMs - statSync(file).mtimeMs;
  } catch {
    return true;
  }
  if (ageMs > LOCK_STALE_MS) return true;
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid !== 'number' || !processAlive(owner.pid);
  } catch {
    // Empty between the holder's open and write: fresh means a holder is writing it; old means it died there.
    return ageMs > LOCK_HEARTBEAT_MS;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed worker stays a zombie until its parent reaps it, and a detached worker's parent is init, which in
 * a container without an init process may never reap it. Linux only (/proc); elsewhere the heartbeat ages.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

function heldLock(file: string, owner: LockOwner): HeldLock {
  const timer = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // taken over or removed: the next release() leaves the other worker's lock alone
    }
  }, LOCK_HEARTBEAT_MS);
  timer.unref();
  return {
    release() {
      clearInterval(timer);
      try {
        const current = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
        if (current.token === owner.token) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
