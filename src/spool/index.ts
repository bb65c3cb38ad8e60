// What the CLI (status, history, retry) may read or do with the capture pipeline's state. Reading only
// touches files; sending lives with the worker (`deliverOutbox` in src/worker/deliver.ts), because it loads
// the HTTP client. The on-disk layout is described in ./layout.ts.
import type { Env } from '../config/paths';
import { listSpool } from './events';
import { type HistoryRecord, type RolloutDrift, readHistoryRecords, rolloutDrift } from './history';
import { readOwnFile, spoolPaths } from './layout';
import { lockHeld } from './lock';
import {
  type DeadEntry,
  NO_SECRET,
  notOursEntries,
  type OutboxEntry,
  readDead,
  readOutbox,
  requeueDeadEntries,
} from './outbox';
import { readCounters } from './sessions';

export type { HistoryRecord } from './history';
export { type SpoolPaths, spoolPaths } from './layout';
export { type DeadEntry, NO_SECRET, type OutboxEntry } from './outbox';

/** Traces waiting to be sent, oldest first. */
export function listOutbox(env: Env = process.env): OutboxEntry[] {
  return readOutbox(spoolPaths(env));
}

/** Traces that failed for good (or ran out of attempts), each with its reason, oldest first. */
export function listDead(env: Env = process.env): DeadEntry[] {
  return readDead(spoolPaths(env));
}

/** Sent and dead traces, newest first. */
export function readHistory(env: Env = process.env, options: { limit?: number } = {}): HistoryRecord[] {
  return readHistoryRecords(spoolPaths(env), options.limit);
}

export interface FoundHistory {
  record: HistoryRecord;
  /** The exact body sent, or null when it was rotated away (or the trace was never sent). */
  payload: string | null;
}

/**
 * Whether `id` names this record: its trace id, its whole `<session>~<turn>` key, or 6 or more characters of
 * the key's start or end (the short key `history` shows).
 */
export function historyRecordIs(record: HistoryRecord, id: string): boolean {
  return (
    record.traceId === id ||
    record.key === id ||
    (id.length >= 6 && (record.key.startsWith(id) || record.key.endsWith(id)))
  );
}

/**
 * The newest history record by trace id, or by its session~turn key, a prefix of it, or a tail of it (the
 * short key `history` shows).
 */
export function findHistory(env: Env, id: string): FoundHistory | null {
  const record = readHistoryRecords(spoolPaths(env)).find((r) => historyRecordIs(r, id));
  if (!record) return null;
  let payload: string | null = null;
  if (record.payloadPath) {
    try {
      payload = readOwnFile(record.payloadPath, 'utf8');
    } catch {
      payload = null;
    }
  }
  return { record, payload };
}

/** `retry --dead`: moves dead traces (all, or the listed keys) back to the outbox. Returns how many. */
export function requeueDead(
  env: Env = process.env,
  options: { keys?: string[]; nowMs?: number } = {},
): number {
  return requeueDeadEntries(spoolPaths(env), options.nowMs ?? Date.now(), options.keys);
}

export interface SpoolStats {
  /** Raw hook events not yet part of a built trace (open turns, or waiting for the worker). */
  spooledEvents: number;
  outbox: number;
  /** Outbox entries whose next attempt is due now. */
  outboxDue: number;
  /** Outbox entries held back because no secret could be loaded for their agent. */
  outboxNoSecret: number;
  /** Outbox entries whose last send failed, by kind of failure, each with its newest entry's error. */
  outboxFailures: OutboxFailure[];
  dead: number;
  /** Queued traces of another user, set aside and never sent (`outbox/<name>.json.not-ours`). */
  notOurs: string[];
  corruptSkipped: number;
  turnsDropped: number;
  turnsFailed: number;
  /** What the worker did with sessions' own settings it could not use as given (newest last). */
  settingNotes: string[];
  /** Why spooled turns wait (a broken config file, a project file awaiting consent), from the last pass. */
  waiting: string[];
  workerRunning: boolean;
  lastWorkerRunAt?: string;
  lastSent?: HistoryRecord;
  /** Rollout line types the reader did not know, per Codex version, over the recent history. */
  rolloutDrift: RolloutDrift[];
}

export interface OutboxFailure {
  /** OutboxEntry.lastErrorKind. */
  kind: string;
  count: number;
  /** The error of the newest trace of that kind, with what to do. */
  lastError: string;
  /** When the soonest of them is due again (a worker that runs after this sends it). */
  nextAttemptAtMs: number;
}

/** Waiting traces whose last send failed in a known way, grouped by kind, the largest group first. */
function outboxFailures(outbox: readonly OutboxEntry[]): OutboxFailure[] {
  const byKind = new Map<string, OutboxFailure & { builtAtMs: number }>();
  for (const entry of outbox) {
    if (entry.lastErrorKind === undefined || entry.lastError === undefined) continue;
    const known = byKind.get(entry.lastErrorKind);
    if (!known) {
      byKind.set(entry.lastErrorKind, {
        kind: entry.lastErrorKind,
        count: 1,
        lastError: entry.lastError,
        builtAtMs: entry.builtAtMs,
        nextAttemptAtMs: entry.nextAttemptAtMs,
      });
      continue;
    }
    known.count += 1;
    known.nextAttemptAtMs = Math.min(known.nextAttemptAtMs, entry.nextAttemptAtMs);
    if (entry.builtAtMs >= known.builtAtMs)
      Object.assign(known, { lastError: entry.lastError, builtAtMs: entry.builtAtMs });
  }
  return [...byKind.values()]
    .sort((a, b) => b.count - a.count)
    .map(({ builtAtMs: _built, ...failure }) => failure);
}

/** How many recent traces the drift counts look at. */
const DRIFT_WINDOW = 500;

export function spoolStats(env: Env = process.env, nowMs = Date.now()): SpoolStats {
  const paths = spoolPaths(env);
  const outbox = readOutbox(paths);
  const counters = readCounters(paths);
  const history = readHistoryRecords(paths, DRIFT_WINDOW);
  return {
    spooledEvents: listSpool(paths).length,
    outbox: outbox.length,
    outboxDue: outbox.filter((e) => e.nextAttemptAtMs <= nowMs).length,
    outboxNoSecret: outbox.filter((e) => e.lastError === NO_SECRET).length,
    outboxFailures: outboxFailures(outbox),
    dead: readDead(paths).length,
    notOurs: notOursEntries(paths),
    corruptSkipped: counters.corruptSkipped,
    turnsDropped: counters.turnsDropped,
    turnsFailed: counters.turnsFailed,
    settingNotes: counters.settingNotes ?? [],
    waiting: counters.waiting ?? [],
    workerRunning: lockHeld(paths.lock, nowMs),
    lastWorkerRunAt: counters.lastRunAtMs ? new Date(counters.lastRunAtMs).toISOString() : undefined,
    lastSent:
      history.find((r) => r.status === 'sent') ??
      (history.length < DRIFT_WINDOW
        ? undefined
        : readHistoryRecords(paths).find((r) => r.status === 'sent')),
    rolloutDrift: rolloutDrift(history),
  };
}
