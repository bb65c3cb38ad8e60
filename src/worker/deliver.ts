// Sending what the outbox holds. Each entry is marked "sending" (atomically) before its POST, so a crash
// mid-send is noticed at the next run. Such a send, like a timeout or a connection lost mid-request, may
// have reached Infinium, which has no idempotency key: the trace is sent again, each of these counted, and
// the history says how many copies Infinium may hold. A success is written to the history before the
// outbox entry goes, so a crash between the two is recognised and never resent.

import { loadSecret } from '../config/credentials';
import type { Env } from '../config/paths';
import { AgentCredentials, sendTrace } from '../infinium/client';
import { InfiniumError } from '../infinium/errors';
import { decideRetry, OUTBOX_RETRY } from '../infinium/retry';
import { serializeTaskData } from '../infinium/task-data';
import { appendHistory, type HistoryRecord, readHistoryRecords, savePayload } from '../spool/history';
import { type SpoolPaths, spoolPaths } from '../spool/layout';
import { tryLock } from '../spool/lock';
import { appendLog } from '../spool/log';
import {
  type DeadEntry,
  moveToDead,
  NO_SECRET,
  type OutboxEntry,
  readOutbox,
  removeOutboxEntry,
  writeOutboxEntry,
} from '../spool/outbox';

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
}

/** Sends every due outbox entry. The caller holds the worker lock. */
export async function deliverDue(env: Env, options: DeliveryOptions = {}): Promise<DeliverySummary> {
  const paths = spoolPaths(env);
  const now = options.now ?? Date.now;
  const summary: DeliverySummary = { sent: 0, retrying: 0, dead: 0, waiting: 0, noSecret: 0 };
  const secrets = new Map<string, string | null>();
  // A send that succeeds proves Infinium is back: entries still backing off for the same URL go now too,
  // so a trace held up by an outage arrives with the next turn instead of minutes later.
  const reachable = new Set<string>();
  const backingOff: OutboxEntry[] = [];
  const send = async (entry: OutboxEntry) => {
    if (!secrets.has(entry.agentId)) {
      secrets.set(entry.agentId, (await loadSecret(entry.agentId, { env }))?.secret ?? null);
    }
    const secret = secrets.get(entry.agentId);
    if (!secret) {
      summary.noSecret += 1;
      if (entry.lastError !== NO_SECRET) writeOutboxEntry(paths, { ...entry, lastError: NO_SECRET });
      return;
    }
    const outcome = await deliverOne(
      paths,
      entry,
      new AgentCredentials(entry.agentId, secret, entry.baseUrl),
      {
        ...options,
        now,
      },
    );
    if (outcome === 'sent') reachable.add(entry.baseUrl);
    summary[outcome] += 1;
  };
  for (const entry of readOutbox(paths)) {
    if (entry.sendingSinceMs !== undefined && sentBefore(paths, entry.key)) {
      // Sent and recorded; only the outbox removal was lost to a crash.
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

/**
 * No retry is scheduled further ahead than the policy's longest wait: an entry due later than that was
 * scheduled under a clock that has since gone back (a wrong clock corrected, a VM restored), and is due now.
 */
function notDueYet(entry: OutboxEntry, nowMs: number): boolean {
  return entry.nextAttemptAtMs > nowMs && entry.nextAttemptAtMs - nowMs <= OUTBOX_RETRY.maxDelayMs;
}

async function deliverOne(
  paths: SpoolPaths,
  queued: OutboxEntry,
  agent: AgentCredentials,
  options: DeliveryOptions & { now: () => number },
): Promise<'sent' | 'retrying' | 'dead'> {
  const entry: OutboxEntry = {
    ...queued,
    attempts: queued.attempts + 1,
    unknownOutcomes: countUnknown(queued.unknownOutcomes, queued.sendingSinceMs !== undefined),
    sendingSinceMs: options.now(),
  };
  writeOutboxEntry(paths, entry);
  const started = options.now();
  try {
    const sent = await sendTrace(agent, entry.taskData, { timeoutMs: options.timeoutMs });
    const payloadPath = savePayload(paths, entry.key, serializeTaskData(entry.taskData));
    appendHistory(paths, {
      ...historyFacts(entry, options.now()),
      status: 'sent',
      traceId: sent.traceId,
      payloadPath,
      unknownOutcomes: entry.unknownOutcomes,
    });
    removeOutboxEntry(paths, entry.key);
    appendLog(
      paths.workerLog,
      `sent ${entry.key} as ${sent.traceId ?? '(no trace id)'} in ${options.now() - started} ms`,
    );
    return 'sent';
  } catch (error) {
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
    if (decision.retry) {
      writeOutboxEntry(paths, {
        ...failed,
        lastError: reason,
        nextAttemptAtMs: options.now() + decision.delayMs,
      });
      appendLog(
        paths.workerLog,
        `send of ${entry.key} failed (attempt ${entry.attempts}), will retry: ${reason}`,
      );
      return 'retrying';
    }
    const why =
      decision.reason === 'attempts_exhausted'
        ? `gave up after ${entry.attempts} attempts: ${reason}`
        : reason;
    recordDead(paths, moveToDead(paths, failed, why, options.now()));
    return 'dead';
  }
}

/** Absent until a send's outcome is first unknown, so a clean entry carries no count. */
function countUnknown(count: number | undefined, unknown: boolean): number | undefined {
  return unknown ? (count ?? 0) + 1 : count;
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
    tokens: usage?.total_tokens,
    duration: entry.taskData.duration,
    attempts: entry.attempts,
  };
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

const LOCK_WAIT_MS = 10_000;

/**
 * For the CLI (`retry`, with `force`): sends everything due now, under the worker lock so that a trace is
 * never sent by two processes at once. Waits up to 10 s for a running worker to finish.
 */
export async function deliverOutbox(
  env: Env = process.env,
  options: DeliveryOptions = {},
): Promise<DeliverOutboxResult> {
  const paths = spoolPaths(env);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lock = tryLock(paths.lock);
  while (!lock && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    lock = tryLock(paths.lock);
  }
  if (!lock) return { sent: 0, retrying: 0, dead: 0, waiting: 0, noSecret: 0, busy: true };
  try {
    return { ...(await deliverDue(env, options)), busy: false };
  } finally {
    lock.release();
  }
}
