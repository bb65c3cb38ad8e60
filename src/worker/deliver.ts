// Sending what the outbox holds. Each entry is marked "sending" (atomically) before its POST, so a crash
// mid-send is noticed at the next run. Such a send, like a timeout or a connection lost mid-request, may
// have reached Infinium, which has no idempotency key: the trace is sent again, each of these counted, and
// the history says how many copies Infinium may hold. Once Infinium has accepted a trace it is delivered,
// whatever happens on the local disk afterwards: the acceptance is recorded first (one small history line,
// or, when not even that can be written, a rename of the outbox entry to an acceptance mark), and the rest of
// the bookkeeping (the payload copy, the outbox removal) follows, retried as bookkeeping at the next runs,
// never as a send. The worker re-checks that it still holds the lock before each send and each file move.

import type { Env } from '../config/paths';
import {
  CONTENT_MODES,
  CONTENT_OPENNESS,
  LOCAL_AGENT,
  type ResolvedConfig,
  resolveSessionConfig,
} from '../config/settings';
import { AgentCredentials, sendTrace } from '../infinium/client';
import { InfiniumError } from '../infinium/errors';
import { decideRetry, notDueYet, OUTBOX_RETRY } from '../infinium/retry';
import { serializeTaskData } from '../infinium/task-data';
import {
  appendHistory,
  type HistoryRecord,
  historyCost,
  historyPrompt,
  outcomeSummary,
  payloadFile,
  readHistoryRecords,
  savePayload,
} from '../spool/history';
import { type SpoolPaths, spoolPaths } from '../spool/layout';
import { type HeldLock, LockLostError, tryLock } from '../spool/lock';
import { appendLog } from '../spool/log';
import {
  type DeadEntry,
  markAccepted,
  moveToDead,
  NO_SECRET,
  type OutboxEntry,
  type Retarget,
  type Retargeted,
  readAcceptedMarks,
  readOutbox,
  removeAcceptedMark,
  removeOutboxEntry,
  requeueDeadEntries,
  retargetOutbox,
  writeOutboxEntry,
} from '../spool/outbox';
import { sessionEnv } from '../spool/session-env';
import { requestYield } from './stay';
import { markSent, timed } from './timing';
import { secretLookup } from './trace-secret';

export interface DeliveryOptions {
  /** Send every entry now, whatever its next-attempt time (`retry`). */
  force?: boolean;
  now?: () => number;
  random?: () => number;
  /** Per-request timeout (ms); the client's default otherwise. */
  timeoutMs?: number;
}

export interface DeliverySummary {
  sent: number;
  /** Failed transiently: still in the outbox, with a later next attempt. */
  retrying: number;
  /** Moved to dead/ by this run. */
  dead: number;
  /** Not yet due. */
  waiting: number;
  noSecret: number;
  /** Local-only traces (`init --local`): kept in history, never sent until `retry` retargets them. */
  kept: number;
}

/** Sends every due outbox entry, under `lock` (the worker lock, held by the caller). */
export async function deliverDue(
  env: Env,
  lock: HeldLock,
  options: DeliveryOptions = {},
): Promise<DeliverySummary> {
  const paths = spoolPaths(env);
  const now = options.now ?? Date.now;
  const summary: DeliverySummary = { sent: 0, retrying: 0, dead: 0, waiting: 0, noSecret: 0, kept: 0 };
  finishAccepted(paths, lock);
  const secretOf = secretLookup(paths, env);
  // A send that succeeds proves Infinium is back: entries still backing off for the same URL go now too,
  // so a trace held up by an outage arrives with the next turn instead of minutes later.
  const reachable = new Set<string>();
  const backingOff: OutboxEntry[] = [];
  const send = async (entry: OutboxEntry) => {
    const secret = await secretOf(entry);
    if (!secret) {
      summary.noSecret += 1;
      if (entry.lastError !== NO_SECRET) {
        lock.verify();
        writeOutboxEntry(paths, { ...entry, lastError: NO_SECRET, lastErrorKind: undefined });
      }
      return;
    }
    const outcome = await deliverOne(
      paths,
      entry,
      new AgentCredentials(entry.agentId, secret, entry.baseUrl),
      lock,
      { ...options, now },
    );
    if (outcome === 'sent') reachable.add(entry.baseUrl);
    summary[outcome] += 1;
  };
  for (const entry of readOutbox(paths)) {
    if (entry.agentId === LOCAL_AGENT) {
      keepLocally(paths, entry, lock, now());
      summary.kept += 1;
      continue;
    }
    if (entry.sendingSinceMs !== undefined && sentBefore(paths, entry.key)) {
      // Sent and recorded; only the outbox removal was lost to a crash (or to a local write error).
      lock.verify();
      removeOutboxEntry(paths, entry.key);
      continue;
    }
    if (!options.force && entry.sendingSinceMs === undefined && notDueYet(entry, now())) {
      backingOff.push(entry);
      continue;
    }
    await send(entry);
  }
  for (const entry of backingOff) {
    if (reachable.has(entry.baseUrl)) await send(entry);
    else summary.waiting += 1;
  }
  return summary;
}

async function deliverOne(
  paths: SpoolPaths,
  queued: OutboxEntry,
  agent: AgentCredentials,
  lock: HeldLock,
  options: DeliveryOptions & { now: () => number },
): Promise<'sent' | 'retrying' | 'dead'> {
  const entry: OutboxEntry = {
    ...queued,
    attempts: queued.attempts + 1,
    unknownOutcomes: countUnknown(queued.unknownOutcomes, queued.sendingSinceMs !== undefined),
    sendingSinceMs: options.now(),
  };
  // The fence for both the "sending" mark and the send: nothing yields between this check and the request.
  lock.verify();
  writeOutboxEntry(paths, entry);
  const started = options.now();
  let traceId: string | undefined;
  try {
    traceId = (await timed('send', () => sendTrace(agent, entry.taskData, { timeoutMs: options.timeoutMs })))
      .traceId;
  } catch (error) {
    return failedSend(paths, entry, error, lock, options);
  }
  markSent();
  recordAccepted(paths, entry, traceId, lock, options.now());
  appendLog(
    paths.workerLog,
    `sent ${entry.key} as ${traceId ?? '(no trace id)'} in ${options.now() - started} ms`,
  );
  return 'sent';
}

function failedSend(
  paths: SpoolPaths,
  entry: OutboxEntry,
  error: unknown,
  lock: HeldLock,
  options: DeliveryOptions & { now: () => number },
): 'retrying' | 'dead' {
  const reason = describeFailure(error);
  const decision =
    error instanceof InfiniumError
      ? decideRetry(error, entry.attempts, OUTBOX_RETRY, options.random ?? Math.random)
      : ({ retry: false, reason: 'permanent' } as const);
  const failed: OutboxEntry = {
    ...entry,
    sendingSinceMs: undefined,
    unknownOutcomes: countUnknown(
      entry.unknownOutcomes,
      error instanceof InfiniumError && error.mayHaveArrived,
    ),
  };
  lock.verify();
  if (decision.retry) {
    writeOutboxEntry(paths, {
      ...failed,
      lastError: reason,
      lastErrorKind: failureKind(error),
      nextAttemptAtMs: options.now() + decision.delayMs,
    });
    appendLog(
      paths.workerLog,
      `send of ${entry.key} failed (attempt ${entry.attempts}), will retry: ${reason}`,
    );
    return 'retrying';
  }
  const why =
    decision.reason === 'attempts_exhausted' ? `gave up after ${entry.attempts} attempts: ${reason}` : reason;
  recordDead(paths, moveToDead(paths, failed, why, options.now()));
  return 'dead';
}

/**
 * Records a trace Infinium accepted (`traceId` from its answer). First the acceptance, as one history line
 * of a few hundred bytes; when even that cannot be written (a full disk, history/ not writable), the outbox
 * entry is renamed to an acceptance mark, which takes no room, and `finishAccepted` writes the line at a
 * later run. Only then the large payload copy (best effort: `history show` says when it is missing) and the
 * outbox removal. A local error here never turns the trace into a failed send.
 */
function recordAccepted(
  paths: SpoolPaths,
  entry: OutboxEntry,
  traceId: string | undefined,
  lock: HeldLock,
  nowMs: number,
): void {
  try {
    appendHistory(paths, sentRecord(paths, entry, traceId, nowMs));
  } catch (error) {
    bookkeepingFailed(paths, entry.key, 'its history line', error);
    try {
      lock.verify();
      markAccepted(paths, entry.key, traceId);
    } catch (markError) {
      if (markError instanceof LockLostError) throw markError;
      // Nothing on this disk can be changed: the "sending" mark stays, and the next run counts an unknown
      // outcome. Only a state dir that is wholly read-only or full to the last inode gets here.
      bookkeepingFailed(paths, entry.key, 'its acceptance mark', markError);
    }
    return;
  }
  finishBookkeeping(paths, entry, lock);
}

/** The history line of a sent trace; its payload copy is saved under history/payloads/<key>.json. */
function sentRecord(
  paths: SpoolPaths,
  entry: OutboxEntry,
  traceId: string | undefined,
  nowMs: number,
): HistoryRecord {
  return {
    ...historyFacts(entry, nowMs),
    status: 'sent',
    traceId,
    payloadPath: payloadFile(paths, entry.key),
    unknownOutcomes: entry.unknownOutcomes,
  };
}

/** After the history line: the payload copy and the outbox removal, each on its own. */
function finishBookkeeping(paths: SpoolPaths, entry: OutboxEntry, lock: HeldLock): void {
  try {
    savePayload(paths, entry.key, serializeTaskData(entry.taskData));
  } catch (error) {
    bookkeepingFailed(paths, entry.key, 'the copy of its payload', error);
  }
  lock.verify();
  try {
    removeOutboxEntry(paths, entry.key);
  } catch (error) {
    // The next run sees the history line and removes it then.
    bookkeepingFailed(paths, entry.key, 'the removal of its outbox entry', error);
  }
}

/** Writes the history lines of traces accepted while the history could not be written (see recordAccepted). */
function finishAccepted(paths: SpoolPaths, lock: HeldLock): void {
  for (const mark of readAcceptedMarks(paths)) {
    if (!readHistoryRecords(paths).some((r) => r.key === mark.entry.key && r.status === 'sent')) {
      try {
        appendHistory(
          paths,
          sentRecord(paths, mark.entry, mark.traceId, mark.entry.sendingSinceMs ?? Date.now()),
        );
      } catch (error) {
        bookkeepingFailed(paths, mark.entry.key, 'its history line', error);
        continue;
      }
    }
    try {
      savePayload(paths, mark.entry.key, serializeTaskData(mark.entry.taskData));
    } catch (error) {
      bookkeepingFailed(paths, mark.entry.key, 'the copy of its payload', error);
    }
    lock.verify();
    removeAcceptedMark(mark.file);
  }
}

function bookkeepingFailed(paths: SpoolPaths, key: string, what: string, error: unknown): void {
  appendLog(
    paths.workerLog,
    `trace ${key} was accepted by Infinium, but ${what} could not be written (${describeFailure(error)}); ` +
      'it is not sent again',
  );
}

/** Absent until a send's outcome is first unknown, so a clean entry carries no count. */
function countUnknown(count: number | undefined, unknown: boolean): number | undefined {
  return unknown ? (count ?? 0) + 1 : count;
}

/**
 * A local-only trace goes into history (`history`, `view`, the payload for `history show`) once, and stays
 * queued for the agent configured later: `retry` points it there and sends it, under the same key.
 */
function keepLocally(paths: SpoolPaths, entry: OutboxEntry, lock: HeldLock, nowMs: number): void {
  if (entry.keptAtMs !== undefined) return;
  lock.verify();
  savePayload(paths, entry.key, serializeTaskData(entry.taskData));
  appendHistory(paths, {
    ...historyFacts(entry, nowMs),
    status: 'local',
    payloadPath: payloadFile(paths, entry.key),
  });
  writeOutboxEntry(paths, { ...entry, keptAtMs: nowMs });
}

function recordDead(paths: SpoolPaths, dead: DeadEntry): void {
  appendHistory(paths, {
    ...historyFacts(dead, dead.diedAtMs),
    status: 'dead',
    reason: dead.reason,
    unknownOutcomes: dead.unknownOutcomes,
  });
  appendLog(paths.workerLog, `trace ${dead.key} moved to dead/: ${dead.reason}`);
}

function historyFacts(entry: OutboxEntry, nowMs: number): Omit<HistoryRecord, 'status'> {
  const usage = entry.taskData.llm_usage;
  return {
    time: new Date(nowMs).toISOString(),
    key: entry.key,
    project: entry.projectName,
    agentId: entry.agentId,
    baseUrl: entry.baseUrl,
    sessionId: entry.sessionId,
    turn: entry.turnKey,
    turnNumber: entry.turnNumber,
    steps: entry.taskData.steps?.length ?? 0,
    // With several models, llm_usage's own counters are one model's: the turn's tokens are all shares.
    tokens: usage?.by_model
      ? usage.by_model.reduce((sum, share) => sum + share.total_tokens, 0)
      : usage?.total_tokens,
    duration: entry.taskData.duration,
    attempts: entry.attempts,
    codexVersion: entry.taskData.environment?.codex_version,
    unreadRolloutLines: entry.taskData.environment?.unread_rollout_lines,
    ...historyCost(entry.taskData),
    outcome: outcomeSummary(entry.taskData.environment?.outcome),
    ...historyPrompt(entry.taskData),
  };
}

/** `lastErrorKind` for a failed send (see OutboxEntry): the answers that are not Infinium's told apart. */
function failureKind(error: unknown): string | undefined {
  if (!(error instanceof InfiniumError)) return undefined;
  if (error.kind !== 'unexpected_response' || error.status === undefined) return error.kind;
  if (error.status >= 300 && error.status < 400) return 'redirect';
  if (error.status >= 200 && error.status < 300) return 'not_infinium';
  return error.kind;
}

function describeFailure(error: unknown): string {
  if (error instanceof InfiniumError) return `${error.message}. ${error.hint}`;
  return error instanceof Error ? error.message : String(error);
}

function sentBefore(paths: SpoolPaths, key: string): boolean {
  return readHistoryRecords(paths).some((r) => r.key === key && r.status === 'sent');
}

export interface DeliverOutboxResult extends DeliverySummary {
  /** A worker held the lock the whole time: it sends the outbox itself; nothing was done here. */
  busy: boolean;
}

/** What `recoverQueued` did. */
export interface Recovery {
  /** Dead traces put back in the outbox. */
  requeued: number;
  /** Queued traces pointed at the agent and base URL now configured for them, or left with a reason. */
  retargeted: Retargeted[];
}

export interface RecoveryOptions {
  /** Put the dead traces back in the outbox first (`retry --dead`, `doctor --fix`). */
  dead?: boolean;
}

const LOCK_WAIT_MS = 10_000;

/**
 * Takes the worker lock, waiting up to `waitMs` (10 s) for a running worker to finish; null when it stays
 * taken. A worker waiting for its sessions' next events is asked to leave (src/worker/stay.ts).
 */
export async function waitForLock(env: Env, waitMs = LOCK_WAIT_MS): Promise<HeldLock | null> {
  const paths = spoolPaths(env);
  const deadline = Date.now() + waitMs;
  let lock = tryLock(paths.lock);
  if (lock) return lock;
  try {
    while (!lock && Date.now() < deadline) {
      requestYield(paths, true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      lock = tryLock(paths.lock);
    }
  } finally {
    requestYield(paths, false);
  }
  return lock;
}

/**
 * Puts the dead traces back (with `dead`) and points every queued trace at the agent and base URL now
 * configured for it, so that fixing a wrong agent id or base URL in a file (or setting up an agent after
 * `init --local`) rescues what was built under the old one. The destination is resolved as the worker
 * resolved it: in the trace's folder, with its session's own settings, never the calling shell's, so a
 * session's choice stays its choice. A trace is not moved when it carries its session's own secret (that
 * secret goes only where it was given for) or when the new destination wants less of it than it holds (a
 * narrower content mode, redaction patterns it was not built with). The caller holds the worker lock.
 */
function recoverQueued(env: Env, lock: HeldLock, options: RecoveryOptions): Recovery {
  const paths = spoolPaths(env);
  lock.verify();
  const requeued = options.dead ? requeueDeadEntries(paths, Date.now()) : 0;
  const resolved = new Map<string, ResolvedConfig | null>();
  const configFor = (entry: OutboxEntry): ResolvedConfig | null => {
    const id = JSON.stringify([entry.cwd, entry.choices ?? {}]);
    if (!resolved.has(id)) {
      let config: ResolvedConfig | null = null;
      try {
        config = resolveSessionConfig(entry.cwd, sessionEnv(env, entry.choices)).config;
      } catch {
        // A broken config file: the entry keeps its target (doctor reports the file).
      }
      resolved.set(id, config);
    }
    return resolved.get(id) ?? null;
  };
  const current = (entry: OutboxEntry): Retarget | null => {
    const config = configFor(entry);
    if (!config) return null;
    const to = { agentId: config.agentId, baseUrl: config.baseUrl };
    const refused = retargetRefusal(entry, config);
    return refused === null ? { to } : { to, refused };
  };
  return { requeued, retargeted: retargetOutbox(paths, current) };
}

/** Why a queued trace must stay at its destination although `config` now names another, or null. */
function retargetRefusal(entry: OutboxEntry, config: ResolvedConfig): string | null {
  if (entry.secret === 'session') {
    return 'their session was started with its own secret, which goes only where it was given for';
  }
  // Entries of older versions say it only in the trace; failing that, taken as the widest.
  const said = entry.taskData.environment?.content_mode;
  const built = entry.contentMode ?? (CONTENT_MODES.find((mode) => mode === said) || 'full');
  if (CONTENT_OPENNESS[built] > CONTENT_OPENNESS[config.contentMode]) {
    return `they were built with content mode ${built}, and the new destination takes ${config.contentMode}`;
  }
  const patterns = new Set(entry.redactPatterns ?? []);
  if (config.redactPatterns.some((pattern) => !patterns.has(pattern))) {
    return 'the new destination redacts patterns they were not built with';
  }
  return null;
}

/**
 * For the CLI (`retry`, with `force`): sends everything due now, under the worker lock so that a trace is
 * never sent by two processes at once. Waits up to 10 s for a running worker to finish.
 */
export async function deliverOutbox(
  env: Env = process.env,
  options: DeliveryOptions = {},
): Promise<DeliverOutboxResult> {
  const lock = await waitForLock(env);
  if (!lock) return { sent: 0, retrying: 0, dead: 0, waiting: 0, noSecret: 0, kept: 0, busy: true };
  try {
    return { ...(await deliverDue(env, lock, options)), busy: false };
  } finally {
    lock.release();
  }
}

/**
 * For `retry` (before it sends) and `doctor --fix`: re-queues the dead traces (with `dead`) and re-targets
 * what is queued, without sending. Null when a worker held the lock for 10 s.
 */
export async function recoverOutbox(
  env: Env = process.env,
  options: RecoveryOptions = {},
): Promise<Recovery | null> {
  const lock = await waitForLock(env);
  if (!lock) return null;
  try {
    return recoverQueued(env, lock, options);
  } finally {
    lock.release();
  }
}
