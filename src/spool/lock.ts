// One worker per state dir. The lock file names its holder (pid, the pid's start time, a token); the holder
// refreshes its mtime while it runs. A timer of the main thread does that for every lock the process holds;
// before synchronous work that could hold the main thread past the promise (a build of a large turn, a
// user's costly redaction pattern), the holder renews the promise and, for a large input, starts a
// heartbeat thread that beats while the main thread cannot (beforeBlockingWork). A thread costs about
// 30 ms of CPU to start, as much as a whole pass on a small turn, so only such builds pay for it.
//
// A lock is taken over only when its holder is gone: its pid dead, a zombie, or reused by another process
// (the start time differs), or, where that cannot be told (no /proc), when the heartbeat has stopped for
// LOCK_STALE_MS. A holder that is alive is never judged by the lock's age alone; on Linux a silent one is
// taken over only when it is also stopped (SIGSTOP, a frozen cgroup). The holder re-checks its token
// (`verify`) before each send and each file it moves, so a holder that was taken over anyway (it froze and
// came back) stops before doing anything twice.
//
// The holder sets the mtime LOCK_AHEAD_MS into the future, a promise to refresh it before then. A lock whose
// mtime is still ahead has a live, unfrozen holder, which the shell hook can tell without a clock: the lock
// is newer than the payload it has just written. It then leaves a rerun request instead of starting a
// worker that would only do the same and exit (src/hook/hook.sh).
import {
  closeSync,
  constants,
  fstatSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';

export const LOCK_HEARTBEAT_MS = 5_000;
/** Three heartbeats: a holder that misses them is frozen or gone, and hooks start workers again. */
export const LOCK_AHEAD_MS = 15_000;
/** Counted from the mtime, so from when the last promise ran out. */
export const LOCK_STALE_MS = 60_000;

interface LockOwner {
  pid: number;
  token: string;
  /** The holder's start time (/proc/<pid>/stat field 22, clock ticks since boot); absent off Linux. */
  start?: string;
  /** The lock file's creation time, by the file system's clock (epoch ms), when the holder records it. */
  createdAtMs?: number;
}

/** Thrown by `verify` when another worker has taken the lock over: stop, commit nothing more. */
export class LockLostError extends Error {
  constructor() {
    super('another worker took the worker lock over; this one stops here');
    this.name = 'LockLostError';
  }
}

export interface HeldLock {
  /**
   * Throws LockLostError unless this holder's token is still the one in the lock file. Called before each
   * send and each outbox, dead, session-state or spool file this holder writes, moves or deletes.
   */
  verify(): void;
  release(): void;
}

/**
 * `stamped`: the lock records its creation time, on the clock that stamps the files beside it (see
 * lockCreatedAtMs).
 */
export function tryLock(file: string, nowMs = Date.now(), stamped = false): HeldLock | null {
  // The lock sits in the state root, which may be a link the user made: no ensureDir here.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const start = processFacts(process.pid)?.start;
  const owner: LockOwner = {
    pid: process.pid,
    token: `${process.pid}-${nowMs}-${Math.random()}`,
    ...(start ? { start } : {}),
  };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        const stamp = stamped ? { createdAtMs: fstatSync(fd).mtimeMs } : {};
        writeSync(fd, JSON.stringify({ ...owner, ...stamp }));
      } catch (error) {
        // A full disk: an empty lock would read as "a holder is writing it" and stop every worker for a while.
        closeSync(fd);
        rmSync(file, { force: true });
        throw error;
      }
      // Kept open: the heartbeat beats through it (see keepBeating).
      return heldLock(file, fd, owner);
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

/** The pid of the worker that holds the lock right now, or null: none does (see lockHeld). */
export function lockHolder(file: string, nowMs = Date.now()): number | null {
  if (!lockHeld(file, nowMs)) return null;
  try {
    const { pid } = readOwner(file);
    return typeof pid === 'number' && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * When the lock at `file` was created, by the file system's clock, as its holder recorded (tryLock's
 * `stamped`); null when it did not, or there is no lock.
 */
export function lockCreatedAtMs(file: string): number | null {
  try {
    const { createdAtMs } = readOwner(file);
    return typeof createdAtMs === 'number' ? createdAtMs : null;
  } catch {
    return null;
  }
}

/**
 * What the lock says of its holder. Only a regular file is read: a FIFO there (planted while the state folder
 * was open to others) would block the worker, so it is opened with O_NONBLOCK and refused.
 */
function readOwner(file: string): Partial<LockOwner> {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
    return JSON.parse(readFileSync(fd, 'utf8')) as Partial<LockOwner>;
  } finally {
    closeSync(fd);
  }
}

function isStale(file: string, nowMs: number): boolean {
  let ageMs: number;
  try {
    ageMs = nowMs - statSync(file).mtimeMs;
  } catch {
    return true;
  }
  let owner: Partial<LockOwner>;
  try {
    owner = readOwner(file);
  } catch {
    // Empty between the holder's open and write: fresh means a holder is writing it; old means it died there.
    return ageMs > LOCK_HEARTBEAT_MS;
  }
  if (typeof owner.pid !== 'number' || !processAlive(owner.pid)) return true;
  const silent = ageMs > LOCK_STALE_MS;
  const facts = processFacts(owner.pid);
  if (!facts) return silent;
  if (facts.state === 'Z') return true;
  // A lock written without a start time (another platform's /proc, an older version) has only its heartbeat.
  if (!owner.start) return silent;
  if (owner.start !== facts.start) return true;
  return silent && (facts.state === 'T' || facts.state === 't');
}

/** Whether `pid` is a live process (one of another user's, which we may not signal, counts as live). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return true;
}

/**
 * A process's state letter (Z: a zombie, T/t: stopped) and start time, from /proc/<pid>/stat; null where
 * there is no /proc (then the heartbeat alone tells a live holder). A killed worker stays a zombie until its
 * parent reaps it, and a detached worker's parent is init, which in a container without an init process may
 * never reap it.
 */
function processFacts(pid: number): { state: string; start: string } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // After the command name (in parentheses, which may itself hold spaces): field 3 (state) onwards.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

/**
 * Synchronous work on more input than this (characters) starts the heartbeat thread: at the slowest
 * redaction measured (about 130 ms per MB, user patterns on RE2 included) it takes far less than the
 * promise's LOCK_AHEAD_MS, and a thread would cost more than the work.
 */
export const BLOCKING_THREAD_CHARS = 1_000_000;

/**
 * Each lock this process holds, by id: the descriptor of the inode its holder created. Beats go through it,
 * so once a lock is taken over or removed they can only touch that orphaned file, never another holder's.
 */
const held = new Map<number, { fd: number; file: string; ino: number }>();
let beats = 0;
let timer: NodeJS.Timeout | undefined;
let thread: Worker | undefined;

function beat(): void {
  const ahead = new Date(Date.now() + LOCK_AHEAD_MS);
  for (const { fd } of held.values()) {
    try {
      futimesSync(fd, ahead, ahead);
    } catch {
      // The file is gone with the state dir: verify() tells the holder.
    }
  }
}

/**
 * Before synchronous work on `inputChars` of input: renews the promise of every lock held now, and past
 * BLOCKING_THREAD_CHARS starts the heartbeat thread (kept, unref'd, for the rest of the process).
 */
export function beforeBlockingWork(inputChars: number): void {
  beat();
  if (thread || inputChars <= BLOCKING_THREAD_CHARS || held.size === 0) return;
  thread = new Worker(HEARTBEAT_THREAD, {
    eval: true,
    workerData: { aheadMs: LOCK_AHEAD_MS, everyMs: LOCK_HEARTBEAT_MS },
  });
  thread.unref();
  for (const [id, { file, ino }] of held) thread.postMessage({ add: { id, file, ino } });
}

/**
 * The heartbeat thread: it opens each lock itself (a descriptor cannot be passed), keeping it only when it
 * is still the inode its holder created. Plain CommonJS, run with `eval`, so the bundles need no second
 * entry point.
 */
const HEARTBEAT_THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const held = new Map();
parentPort.on('message', (message) => {
  if (message.add) {
    try {
      const fd = fs.openSync(message.add.file, 'r');
      if (fs.fstatSync(fd).ino === message.add.ino) held.set(message.add.id, fd);
      else fs.closeSync(fd);
    } catch {}
  } else {
    const fd = held.get(message.remove);
    held.delete(message.remove);
    try { if (fd !== undefined) fs.closeSync(fd); } catch {}
  }
});
setInterval(() => {
  const ahead = new Date(Date.now() + workerData.aheadMs);
  for (const fd of held.values()) {
    try { fs.futimesSync(fd, ahead, ahead); } catch {}
  }
}, workerData.everyMs);
`;

/** Keeps `file` (this inode of it, `fd`) fresh from now on; returns what stops it. */
function keepBeating(file: string, fd: number): () => void {
  const id = ++beats;
  const ino = fstatSync(fd).ino;
  held.set(id, { fd, file, ino });
  thread?.postMessage({ add: { id, file, ino } });
  if (!timer) {
    timer = setInterval(beat, LOCK_HEARTBEAT_MS);
    timer.unref();
  }
  return () => {
    // Once only: a descriptor closed twice could close another file that reused its number.
    if (!held.delete(id)) return;
    thread?.postMessage({ remove: id });
    closeSync(fd);
    if (held.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function heldLock(file: string, fd: number, owner: LockOwner): HeldLock {
  const stopBeating = keepBeating(file, fd);
  beat();
  const ours = () => {
    try {
      return readOwner(file).token === owner.token;
    } catch {
      return false;
    }
  };
  return {
    verify() {
      if (!ours()) throw new LockLostError();
    },
    release() {
      stopBeating();
      if (ours()) rmSync(file, { force: true });
    },
  };
}
