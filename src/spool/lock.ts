// One worker per state dir. The lock file names its holder; the holder refreshes its mtime while it runs,
// so a lock whose holder is gone (dead pid) or silent (no heartbeat for LOCK_STALE_MS: a frozen process, or
// a pid reused after a crash) is taken over instead of blocking tracing forever.
//
// The holder sets the mtime LOCK_AHEAD_MS into the future, a promise to refresh it before then. A lock whose
// mtime is still ahead has a live, unfrozen holder, which the shell hook can tell without a clock: the lock
// is newer than the payload it has just written. It then leaves a rerun request instead of starting a
// worker that would only do the same and exit (src/hook/hook.sh).
import {
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const LOCK_HEARTBEAT_MS = 5_000;
/** Three heartbeats: a holder that misses them is busy or frozen, and hooks start workers again. */
export const LOCK_AHEAD_MS = 15_000;
/** Counted from the mtime, so from when the last promise ran out. */
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
    if (!removeIfStale(file, owner, nowMs)) return null;
  }
  return null;
}

/**
 * Removes the lock if it is stale; false when it is held. Two workers can judge the same dead holder's lock
 * stale at once: a plain delete by the slower one would remove the lock the faster one has just taken, and
 * both would run (and send the same traces). So the lock judged stale is moved aside atomically and checked
 * to be that same file; a fresh lock moved by mistake is put back.
 */
function removeIfStale(file: string, owner: LockOwner, nowMs: number): boolean {
  let judged: number;
  try {
    judged = lstatSync(file).ino;
  } catch {
    return true;
  }
  if (!isStale(file, nowMs)) return false;
  const aside = `${file}.${owner.token}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return true;
  }
  const moved = lstatSync(aside).ino;
  if (moved !== judged) {
    try {
      linkSync(aside, file);
    } catch {
      // yet another worker's lock is in place already
    }
  }
  rmSync(aside, { force: true });
  return moved === judged;
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
  const beat = () => {
    try {
      const ahead = new Date(Date.now() + LOCK_AHEAD_MS);
      utimesSync(file, ahead, ahead);
    } catch {
      // taken over or removed: the next release() leaves the other worker's lock alone
    }
  };
  beat();
  const timer = setInterval(beat, LOCK_HEARTBEAT_MS);
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
