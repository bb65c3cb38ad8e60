// The detached worker: one at a time per state dir. Each pass reads the spool, groups events into turns,
// builds each closed turn's trace once (outbox, keyed by session and turn), deletes the turn's raw payloads,
// then sends what is due. The trace itself is built by the compose functions it is given.
import { existsSync, rmSync } from 'node:fs';
import type { Env } from '../config/paths';
import { pausedDuring } from '../config/pause';
import {
  type CaptureMode,
  ConfigError,
  configuredCapture,
  type ResolvedConfig,
  resolveSessionConfig,
} from '../config/settings';
import type { TaskData } from '../infinium/task-data';
import { cleanSpoolLeftovers, listSpool, moveAside, readSpoolEntry, removeEntries } from '../spool/events';
import { type SpoolPaths, spoolPaths, traceKey } from '../spool/layout';
import { type HeldLock, LockLostError } from '../spool/lock';
import { appendLog, rotateIfLarge } from '../spool/log';
import { alreadyQueued, type OutboxEntry, writeOutboxEntry } from '../spool/outbox';
import { ownChoices, SECRET_VAR, sessionEnv } from '../spool/session-env';
import { pruneSessionSecrets } from '../spool/session-secrets';
import {
  pruneSessionStates,
  readCounters,
  readSessionState,
  SETTING_NOTES_KEPT,
  type SessionState,
  type SpoolCounters,
  writeCounters,
  writeSessionState,
} from '../spool/sessions';
import { pruneSnapshots } from '../spool/snapshots';
import type { ClosedTurn, ComposeContext, SpooledEvent } from './closed-turn';
import { type DeliveryOptions, type DeliverySummary, deliverDue } from './deliver';
import { takeWorkerLock } from './lock-first';
import { waitForRequest } from './stay';
import { type GroupedTurn, groupSessionTurns, type SpooledFileEvent } from './turns';

export interface Composed {
  taskData: TaskData;
  cursor: unknown;
}

/**
 * The trace side (src/worker/compose.ts), passed in so the pipeline can be tested on its own. The cursor is
 * the trace side's RolloutCursor: opaque here, persisted as JSON. (Method syntax: a compose function that
 * names its own cursor type fits.)
 */
export interface Composer {
  composeTurnTrace(turn: ClosedTurn, ctx: ComposeContext, cursor: unknown): Promise<Composed>;
  composeSessionTrace(turns: ClosedTurn[], ctx: ComposeContext, cursor: unknown): Promise<Composed>;
  /**
   * Where the rollout stands on a turn (src/worker/rollout-status.ts: rolloutTurnStatus). Without it, a
   * closed turn is built at once.
   */
  rolloutTurnStatus?(turn: ClosedTurn, cursor: unknown): Promise<TurnStatus>;
  /**
   * The session that spawned this one when it is a sub-agent's (src/worker/rollout-status.ts:
   * parentSession).
   */
  parentSession?(sessionId: string, events: readonly SpooledEvent[]): Promise<string | null>;
}

/** What the rollout says of a turn: see RolloutTurnStatus in src/worker/rollout-status.ts. */
export interface TurnStatus {
  state: 'ended' | 'open' | 'absent' | 'none';
  aborted?: boolean;
  changedAtMs?: number;
}

export interface WorkerOptions extends DeliveryOptions {
  composer: Composer;
  /** A turn with no event for this long is closed without its Stop. */
  staleMs?: number;
  /** How long compose may wait for a turn's end to reach the rollout. */
  rolloutSettleMs?: number;
  /**
   * How long a closed turn waits for its rollout to confirm it (task_complete may follow Stop by as long
   * as another Stop hook runs; a blocking one makes Codex continue the turn), counted from the later of its
   * last hook event and the rollout's last change. Past it the turn is built with what is known.
   */
  confirmMs?: number;
  /** Keep running passes while a turn waits for its rollout (the detached worker); false: one pass. */
  waitForRollout?: boolean;
  /** The worker lock, already taken for the first pass (./main.ts). */
  lock?: HeldLock;
  /** Stay between the sessions' events, holding the lock (the detached worker: ./stay.ts). */
  stay?: StayOptions;
  /** Called after each pass (the detached worker starts polling evaluations of what it sent). */
  afterPass?: (pass: PassSummary) => void;
}

export interface StayOptions {
  /** How long to wait for a request before leaving. */
  idleMs: number;
  /** When to stop staying at the latest (epoch ms). */
  untilMs: number;
  /**
   * Whether this process's code is still the installed one. False once an upgrade (or uninstall) replaced
   * it, whose lazily loaded chunks may be gone: the worker then leaves before its next pass, for a fresh
   * worker to take over (./process.ts starts one).
   */
  current(): boolean;
}

export const DEFAULT_STALE_MS = 2 * 3_600_000;
export const DEFAULT_ROLLOUT_SETTLE_MS = 2_000;
/** Codex's default hook timeout (600 s): how long another Stop hook may hold task_complete back. */
export const DEFAULT_CONFIRM_MS = 600_000;
/** Between passes while a turn waits for its rollout: short at first, then at most this. */
const CONFIRM_POLL_MS = [100, 250, 500, 1_000, 2_000] as const;

export interface PassSummary extends DeliverySummary {
  built: number;
  dropped: number;
  corrupt: number;
  failed: number;
  /** Turns left in the spool until their rollout confirms them. */
  unconfirmed: number;
}

/** Attempts at building one turn before its events are set aside: a bad turn must not block its session. */
export const MAX_BUILD_ATTEMPTS = 3;

type Tally = Pick<PassSummary, 'built' | 'dropped' | 'corrupt' | 'failed' | 'unconfirmed'>;

/**
 * Runs passes until nothing new is left. A worker that finds the lock taken leaves a rerun request, which
 * the holder sees after releasing the lock (so a request made at any moment is never missed), and exits.
 * With `stay`, the holder keeps the lock between passes while a session it has seen is still going, and a
 * rerun request wakes it for the next pass (./stay.ts).
 */
export async function runWorker(env: Env, options: WorkerOptions): Promise<PassSummary[]> {
  const paths = spoolPaths(env);
  const passes: PassSummary[] = [];
  const now = options.now ?? Date.now;
  /** Each session seen so far, and whether it is still going (its last root event was not SessionEnd). */
  const going = new Map<string, boolean>();
  const run: RunState = { going, housekeptAtMs: undefined };
  let staying = options.stay !== undefined;
  let polls = 0;
  let lock: HeldLock | null = options.lock ?? null;
  /** Waits holding the lock; true: run the next pass with it. */
  const stayFor = async (pass: PassSummary, held: HeldLock): Promise<boolean> => {
    const stay = options.stay;
    if (!staying || !stay) return false;
    // Asked again meanwhile: the next pass, with the lock it holds.
    if (existsSync(paths.rerun)) return stay.current();
    const forRollout = pass.unconfirmed > 0 && options.waitForRollout !== false;
    if (!forRollout) polls = 0;
    const left = stay.untilMs - now();
    if (!forRollout && (left <= 0 || ![...going.values()].some(Boolean))) return false;
    const timeoutMs = forRollout ? confirmPause(polls++) : Math.min(stay.idleMs, left);
    const wake = await waitForRequest(paths, held, timeoutMs, !forRollout);
    if (wake === 'lost') throw new LockLostError();
    if (wake === 'yield' || !stay.current()) staying = false;
    return staying && (wake === 'rerun' || (forRollout && wake === 'timeout'));
  };
  for (;;) {
    lock ??= takeWorkerLock(paths);
    if (!lock) return passes;
    let pass: PassSummary;
    let keep = false;
    try {
      rmSync(paths.rerun, { force: true });
      pass = await runPass(env, paths, options, lock, run);
      passes.push(pass);
      options.afterPass?.(pass);
      keep = await stayFor(pass, lock);
    } catch (error) {
      if (!(error instanceof LockLostError)) throw error;
      // Taken over while frozen: the new holder does the rest, this one commits nothing more. A lock that
      // is gone was removed with the state dir (uninstall --purge, a test's temp dir): nothing to log in.
      if (existsSync(paths.lock)) appendLog(paths.workerLog, error.message);
      return passes;
    } finally {
      if (!keep) {
        lock.release();
        lock = null;
      }
    }
    if (keep) continue;
    if (options.stay && !options.stay.current()) return passes;
    if (existsSync(paths.rerun)) continue;
    // A turn waits for its rollout: look again (bounded by confirmMs), lock released meanwhile.
    if (pass.unconfirmed === 0 || options.waitForRollout === false) return passes;
    await new Promise((resolve) => setTimeout(resolve, confirmPause(polls++)));
  }
}

/** What the passes of one runWorker call share. */
interface RunState {
  going: Map<string, boolean>;
  /** When this run last swept old files (see HOUSEKEEPING_EVERY_MS). */
  housekeptAtMs: number | undefined;
}

/**
 * The first pass of a run sweeps old files (leftover temps, month-old session states and snapshots), then
 * a worker that stays for its session sweeps again only this often: what it removes is hours to months
 * old, and each sweep stats every file of several folders, at every event that wakes the worker.
 */
const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

const confirmPause = (polls: number) =>
  CONFIRM_POLL_MS[Math.min(polls, CONFIRM_POLL_MS.length - 1)] as number;

async function runPass(
  env: Env,
  paths: SpoolPaths,
  options: WorkerOptions,
  lock: HeldLock,
  run: RunState,
): Promise<PassSummary> {
  const { going } = run;
  const now = options.now ?? Date.now;
  const counters = readCounters(paths);
  const tally: Tally = { built: 0, dropped: 0, corrupt: 0, failed: 0, unconfirmed: 0 };
  const notes: PassNotes = { settings: [], waiting: [] };
  const sessions = new Map<string, SpooledFileEvent[]>();
  for (const entry of listSpool(paths)) {
    const event = readSpoolEntry(entry);
    if (!event) {
      lock.verify();
      moveAside(paths, entry.file);
      tally.corrupt += 1;
      appendLog(paths.workerLog, `skipped unreadable spool entry ${entry.name} (moved to spool/corrupt/)`);
      continue;
    }
    const list = sessions.get(event.payload.session_id) ?? [];
    list.push({ ...event, file: entry.file });
    sessions.set(event.payload.session_id, list);
  }
  await nestSubagentSessions(sessions, options.composer);
  for (const [sessionId, events] of sessions) {
    const last = events.findLast((event) => !event.payload.agent_id);
    if (last) going.set(sessionId, last.event !== 'SessionEnd');
  }
  const capture = captureMode(env);
  for (const [sessionId, events] of sessions) {
    try {
      await processSession({ env, paths, lock, options, tally, notes }, sessionId, events, capture);
    } catch (error) {
      if (error instanceof LockLostError) throw error;
      // The session's files stay in the spool and are tried again at the next run.
      appendLog(paths.workerLog, `session ${sessionId}: ${describe(error)}`);
      if (error instanceof ConfigError) notes.waiting.push(error.message);
    }
  }
  const delivery = await deliverDue(env, lock, options);
  lock.verify();
  if (run.housekeptAtMs === undefined || now() - run.housekeptAtMs >= HOUSEKEEPING_EVERY_MS) {
    housekeeping(paths, now());
    run.housekeptAtMs = now();
  }
  rotateIfLarge(paths.workerLog);
  rotateIfLarge(paths.hookLog);
  writeCounters(paths, {
    corruptSkipped: counters.corruptSkipped + tally.corrupt,
    turnsDropped: counters.turnsDropped + tally.dropped,
    turnsFailed: counters.turnsFailed + tally.failed,
    lastRunAtMs: now(),
    settingNotes: [...new Set([...(counters.settingNotes ?? []), ...notes.settings])].slice(
      -SETTING_NOTES_KEPT,
    ),
    waiting: [...new Set(notes.waiting)],
  } satisfies SpoolCounters);
  return { ...delivery, ...tally };
}

/** What one pass works with: where, under which lock, with which options, and its running tally. */
interface Pass {
  env: Env;
  paths: SpoolPaths;
  lock: HeldLock;
  options: WorkerOptions;
  tally: Tally;
  notes: PassNotes;
}

/** What `status` and `doctor` are to say after a pass (see SpoolCounters). */
interface PassNotes {
  settings: string[];
  waiting: string[];
}

/**
 * Before Codex 0.140 a sub-agent's hooks come under its own session id, without `agent_id`: its events
 * join its parent's session as that sub-agent's (agent_id = its thread id), so it is nested in the parent's
 * turn instead of sent as a trace of its own. The spool files are not rewritten.
 */
async function nestSubagentSessions(
  sessions: Map<string, SpooledFileEvent[]>,
  composer: Composer,
): Promise<void> {
  if (!composer.parentSession) return;
  for (const [sessionId, events] of [...sessions]) {
    const parent = await composer.parentSession(sessionId, events).catch(() => null);
    if (!parent) continue;
    const nested = events.map((event) => ({
      ...event,
      payload: { ...event.payload, session_id: parent, agent_id: sessionId },
    }));
    const merged = [...(sessions.get(parent) ?? []), ...nested].sort((a, b) => a.arrivedAtMs - b.arrivedAtMs);
    sessions.delete(sessionId);
    sessions.set(parent, merged);
  }
}

async function processSession(
  pass: Pass,
  sessionId: string,
  events: SpooledFileEvent[],
  capture: CaptureMode,
): Promise<void> {
  const { env, paths, lock, options, tally } = pass;
  const configFor = (grouped: GroupedTurn) => turnConfig(pass, sessionId, grouped);
  const now = options.now ?? Date.now;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const grouping = groupSessionTurns(events, now(), staleMs);
  const state = readSessionState(paths, sessionId);
  const context = (config: ResolvedConfig): ComposeContext => ({
    config,
    capture,
    nowMs: now(),
    rolloutSettleMs: options.rolloutSettleMs ?? DEFAULT_ROLLOUT_SETTLE_MS,
  });

  const closed = [...grouping.closed];
  const rolloutStatus = options.composer.rolloutTurnStatus?.bind(options.composer);
  // A turn whose rollout already records its end is built now, whenever the worker runs: an interrupt on
  // a Codex without the Interrupt hook (before 0.150) must not wait for the next prompt.
  if (grouping.open?.turnId && rolloutStatus) {
    const probe = closedTurn(sessionId, grouping.open, state.turnCount + closed.length + 1);
    const said = await rolloutStatus(probe, state.cursor);
    if (said.state === 'ended')
      closed.push({ ...grouping.open, ending: said.aborted ? 'interrupt' : 'stop' });
  }

  const first = closed[0];
  const firstConfig = first ? configFor(first) : null;
  if (first && firstConfig?.granularity === 'session' && !paused(env, firstConfig, first)) {
    // One trace for the whole session, once it has ended (SessionEnd, or silence past the stale timeout).
    const lastEnd = closed.findLastIndex((t) => t.beforeSessionEnd);
    const idle = grouping.pending.length === 0 && now() - grouping.lastArrivalMs > staleMs;
    const unit = idle ? closed : closed.slice(0, lastEnd + 1);
    if (unit.length > 0) {
      const turns = unit.map((t, i) => closedTurn(sessionId, t, state.turnCount + i + 1));
      const outcome = await build(paths, lock, state, {
        key: traceKey(sessionId, `session-${state.turnCount + 1}`),
        turnKey: 'session',
        turns,
        config: firstConfig,
        secret: secretSource(first, firstConfig),
        choices: ownChoices(rootEvent(first)?.env),
        files: unit.flatMap(spoolFiles),
        nowMs: now(),
        compose: (cursor) => options.composer.composeSessionTrace(turns, context(firstConfig), cursor),
      });
      if (outcome !== 'already') tally[outcome] += 1;
    }
  } else {
    for (const [index, grouped] of closed.entries()) {
      const turn = closedTurn(sessionId, grouped, state.turnCount + 1);
      const turnKey = turn.turnId ?? `t${turn.turnNumber}`;
      const config = configFor(grouped);
      if (!config || paused(env, config, grouped)) {
        lock.verify();
        state.turnCount += 1;
        writeSessionState(paths, { ...state, updatedAtMs: now() });
        removeEntries(spoolFiles(grouped));
        tally.dropped += 1;
        continue;
      }
      if (rolloutStatus && !state.built.includes(traceKey(sessionId, turnKey))) {
        const said = await rolloutStatus(turn, state.cursor);
        // A later turn the rollout says is over: Codex writes turns in order, so a prompt the rollout does
        // not hold by then never became a turn, and a confirmed turn does not wait behind it.
        const laterEnded = async () => {
          for (const later of closed.slice(index + 1)) {
            const probe = closedTurn(sessionId, later, turn.turnNumber + 1);
            if ((await rolloutStatus(probe, state.cursor)).state === 'ended') return true;
          }
          return false;
        };
        const verdict = confirmation(
          grouped,
          said,
          now(),
          options,
          said.state === 'absent' && (await laterEnded()),
        );
        if (verdict === 'wait') {
          // Later turns of the session wait behind it: turns are built in order.
          tally.unconfirmed += 1;
          break;
        }
        if (verdict === 'not_a_turn') {
          appendLog(
            paths.workerLog,
            `turn ${turnKey} of session ${sessionId} is not in the rollout; its hook events are not sent as a turn`,
          );
          lock.verify();
          removeEntries(spoolFiles(grouped));
          continue;
        }
      }
      const outcome = await build(paths, lock, state, {
        key: traceKey(sessionId, turnKey),
        turnKey,
        turns: [turn],
        config,
        secret: secretSource(grouped, config),
        choices: ownChoices(rootEvent(grouped)?.env),
        files: spoolFiles(grouped),
        nowMs: now(),
        compose: (cursor) => options.composer.composeTurnTrace(turn, context(config), cursor),
      });
      if (outcome !== 'already') tally[outcome] += 1;
    }
  }
  lock.verify();
  removeEntries(grouping.consumed);
}

/** How long a turn the rollout does not hold at all (or whose session ended) waits for it. */
const SHORT_CONFIRM_MS = 30_000;

/**
 * Whether a closed turn is built now: `build` (its rollout confirms it, there is none, or the wait is
 * over: it is then built with what is known), `wait`, or `not_a_turn` (the rollout never held it: a prompt
 * event that never became a turn is not sent and takes no turn number). A turn the rollout does not hold
 * is not waited for once a later turn of the session is over in it.
 */
function confirmation(
  grouped: GroupedTurn,
  said: TurnStatus,
  nowMs: number,
  options: WorkerOptions,
  laterTurnEnded = false,
): 'build' | 'wait' | 'not_a_turn' {
  if (said.state === 'ended' || said.state === 'none') return 'build';
  const confirmMs = options.confirmMs ?? DEFAULT_CONFIRM_MS;
  const lastEvent = grouped.events.at(-1)?.arrivedAtMs ?? 0;
  if (said.state === 'absent') {
    if (!laterTurnEnded && nowMs - lastEvent < Math.min(confirmMs, SHORT_CONFIRM_MS)) return 'wait';
    // Codex fires Stop (or Interrupt) only for a turn that ran: one its rollout lost (rewritten, cut) is
    // still sent with what the hooks said. A bare prompt event is not a turn.
    const ran = grouped.ending === 'stop' || grouped.ending === 'interrupt';
    return grouped.turnId === null || ran ? 'build' : 'not_a_turn';
  }
  // Open: a Stop (or Interrupt) came, so the end follows once the other Stop hooks return; a continued
  // turn keeps writing to the rollout. Closed by SessionEnd or by silence, it will not end any more.
  if (grouped.ending === 'stale') return 'build';
  const window = grouped.ending === 'session_end' ? Math.min(confirmMs, SHORT_CONFIRM_MS) : confirmMs;
  return nowMs - Math.max(lastEvent, said.changedAtMs ?? 0) < window ? 'wait' : 'build';
}

export interface BuildJob {
  key: string;
  turnKey: string;
  turns: ClosedTurn[];
  config: ResolvedConfig;
  secret: OutboxEntry['secret'];
  /** The settings the session (or `import`'s shell) chose itself, kept with the trace. */
  choices: OutboxEntry['choices'];
  /** The raw payloads of these turns, deleted once the trace is queued. */
  files: string[];
  nowMs: number;
  compose(cursor: unknown): Promise<Composed>;
}

/**
 * Builds one trace into the outbox, unless it is there already (a crash after the outbox write): then only
 * the session state and the spool are brought up to date. Order: outbox, session state, spool deletion, so a
 * crash at any point leaves the raw events or the queued trace, and a turn is never queued twice.
 */
export async function build(
  paths: SpoolPaths,
  lock: HeldLock,
  state: SessionState,
  job: BuildJob,
): Promise<BuildOutcome> {
  if (state.built.includes(job.key)) {
    lock.verify();
    removeEntries(job.files);
    return 'already';
  }
  const last = job.turns.at(-1) as ClosedTurn;
  const queued = alreadyQueued(paths, job.key);
  let outcome: BuildOutcome = 'already';
  let cursor = queued?.cursorAfter;
  if (!queued) {
    const composed = await composeOrSetAside(paths, lock, state, job);
    outcome = composed ? 'built' : 'failed';
    cursor = composed ? composed.cursor : state.cursor;
    // A build can take long (a large turn, costly redaction): the lock may have been taken over meanwhile.
    lock.verify();
    if (composed) {
      writeOutboxEntry(paths, {
        key: job.key,
        sessionId: last.sessionId,
        turnKey: job.turnKey,
        turnNumber: last.turnNumber,
        agentId: job.config.agentId,
        baseUrl: job.config.baseUrl,
        secret: job.secret,
        ...(job.choices ? { choices: job.choices } : {}),
        contentMode: job.config.contentMode,
        redactPatterns: job.config.redactPatterns,
        projectName: job.config.projectName,
        cwd: last.cwd,
        builtAtMs: job.nowMs,
        taskData: composed.taskData,
        cursorAfter: cursor,
        attempts: 0,
        nextAttemptAtMs: 0,
      });
    }
  }
  if (state.buildFailures) delete state.buildFailures[job.key];
  // An imported turn may come after later ones were built (src/worker/import.ts): the count never goes back.
  state.turnCount = Math.max(state.turnCount, last.turnNumber);
  state.cursor = cursor;
  state.built.push(job.key);
  lock.verify();
  writeSessionState(paths, { ...state, updatedAtMs: job.nowMs });
  removeEntries(job.files);
  return outcome;
}

export type BuildOutcome = 'built' | 'already' | 'failed';

/**
 * Composes the trace. A failure is retried at the next runs; after MAX_BUILD_ATTEMPTS the turn's events are
 * moved to spool/corrupt/ (null), so that one bad turn cannot hold up every later turn of its session.
 */
async function composeOrSetAside(
  paths: SpoolPaths,
  lock: HeldLock,
  state: SessionState,
  job: BuildJob,
): Promise<Composed | null> {
  try {
    return await job.compose(state.cursor);
  } catch (error) {
    lock.verify();
    const failures = (state.buildFailures?.[job.key] ?? 0) + 1;
    if (failures < MAX_BUILD_ATTEMPTS) {
      state.buildFailures = { ...state.buildFailures, [job.key]: failures };
      writeSessionState(paths, { ...state, updatedAtMs: job.nowMs });
      throw error;
    }
    appendLog(
      paths.workerLog,
      `turn ${job.key} could not be built (${failures} attempts, last: ${describe(error)}); ` +
        'its events were moved to spool/corrupt/',
    );
    for (const file of job.files) moveAside(paths, file);
    return null;
  }
}

function spoolFiles(grouped: GroupedTurn): string[] {
  return grouped.events.map((e) => e.file);
}

/**
 * Whether the turn's project was paused at any moment of the turn (from its first event's arrival to its
 * last's), whenever it is built: a turn made while paused stays dropped after `resume`, and a turn made
 * before `pause` is still sent.
 */
function paused(env: Env, config: ResolvedConfig, grouped: GroupedTurn): boolean {
  const times = grouped.events.map((e) => e.arrivedAtMs);
  const key = config.projectRoot ?? rootEvent(grouped)?.payload.cwd ?? '';
  return pausedDuring(key, Math.min(...times), Math.max(...times), env);
}

function rootEvent(grouped: GroupedTurn): SpooledFileEvent | undefined {
  return grouped.events.find((e) => !e.payload.agent_id) ?? grouped.events[0];
}

function closedTurn(sessionId: string, grouped: GroupedTurn, turnNumber: number): ClosedTurn {
  const root = rootEvent(grouped);
  return {
    sessionId,
    turnId: grouped.turnId,
    cwd: root?.payload.cwd ?? '',
    // Codex may send `transcript_path: null` in some payloads: any event of the turn may name it.
    transcriptPath:
      grouped.events.find((e) => !e.payload.agent_id && e.payload.transcript_path)?.payload.transcript_path ??
      null,
    events: grouped.events.map(({ file: _file, ...event }) => event),
    ending: grouped.ending,
    turnNumber,
  };
}

/**
 * The agent for a turn's cwd, under the settings its session's hook recorded (not the worker's own, which
 * are those of whichever session started it), read as sessionReading says: null (the turn is not traced)
 * also when they cannot be used. A broken config file, or a project file awaiting the user's consent,
 * throws: the turn waits in the spool until it is fixed or decided.
 */
function turnConfig(pass: Pass, sessionId: string, grouped: GroupedTurn): ResolvedConfig | null {
  const root = rootEvent(grouped);
  const { config, notes } = resolveSessionConfig(root?.payload.cwd ?? '', sessionEnv(pass.env, root?.env));
  for (const note of notes) {
    const line = `session ${sessionId}: ${note}`;
    if (!pass.notes.settings.includes(line)) {
      pass.notes.settings.push(line);
      appendLog(pass.paths.workerLog, line);
    }
  }
  return config;
}

/**
 * Where the trace's secret comes from: the session's own (it was started with one), else the stored one; the
 * stored one also where a project file chose the base URL, as loadConfigSecret decides for the CLI.
 */
function secretSource(grouped: GroupedTurn, config: ResolvedConfig): OutboxEntry['secret'] {
  return rootEvent(grouped)?.env?.[SECRET_VAR] && !config.projectBaseUrl ? 'session' : 'stored';
}

/** The capture mode traces name (`init`'s choice); lean when the config file is broken. */
export function captureMode(env: Env): CaptureMode {
  try {
    return configuredCapture(env);
  } catch (error) {
    if (error instanceof ConfigError) return 'lean';
    throw error;
  }
}

function housekeeping(paths: SpoolPaths, nowMs: number): void {
  cleanSpoolLeftovers(paths, nowMs);
  pruneSessionStates(paths, nowMs);
  pruneSnapshots(paths, nowMs);
  pruneSessionSecrets(paths, nowMs);
}

function describe(error: unknown): string {
  if (error instanceof ConfigError) return `${error.message} Its turns wait in the spool until it is fixed.`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
