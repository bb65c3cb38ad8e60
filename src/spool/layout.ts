// Where the capture pipeline keeps its state, under the state root ($INFINIUM_CODEX_HOME, default
// ~/.infinium-codex, 0700). Every file is written whole to a temp name and renamed into place, or appended
// with one write call, so a crash never leaves a half-written record behind.
//
//   spool/<pid>-<n>.<Event>.json   one published hook event: an empty file, created (O_EXCL) once the
//                                  payload is whole in spool/tmp/<pid>-<n>, so a reader never sees part of
//                                  one; a shell makes it with a redirection, without running a program. The
//                                  arrival stamp is its mtime: the shell hook cannot read the clock without
//                                  a fork. An entry that is not empty holds its payload itself (how the
//                                  hooks published before: a hard link from the temp name).
//   spool/tmp/<pid>-<n>            the hook's temp file, then the published event's bytes: the raw payload,
//                                  exactly as Codex wrote it to stdin (0600), then the session's tracing
//                                  settings when it had any (trailer: session-env.ts). Its name is reserved
//                                  until the worker deletes the event (published name first). Unique
//                                  without a clock or random source: the hook creates it with O_EXCL and
//                                  skips any n whose temp or final name exists, and only the live process
//                                  holding a pid creates names with that pid. One no name marks is a hook
//                                  that died mid-write: dropped after an hour.
//   spool/corrupt/<name>           entries that could not be parsed, moved aside (kept 7 days)
//   spool/sessions/<session>.json  the worker's per-session state: turn count, rollout cursor (opaque JSON,
//                                  never prompt/command/output text), turns already built
//   spool/stats.json               counters kept by the worker (corrupt entries skipped, turns dropped)
//   outbox/<key>.json              a built trace waiting to be sent; <key> = <session>~<turn>, so a turn can
//                                  be built and queued once only. Holds attempts, next attempt time, last error
//   dead/<key>.json                a trace that failed permanently or ran out of attempts, with the reason
//   history/history.jsonl          one line per sent or dead trace (rotated to history.jsonl.1 past 1 MB)
//   history/payloads/<key>.json    the exact (redacted) body that was sent, newest 500 kept
//   logs/worker.log, logs/hook.log our own log files, rotated to <name>.1 past 512 KB
//   view/open-<pid>.html           the page a running `view` opens the browser on (0600): it holds the
//                                  page's token URL, which must never be on a command line
//   snapshots/<session>.json       working-tree snapshots of the session (git object ids, branches, times)
//   snapshots/<session>.index      the temporary git index they are written through (src/git/snapshot.ts)
//   snapshots/~repositories.json   where folders snapshotted lately found their repositories, and the tree
//                                  of each HEAD commit seen: a session's first snapshot skips `rev-parse`
//   session-secrets/<session>      the agent secret of a session started with INFINIUM_AGENT_SECRET (0600),
//                                  kept by the worker its turn-ending hook started (see session-env.ts)
//   worker.lock, worker.rerun      one worker at a time; a worker that finds the lock taken leaves a rerun
//                                  request for the running one, and so does a turn-ending hook that finds
//                                  a worker at work (src/spool/lock.ts), instead of starting one
//   worker.idle                    the pid of the worker that holds the lock while it waits, asleep, for
//                                  its sessions' next events (src/worker/stay.ts)
//   worker.yield                   a command waiting for the worker lock asks a waiting worker to leave
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { othersMayWrite } from '../config/file-trust';
import { type Env, statePaths, strangeEntry } from '../config/paths';

export interface SpoolPaths {
  root: string;
  spool: string;
  spoolTmp: string;
  corrupt: string;
  sessions: string;
  stats: string;
  outbox: string;
  dead: string;
  history: string;
  historyFile: string;
  payloads: string;
  logs: string;
  workerLog: string;
  hookLog: string;
  lock: string;
  rerun: string;
  idle: string;
  yieldRequest: string;
  sessionSecrets: string;
}

export function spoolPaths(env: Env = process.env): SpoolPaths {
  const state = statePaths(env);
  return {
    root: state.root,
    spool: state.spool,
    spoolTmp: join(state.spool, 'tmp'),
    corrupt: join(state.spool, 'corrupt'),
    sessions: join(state.spool, 'sessions'),
    stats: join(state.spool, 'stats.json'),
    outbox: state.outbox,
    dead: state.dead,
    history: state.history,
    historyFile: join(state.history, 'history.jsonl'),
    payloads: join(state.history, 'payloads'),
    logs: state.logs,
    workerLog: join(state.logs, 'worker.log'),
    hookLog: join(state.logs, 'hook.log'),
    lock: join(state.root, 'worker.lock'),
    rerun: join(state.root, 'worker.rerun'),
    idle: join(state.root, 'worker.idle'),
    yieldRequest: join(state.root, 'worker.yield'),
    sessionSecrets: join(state.root, 'session-secrets'),
  };
}

/** A spooled event's file name: `<pid>-<n>.<Event>.json`. */
export const SPOOL_NAME = /^(\d+)-(\d+)\.([A-Za-z]+)\.json$/;

/** Whether an event of `event` waits in the spool: its file names alone, no file read or stat. */
export function spoolHolds(paths: SpoolPaths, event: string): boolean {
  try {
    return readdirSync(paths.spool).some((name) => SPOOL_NAME.exec(name)?.[3] === event);
  } catch {
    return false;
  }
}

/** When each spooled event of `event` was published (its name's mtime, the arrival listSpool reads). */
export function spooledAt(paths: SpoolPaths, event: string): number[] {
  let names: string[];
  try {
    names = readdirSync(paths.spool);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    if (SPOOL_NAME.exec(name)?.[3] !== event) return [];
    try {
      return [statSync(join(paths.spool, name)).mtimeMs];
    } catch {
      return []; // consumed meanwhile
    }
  });
}

/** Outbox/dead/payload file stem for a turn (or a whole session, for per-session traces). */
export function traceKey(sessionId: string, turnKey: string): string {
  return `${safeName(sessionId)}~${safeName(turnKey)}`;
}

/** A session id or turn key as a file name part. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || '_';
}

/**
 * Creates one of our directories under the state root (0700). A symbolic link found in its place was not
 * made by us: it is removed (its target is left alone) and a real directory made, so nothing we write is
 * ever redirected through it. The state root itself may be a link (a user moving it to another disk): pass
 * only directories below it.
 */
export function ensureDir(dir: string): void {
  try {
    if (lstatSync(dir).isSymbolicLink()) rmSync(dir, { force: true });
  } catch {
    // not there yet
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

// O_NONBLOCK: a FIFO planted in place of our file cannot block the open (it fails, or is refused below).
const APPEND_NO_FOLLOW =
  constants.O_WRONLY |
  constants.O_APPEND |
  constants.O_CREAT |
  (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

/** A file another user put among ours (while the state folder was open to them), or not a regular file. */
export class NotOurs extends Error {}

/**
 * Throws NotOurs unless the open file `fd` is a regular file of the user's (any owner where there are none)
 * that no one else could have written (we make ours 0600: a wider mode was given later, attack21d V6a).
 */
function checkOurs(fd: number, file: string): void {
  const stat = fstatSync(fd);
  const uid = process.getuid?.();
  if (!stat.isFile()) throw new NotOurs(`${file} is not a regular file`);
  if (uid === undefined) return;
  if (stat.uid !== uid) throw new NotOurs(`${file} belongs to another user (uid ${stat.uid})`);
  if (othersMayWrite(stat))
    throw new NotOurs(`${file} can be written by other users (mode ${(stat.mode & 0o777).toString(8)})`);
}

/** Removes `file` (never followed) when it is there but not a regular file of the user's. Never throws. */
export function removeIfNotOurs(file: string): void {
  try {
    const stat = lstatSync(file, { throwIfNoEntry: false });
    const uid = process.getuid?.();
    if (stat && (!stat.isFile() || (uid !== undefined && stat.uid !== uid))) rmSync(file, { force: true });
  } catch {
    // a folder in its place: git then fails on it, and the snapshot says so
  }
}

/**
 * The bytes of one of our files, used only when it is a regular file of the user's: what another user left
 * in the state folder while it was open to them is never used, whatever the folder's mode now (the check
 * at its top cannot see that deep once it is closed). Judged on the descriptor read, so nothing can be
 * swapped in between; never through a link. Throws as readFileSync does, or NotOurs.
 */
export function readOwnFile(file: string): Buffer;
export function readOwnFile(file: string, encoding: 'utf8'): string;
export function readOwnFile(file: string, encoding?: 'utf8'): Buffer | string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    checkOurs(fd, file);
    return encoding ? readFileSync(fd, encoding) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends `text` with one write call (concurrent writers never interleave), never through a symbolic link:
 * one planted in place of our file is removed and the file created afresh; its target is not touched. Only
 * to a regular file of the user's (NotOurs).
 */
export function appendNoFollow(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, APPEND_NO_FOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
    rmSync(file, { force: true });
    fd = openSync(file, APPEND_NO_FOLLOW, 0o600);
  }
  try {
    checkOurs(fd, file);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

let tempCounter = 0;

/** Writes a whole file atomically (temp + rename), 0600. */
export function writeFileAtomic(file: string, contents: string): void {
  tempCounter += 1;
  const temp = `${file}.${process.pid}.${tempCounter}.tmp`;
  try {
    writeFileSync(temp, contents, { mode: 0o600 });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value)}\n`);
}

/** What we keep directly in the state root, besides temp files of our writes (`*.tmp`, `*.stale`). */
const ROOT_ENTRIES = new Set([
  'config.json',
  'paused.json',
  'allowed.json',
  'hooks-live.json',
  'credentials.json',
  'installed-files.json',
  'worker.lock',
  'worker.rerun',
  'worker.idle',
  'worker.yield',
  'evaluations.lock',
  'spool',
  'outbox',
  'dead',
  'history',
  'logs',
  'view',
  'session-secrets',
  'snapshots',
]);
const isOurs = (name: string) => ROOT_ENTRIES.has(name) || /\.(tmp|stale)$/.test(name);

/**
 * Tightens a state root found with looser permissions than 0700 (made by the user, an older version, or a
 * restored backup): our folders in it become 0700 and our files 0600, all the way down (links are never
 * followed), then the root itself 0700. A root that also holds entries that are not ours (a folder the user
 * named with INFINIUM_CODEX_HOME for other things too) is not ours to close: it keeps its mode, and only
 * our entries are tightened. Does nothing when the root is already 0700, missing or another user's, or holds
 * an entry of another user or one others may write, at any depth; never throws.
 */
export function tightenStateRoot(env: Env = process.env): void {
  const root = statePaths(env).root;
  if (!isAbsolute(root)) return;
  try {
    const stat = statSync(root);
    // Never another user's folder, even as root (which could chmod it): stateRootProblem refuses it.
    const uid = process.getuid?.();
    if (!stat.isDirectory() || (stat.mode & 0o077) === 0 || (uid !== undefined && stat.uid !== uid)) return;
    // Another user's entry anywhere inside, or one others could write (and so may have changed): left as
    // found, and stateRootProblem refuses the folder until the user has looked; closing it would adopt that.
    if (strangeEntry(root)) return;
    const names = readdirSync(root);
    for (const name of names) if (isOurs(name)) tighten(join(root, name));
    // Others' bits taken away, none given: a folder the user made read-only stays so (and is refused).
    if (names.every(isOurs)) chmodSync(root, stat.mode & 0o700);
  } catch {
    // not ours to change (another owner), or gone: the next command or worker run tries again
  }
}

function tighten(path: string): void {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
    for (const name of readdirSync(path)) tighten(join(path, name));
  } else if (stat.isFile() && (stat.mode & 0o077) !== 0) {
    chmodSync(path, stat.mode & 0o700);
  }
}
