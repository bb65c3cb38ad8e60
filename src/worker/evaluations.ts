// Reading Maestro's evaluations back for the traces we sent (Infinium's "maestro-results" docs). Never from
// a hook: the worker polls after its passes, and the CLI (`results`) on request. One poller at a time per
// state dir (evaluations.lock, apart from the worker lock so that a poller waiting on Maestro never holds up
// the next turn's trace); the state of each trace is a file beside the history (src/spool/evaluations.ts),
// rewritten after every poll, so a killed poller costs nothing but the poll it was making.
import { join } from 'node:path';
import type { Env } from '../config/paths';
import { AgentCredentials, DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS, fetchEvaluation } from '../infinium/client';
import { InfiniumError } from '../infinium/errors';
import {
  type EvaluationState,
  pendingEvaluation,
  readEvaluation,
  writeEvaluation,
} from '../spool/evaluations';
import { readHistoryRecords } from '../spool/history';
import { type SpoolPaths, spoolPaths } from '../spool/layout';
import { tryLock } from '../spool/lock';
import { appendLog } from '../spool/log';
import { readSessionSecret } from '../spool/session-secrets';
import { secretLookup } from './trace-secret';

/** At most one request every 3 s per trace (the interval of Infinium's own polling helper). */
export const EVALUATION_POLL_INTERVAL_MS = 3_000;
/**
 * The worker's poller asks less often the longer Maestro takes: 3 s apart at first, then 1.5x longer each
 * time up to this (about 16 requests over the default 10-minute wait instead of 200). `results` keeps 3 s.
 */
const BACKGROUND_INTERVAL_MAX_MS = 60_000;
/** Polling gives up this long after the trace was sent, unless INFINIUM_CODEX_EVALUATION_WAIT_SECONDS says otherwise. */
export const DEFAULT_EVALUATION_WAIT_MS = 10 * 60_000;
/** Requests are spaced so the poller stays far inside the API's budget of 10 requests/s. */
const REQUEST_SPACING_MS = 200;
/** Only the newest sent traces are looked at: older ones are past any wait anyway. */
const HISTORY_WINDOW = 200;

export interface PollOptions {
  /** Give up on a trace this long after it was sent (ms): it becomes `unavailable`. */
  giveUpAfterMs: number;
  /** Keep polling until nothing is pending (the worker); otherwise one round of due polls (the CLI). */
  linger: boolean;
  /** Only these history keys (the CLI); every recent sent trace otherwise. */
  keys?: readonly string[];
  /** Stop lingering at this time even if traces are still pending (ms since the epoch). */
  untilMs?: number;
  /** Poll now even if the last poll was less than the interval ago (the CLI's first look). */
  ignoreInterval?: boolean;
  /** Space each trace's polls out as it waits (the worker); a steady 3 s otherwise. */
  slowingDown?: boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /** Called after each poll that changed a state (the CLI's spinner). */
  onChange?: (state: EvaluationState) => void;
}

export function evaluationLockFile(paths: SpoolPaths): string {
  return join(paths.root, 'evaluations.lock');
}

/**
 * INFINIUM_CODEX_EVALUATION_WAIT_SECONDS (0-86400): how long after sending the worker keeps asking for a
 * trace's evaluation; 0 turns background polling off (`results` still asks on request).
 */
export function evaluationWaitMs(env: Env): number {
  const text = env.INFINIUM_CODEX_EVALUATION_WAIT_SECONDS;
  if (text === undefined || text.trim() === '') return DEFAULT_EVALUATION_WAIT_MS;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 86_400
    ? seconds * 1000
    : DEFAULT_EVALUATION_WAIT_MS;
}

/**
 * Polls the pending evaluations of recent sent traces under the evaluation lock. Returns false when another
 * process holds that lock (it is polling them already), true once this call's polling is done.
 */
export async function pollEvaluations(env: Env, options: PollOptions): Promise<boolean> {
  const paths = spoolPaths(env);
  const lock = tryLock(evaluationLockFile(paths));
  if (!lock) return false;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const secretOf = secretLookup(paths, env);
  // The secret the trace was sent with: its session's own when it was started with one, else the stored one.
  const secretFor = ({ key, agentId, baseUrl = DEFAULT_BASE_URL }: EvaluationState) => {
    const sessionId = key.split('~')[0] ?? '';
    const secret = readSessionSecret(paths, sessionId) === null ? 'stored' : 'session';
    return secretOf({ agentId, baseUrl, sessionId, secret });
  };
  try {
    for (let round = 0; ; round += 1) {
      const pending = pendingStates(paths, options.keys);
      let nextDueMs = Number.POSITIVE_INFINITY;
      for (const state of pending) {
        if (options.untilMs !== undefined && now() >= options.untilMs) return true;
        const dueMs =
          round === 0 && options.ignoreInterval
            ? 0
            : (state.lastPollAtMs ?? state.sentAtMs) + pollInterval(state, options);
        if (dueMs > now()) {
          nextDueMs = Math.min(nextDueMs, dueMs);
          continue;
        }
        const updated = await pollOne(paths, state, await secretFor(state), options, now);
        options.onChange?.(updated);
        if (updated.status === 'pending') {
          nextDueMs = Math.min(nextDueMs, now() + pollInterval(updated, options));
        }
        await sleep(REQUEST_SPACING_MS);
      }
      if (!options.linger || nextDueMs === Number.POSITIVE_INFINITY) return true;
      const until = options.untilMs ?? Number.POSITIVE_INFINITY;
      if (nextDueMs > until) return true;
      await sleep(Math.max(0, nextDueMs - now()));
    }
  } finally {
    lock.release();
  }
}

/** How long after its last poll a pending trace is asked again. */
function pollInterval(state: EvaluationState, options: PollOptions): number {
  if (!options.slowingDown) return EVALUATION_POLL_INTERVAL_MS;
  const grown = EVALUATION_POLL_INTERVAL_MS * 1.5 ** Math.max(0, state.polls - 1);
  return Math.min(BACKGROUND_INTERVAL_MAX_MS, grown);
}

/** The pending evaluations among the newest sent traces (or the given keys), oldest first. */
function pendingStates(paths: SpoolPaths, keys: readonly string[] | undefined): EvaluationState[] {
  const wanted = keys ? new Set(keys) : undefined;
  const seen = new Set<string>();
  const states: EvaluationState[] = [];
  for (const record of readHistoryRecords(paths, wanted ? undefined : HISTORY_WINDOW)) {
    if (record.status !== 'sent' || !record.traceId || seen.has(record.key)) continue;
    if (wanted && !wanted.has(record.key)) continue;
    seen.add(record.key);
    const state = readEvaluation(paths, record.key) ?? pendingEvaluation(record);
    if (state.status === 'pending') states.push(state);
  }
  return states.reverse();
}

async function pollOne(
  paths: SpoolPaths,
  state: EvaluationState,
  secret: string | null,
  options: PollOptions,
  now: () => number,
): Promise<EvaluationState> {
  const pastWait = now() - state.sentAtMs > options.giveUpAfterMs;
  let next: EvaluationState;
  if (!secret) {
    next = { ...state, status: 'unavailable', reason: `no secret is stored for agent ${state.agentId}` };
  } else {
    const polled = { ...state, polls: state.polls + 1, lastPollAtMs: now() };
    try {
      const agent = new AgentCredentials(state.agentId, secret, state.baseUrl);
      // A caller's deadline (`results --timeout`) bounds each request too: a server that never answers
      // does not keep it past it.
      const left = options.untilMs === undefined ? undefined : Math.max(1, options.untilMs - now());
      const timeoutMs =
        left === undefined ? options.timeoutMs : Math.min(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, left);
      const result = await fetchEvaluation(agent, state.traceId, { timeoutMs });
      next = result.ready
        ? { ...polled, status: 'ready', evaluation: result.evaluation, readyAtMs: now() }
        : pastWait
          ? { ...polled, status: 'unavailable', reason: waitedReason(options.giveUpAfterMs) }
          : polled;
    } catch (error) {
      const permanent = error instanceof InfiniumError && !error.transient;
      const reason = error instanceof Error ? error.message : String(error);
      next =
        permanent || pastWait
          ? {
              ...polled,
              status: 'unavailable',
              reason: permanent ? reason : waitedReason(options.giveUpAfterMs),
            }
          : polled;
      appendLog(paths.workerLog, `evaluation of ${state.key}: ${reason}`);
    }
  }
  writeEvaluation(paths, next);
  return next;
}

function waitedReason(waitMs: number): string {
  const minutes = Math.round(waitMs / 60_000);
  return `Maestro had no evaluation ${minutes >= 1 ? `${minutes} min` : `${Math.round(waitMs / 1000)} s`} after the trace was sent`;
}
