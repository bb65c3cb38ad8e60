// Built traces waiting to be sent (outbox/) and traces that will not be sent without help (dead/). One file
// per (session, turn) key, written atomically: a turn is queued once, and a crash leaves it queued.
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentMode } from '../config/settings';
import type { TaskData } from '../infinium/task-data';
import { ensureDir, NotOurs, readOwnFile, type SpoolPaths, writeJsonAtomic } from './layout';
import { appendLog } from './log';
import type { RecordedEnv } from './session-env';

/** Why an entry waits when its agent has no stored secret (not a failure: nothing was sent). */
export const NO_SECRET = 'no secret';

export interface OutboxEntry {
  key: string;
  sessionId: string;
  /** The Codex turn id, or `t<number>` when Codex gave none, or `session` for a per-session trace. */
  turnKey: string;
  turnNumber: number;
  agentId: string;
  baseUrl: string;
  /**
   * Where the secret comes from: `session`, the one its Codex session was started with (session-secrets.ts);
   * `stored`, the keyring or a credentials file, never a worker's INFINIUM_AGENT_SECRET. Absent in entries
   * queued by older versions: looked up as before, the worker's environment first.
   */
  secret?: 'session' | 'stored';
  /**
   * The session's own settings (its recorded INFINIUM_* variables, never the secret): `retry` resolves the
   * trace's destination with them, so what the session chose is never replaced by another shell's choice.
   * Absent in entries queued by older versions: resolved with none.
   */
  choices?: RecordedEnv;
  /** What the trace was built under: a re-target to a destination that wants less of it is refused. */
  contentMode?: ContentMode;
  redactPatterns?: string[];
  projectName: string;
  cwd: string;
  builtAtMs: number;
  taskData: TaskData;
  /** The rollout cursor after this turn: restores the session state if a crash came between the two writes. */
  cursorAfter?: unknown;
  /** Sends tried so far (a send cut short by a crash counts). */
  attempts: number;
  nextAttemptAtMs: number;
  lastError?: string;
  /**
   * What kind of failure `lastError` is, for `status` and `doctor`: the Infinium client's kind
   * (`authentication`, `network`, `server`, ...), or `redirect` for a 3xx and `not_infinium` for a 2xx that
   * is not Infinium's answer (both `unexpected_response` to the client). Absent for other failures.
   */
  lastErrorKind?: string;
  /** A local-only trace (agent LOCAL_AGENT) was recorded in history then (see deliver.ts keepLocally). */
  keptAtMs?: number;
  /** Set just before a send; still set at the next run means the worker died mid-send. */
  sendingSinceMs?: number;
  /**
   * Earlier sends whose outcome is unknown (the worker died mid-send, a timeout, a connection lost after
   * it was made): each may have reached Infinium, which may then hold this trace up to 1 + n times.
   */
  unknownOutcomes?: number;
}

export interface DeadEntry extends OutboxEntry {
  reason: string;
  diedAtMs: number;
}

/** What an entry of another user is renamed to: never listed, sent or retried (`.json` no more). */
export const NOT_OURS_SUFFIX = '.not-ours';

function readEntries<T extends OutboxEntry>(paths: SpoolPaths, dir: string): T[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const entries: T[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    try {
      entries.push(JSON.parse(readOwnFile(join(dir, name), 'utf8')) as T);
    } catch (error) {
      // Another user's (left while the folder was open to them): it could send anything under the user's
      // agent with the user's secret. Set aside once, with a line saying so. Else removed meanwhile.
      if (error instanceof NotOurs) setAside(paths, join(dir, name), error.message);
    }
  }
  return entries.sort((a, b) => a.builtAtMs - b.builtAtMs);
}

export function readOutbox(paths: SpoolPaths): OutboxEntry[] {
  return readEntries<OutboxEntry>(paths, paths.outbox);
}

export function readDead(paths: SpoolPaths): DeadEntry[] {
  return readEntries<DeadEntry>(paths, paths.dead);
}

/** The entries of another user set aside in outbox/ and dead/ (`outbox/<name>.json.not-ours`), for doctor. */
export function notOursEntries(paths: SpoolPaths): string[] {
  return (['outbox', 'dead'] as const).flatMap((folder) => {
    try {
      return readdirSync(paths[folder])
        .filter((name) => name.endsWith(NOT_OURS_SUFFIX))
        .map((name) => `${folder}/${name}`);
    } catch {
      return [];
    }
  });
}

function setAside(paths: SpoolPaths, file: string, why: string): void {
  try {
    renameSync(file, `${file}${NOT_OURS_SUFFIX}`);
    appendLog(
      paths.workerLog,
      `set aside ${file}${NOT_OURS_SUFFIX}, never sent: ${why}; look at it and remove it`,
    );
  } catch {
    // gone meanwhile
  }
}

export function outboxFile(paths: SpoolPaths, key: string): string {
  return join(paths.outbox, `${key}.json`);
}

export function deadFile(paths: SpoolPaths, key: string): string {
  return join(paths.dead, `${key}.json`);
}

/** Whether a turn was already built (queued or dead), so it is never built again. */
export function alreadyQueued(paths: SpoolPaths, key: string): OutboxEntry | null {
  for (const file of [outboxFile(paths, key), deadFile(paths, key)]) {
    try {
      return JSON.parse(readOwnFile(file, 'utf8')) as OutboxEntry;
    } catch {
      // not there, or not ours
    }
  }
  return null;
}

/**
 * An outbox entry Infinium accepted whose history line could not be written yet: the entry renamed (a rename
 * needs no free space) to `<key>.accepted-<trace id, base64url>`, a name readOutbox does not list.
 */
export interface AcceptedMark {
  file: string;
  entry: OutboxEntry;
  traceId: string | undefined;
}

const ACCEPTED = '.accepted-';

export function markAccepted(paths: SpoolPaths, key: string, traceId: string | undefined): void {
  const id = traceId === undefined ? '' : Buffer.from(traceId).toString('base64url');
  renameSync(outboxFile(paths, key), join(paths.outbox, `${key}${ACCEPTED}${id}`));
}

export function readAcceptedMarks(paths: SpoolPaths): AcceptedMark[] {
  let names: string[];
  try {
    names = readdirSync(paths.outbox);
  } catch {
    return [];
  }
  const marks: AcceptedMark[] = [];
  for (const name of names) {
    const at = name.indexOf(ACCEPTED);
    if (at < 0) continue;
    const file = join(paths.outbox, name);
    const id = name.slice(at + ACCEPTED.length);
    try {
      const entry = JSON.parse(readOwnFile(file, 'utf8')) as OutboxEntry;
      marks.push({ file, entry, traceId: id ? Buffer.from(id, 'base64url').toString() : undefined });
    } catch {
      // removed meanwhile
    }
  }
  return marks;
}

export function removeAcceptedMark(file: string): void {
  rmSync(file, { force: true });
}

export function writeOutboxEntry(paths: SpoolPaths, entry: OutboxEntry): void {
  ensureDir(paths.outbox);
  writeJsonAtomic(outboxFile(paths, entry.key), entry);
}

export function removeOutboxEntry(paths: SpoolPaths, key: string): void {
  rmSync(outboxFile(paths, key), { force: true });
}

/** Parks an entry in dead/ with its reason (written before the outbox copy goes: never lost in between). */
export function moveToDead(paths: SpoolPaths, entry: OutboxEntry, reason: string, nowMs: number): DeadEntry {
  const dead: DeadEntry = { ...entry, sendingSinceMs: undefined, reason, diedAtMs: nowMs };
  ensureDir(paths.dead);
  writeJsonAtomic(deadFile(paths, entry.key), dead);
  removeOutboxEntry(paths, entry.key);
  return dead;
}

/** Where a trace goes: an agent at a base URL. */
export interface Target {
  agentId: string;
  baseUrl: string;
}

/** Queued traces pointed from one target to another by `retargetOutbox`, or (with `refused`) left where they were. */
export interface Retargeted {
  from: Target;
  to: Target;
  count: number;
  /** Why the traces stay at `from` although their project now names `to`. */
  refused?: string;
}

/** Where a queued trace would go now, and why it may not (then it stays where it is). */
export interface Retarget {
  to: Target;
  refused?: string;
}

/**
 * Points each queued trace at `current(entry)`, the agent and base URL now configured for it (null: nothing
 * configured there, or unreadable; the entry is left alone), unless `current` says why it may not move.
 * The caller holds the worker lock. Returns the moves and the refusals, grouped by old and new target.
 */
export function retargetOutbox(
  paths: SpoolPaths,
  current: (entry: OutboxEntry) => Retarget | null,
): Retargeted[] {
  const moves = new Map<string, Retargeted>();
  for (const entry of readOutbox(paths)) {
    const next = current(entry);
    if (!next) continue;
    const { to, refused } = next;
    if (to.agentId === entry.agentId && to.baseUrl === entry.baseUrl) continue;
    if (refused === undefined) writeOutboxEntry(paths, { ...entry, ...to });
    const from = { agentId: entry.agentId, baseUrl: entry.baseUrl };
    const id = JSON.stringify([from, to, refused]);
    const move = moves.get(id) ?? { from, to, count: 0, ...(refused === undefined ? {} : { refused }) };
    move.count += 1;
    moves.set(id, move);
  }
  return [...moves.values()];
}

/** Moves dead traces (all, or those whose key is listed) back to the outbox, due now with fresh attempts. */
export function requeueDeadEntries(paths: SpoolPaths, nowMs: number, keys?: readonly string[]): number {
  let moved = 0;
  for (const dead of readDead(paths)) {
    if (keys && !keys.includes(dead.key)) continue;
    const { reason: _reason, diedAtMs: _diedAt, ...entry } = dead;
    writeOutboxEntry(paths, {
      ...entry,
      attempts: 0,
      nextAttemptAtMs: nowMs,
      lastError: dead.reason,
      lastErrorKind: undefined,
    });
    rmSync(deadFile(paths, dead.key), { force: true });
    moved += 1;
  }
  return moved;
}
