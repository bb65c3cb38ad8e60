// The Node hook front-end (`infinium-codex hook <Event>`): the portable path, and the Windows one through
// `commandWindows`. Same on-disk result as hook.sh, byte for byte (see src/spool/layout.ts). Bundled into
// the CommonJS bin entry, so it imports node built-ins only and is done within a few ms of Node's start.
// Nothing reaches stdout or stderr; every failure goes to our log and the exit code is always 0.
import { spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { WORKER_TRIGGERS } from '../codex/hook-payload';
import { type Env, stateRoot, stateRootForeign, tracingDisabled } from '../config/paths';
import { workerStartEnv } from '../infinium/extra-ca';
import { envTrailer, SECRET_VAR } from '../spool/session-env';

/**
 * Codex always closes stdin; a caller that never does must not keep the hook (and Codex) waiting. Idle
 * time, not total time: a big payload on a busy machine may take longer than this to arrive whole.
 */
export const STDIN_WAIT_MS = 2_000;
const WORKER_EVENTS = new Set(WORKER_TRIGGERS);
const MAX_SEQUENCE = 64;
/** Added to the worker's niceness, as hook.sh's `nice -n 10` (os.setPriority maps it on Windows). */
const WORKER_NICENESS = 10;
// O_NONBLOCK: a FIFO another user planted where we append cannot block us (ownFile then refuses it).
const NO_FOLLOW_NO_BLOCK = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NO_FOLLOW_NO_BLOCK;

export function runHook(eventArg: string | undefined, env: Env = process.env): void {
  // Letters only, and short enough to fit a file name (else the payload could not be spooled at all).
  const event = eventArg && /^[A-Za-z]{1,64}$/.test(eventArg) ? eventArg : 'Unknown';
  const root = stateRoot(env);
  const fail = (error: unknown) => {
    logFailure(root, `hook ${event}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(0);
  };
  process.on('uncaughtException', fail);
  const chunks: Buffer[] = [];
  const timer = setTimeout(() => {
    // The event loop runs expired timers before it polls: a process the machine did not schedule for a
    // while would give up before reading the input that arrived meanwhile. Decide after one poll.
    const seen = chunks.length;
    setImmediate(() => {
      if (chunks.length !== seen) return;
      logFailure(
        root,
        `hook ${event}: stdin still open with no input for ${STDIN_WAIT_MS / 1000} s; event dropped`,
      );
      process.exit(0);
    });
  }, STDIN_WAIT_MS);
  timer.unref();
  process.stdin.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    timer.refresh();
  });
  process.stdin.on('error', fail);
  process.stdin.on('end', () => {
    clearTimeout(timer);
    const payload = Buffer.concat(chunks);
    // As hook.sh: a session with tracing off, a state dir named by a relative path (it would put raw
    // payloads inside the user's project) or another user's state dir, spools nothing.
    if (payload.length === 0 || tracingDisabled(env) || !isAbsolute(root) || stateRootForeign(root))
      process.exit(0);
    const trailer = envTrailer(env);
    const entry = spool(root, event, trailer ? Buffer.concat([payload, trailer]) : payload);
    // A session with its own secret starts its own worker, which keeps the secret for the session.
    const ownSecret = Boolean(env[SECRET_VAR]);
    const trigger =
      WORKER_EVENTS.has(event) || (event === 'UserPromptSubmit' && otherPromptWaits(root, entry));
    // SessionStart's worker snapshots the working tree: it must not wait for a busy worker's pass.
    if (entry && trigger && (ownSecret || event === 'SessionStart' || !askedWorker(root)))
      startWorker(env, ownSecret ? entry : null);
    process.exit(0);
  });
}

/**
 * A prompt while the spool still holds another prompt: a turn that ended without a Stop (Codex 0.171 fires
 * none for a turn that failed) or whose worker has not run waits there, so this prompt starts the worker
 * too (it builds only what the rollout says is over). The same test as hook.sh and the native hook.
 */
function otherPromptWaits(root: string, entry: string | null): boolean {
  if (!entry) return false;
  const own = `${basename(entry)}.UserPromptSubmit.json`;
  try {
    return readdirSync(join(root, 'spool')).some(
      (name) => name.endsWith('.UserPromptSubmit.json') && name !== own,
    );
  } catch {
    return false;
  }
}

/**
 * Spools the entry as hook.sh does: the bytes into spool/tmp/<pid>-<n>, then spool/<pid>-<n>.<event>.json
 * created empty to publish them. Returns the file holding the bytes, or null when no name was free.
 */
function spool(root: string, event: string, entry: Buffer): string | null {
  const dir = join(root, 'spool');
  const tmpDir = join(dir, 'tmp');
  removeLinks([dir, tmpDir, join(root, 'logs'), join(root, 'logs', 'hook.log')]);
  if (!existsSync(tmpDir) || !existsSync(join(root, 'logs'))) {
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    mkdirSync(join(root, 'logs'), { recursive: true, mode: 0o700 });
  }
  // Our folders must be the user's own, as hook.sh's `[ -O`: another user who made one of them (while the
  // state dir was open to them) could read what we put there.
  if (![root, dir, tmpDir, join(root, 'logs')].every(ownFolder)) return null;
  for (let n = 0; n < MAX_SEQUENCE; n += 1) {
    const name = `${process.pid}-${n}`;
    const final = join(dir, `${name}.${event}.json`);
    const temp = join(tmpDir, name);
    if (existsSync(final)) continue;
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o600);
    } catch {
      continue;
    }
    try {
      for (let offset = 0; offset < entry.length; ) offset += writeSync(fd, entry, offset);
      closeSync(fd);
      closeSync(openSync(final, 'wx', 0o600));
      return temp;
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }
  return null;
}

/**
 * A worker at work (its pid alive, its lock's mtime still ahead: see src/spool/lock.ts) is left a rerun
 * request instead of a new worker, as hook.sh does. True when the request was left with the lock still
 * held: the holder checks for requests after releasing it, so it will see this one.
 */
function askedWorker(root: string): boolean {
  const lock = join(root, 'worker.lock');
  try {
    const stat = lstatSync(lock);
    if (!stat.isFile() || stat.mtimeMs <= Date.now()) return false;
    // Both files only when they are regular files of the user's, as hook.sh: another user who could write
    // the state folder may have planted a FIFO there.
    const fd = openSync(lock, constants.O_RDONLY | NO_FOLLOW_NO_BLOCK);
    const text = ownFile(fd) ? readFileSync(fd, 'utf8') : '';
    closeSync(fd);
    const pid = Number(/"pid":(\d+)/.exec(text)?.[1]);
    if (!pid) return false;
    process.kill(pid, 0);
    removeLinks([join(root, 'worker.rerun')]);
    const rerun = openSync(join(root, 'worker.rerun'), APPEND_NO_FOLLOW, 0o600);
    const asked = ownFile(rerun);
    closeSync(rerun);
    return asked && existsSync(lock);
  } catch {
    return false;
  }
}

/** Starts the worker; given our spooled payload, as its stdin, for it to keep the session's secret. */
function startWorker(env: Env, entry: string | null): void {
  // detached = its own session (setsid), so Codex killing the hook's process group cannot stop it; stdout
  // and stderr ignored because Codex waits until every holder of the hook's stdout has closed it.
  const stdin = entry ? openSync(entry, 'r') : 'ignore';
  const worker = spawn(
    process.execPath,
    [join(__dirname, 'worker.mjs'), ...(entry ? ['--session-secret'] : [])],
    {
      detached: true,
      stdio: [stdin, 'ignore', 'ignore'],
      env: workerStartEnv(env),
    },
  );
  worker.unref();
  // As hook.sh: at a lower priority, so that it yields the CPU to Codex, which is finishing the turn.
  try {
    if (worker.pid) setPriority(worker.pid, Math.min(19, getPriority() + WORKER_NICENESS));
  } catch {
    // not allowed here (Windows without the right): it runs at normal priority
  }
}

/** A symbolic link where our directory or log should be was not made by us: removed, never written through. */
function removeLinks(paths: string[]): void {
  for (const path of paths) {
    try {
      if (lstatSync(path).isSymbolicLink()) rmSync(path, { force: true });
    } catch {
      // not there
    }
  }
}

/** A folder of the user's (links followed, as `[ -O`); anything goes where there are no owners (Windows). */
function ownFolder(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  const uid = process.getuid?.();
  return stat?.isDirectory() === true && (uid === undefined || stat.uid === uid);
}

/** The open file is a regular file of the user's (any owner where there are none). */
function ownFile(fd: number): boolean {
  const stat = fstatSync(fd);
  const uid = process.getuid?.();
  return stat.isFile() && (uid === undefined || stat.uid === uid);
}

function logFailure(root: string, message: string): void {
  // Never into a state dir the hook would not spool into, nor into a log folder another user made.
  if (!isAbsolute(root) || stateRootForeign(root)) return;
  try {
    removeLinks([join(root, 'logs'), join(root, 'logs', 'hook.log')]);
    mkdirSync(join(root, 'logs'), { recursive: true, mode: 0o700 });
    if (!ownFolder(root) || !ownFolder(join(root, 'logs'))) return;
    // Only a regular file: a FIFO there would block us (O_NONBLOCK: it fails at once, or is refused here).
    const fd = openSync(join(root, 'logs', 'hook.log'), APPEND_NO_FOLLOW, 0o600);
    if (ownFile(fd)) writeSync(fd, `${new Date().toISOString()} ${message}\n`);
    closeSync(fd);
  } catch {
    // nowhere left to say it; staying silent towards Codex matters more
  }
}
