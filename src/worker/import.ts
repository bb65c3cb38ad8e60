// `infinium-codex import`: Codex sessions that ran before tracing was set up (or while the hooks were off)
// traced afterwards from their rollouts, through the live pipeline: each turn is composed by the same
// compose functions from a ClosedTurn with no hook event, built into the outbox by run.ts's `build` under
// the worker lock, with the key the live worker gives it (`traceKey(session id, turn id)`), and sent by
// `deliverDue`. Because both check and record a turn's key under the same lock (the session state's
// `built`, the outbox, dead/ and the history), an import racing a live worker on the same session still
// sends each turn once: whichever builds it first, the other finds it built.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { holdsOurHooks, userHooksFile } from '../codex/hooks-file';
import type { RolloutCursor } from '../codex/rollout-reader';
import {
  listRolloutFiles,
  type PastSession,
  type PastTurn,
  readPastSession,
} from '../codex/rollout-sessions';
import { systemHooksFile } from '../codex/system';
import { hooksLiveIntervals, type LiveInterval, ranWhileLive } from '../config/hooks-live';
import { codexHome, type Env, insideFolder } from '../config/paths';
import { isPaused, pausedDuring } from '../config/pause';
import { ConfigError, type ResolvedConfig, resolveConfig } from '../config/settings';
import { readHistoryRecords, savedPayloadKeys } from '../spool/history';
import { type SpoolPaths, safeName, spoolPaths, traceKey } from '../spool/layout';
import { type HeldLock, LockLostError } from '../spool/lock';
import { appendLog } from '../spool/log';
import {
  alreadyQueued,
  deadFile,
  type OutboxEntry,
  readAcceptedMarks,
  readDead,
  readOutbox,
} from '../spool/outbox';
import { ownChoices } from '../spool/session-env';
import { readSessionState, type SessionState } from '../spool/sessions';
import { makeRedactor, type Redactor } from '../trace/redact';
import type { ClosedTurn, ComposeContext, SubagentRollout } from './closed-turn';
import { agentSecrets } from './compose';
import { deliverDue, waitForLock } from './deliver';
import { type BuildJob, type BuildOutcome, build, type Composer, captureMode } from './run';

const DAY_MS = 86_400_000;

/**
 * `--since`: `<N>d` (N days before `nowMs`), an ISO 8601 date (`2026-11-01`, midnight UTC) or date-time
 * (`2026-11-01T09:30`, local time unless it names a zone). The epoch ms, or null when it is neither.
 */
export function parseSince(text: string, nowMs: number): number | null {
  const value = text.trim();
  const days = /^(\d{1,5})d$/.exec(value);
  if (days) return nowMs - Number(days[1]) * DAY_MS;
  const iso = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!iso) return null;
  const ms = Date.parse(value);
  // Date.parse rolls 2026-02-30 over into March: a day that does not exist is refused instead.
  if (Number.isNaN(ms) || new Date(Date.parse(iso[1] as string)).toISOString().slice(0, 10) !== iso[1]) {
    return null;
  }
  return ms;
}

/** Why a turn is not imported. */
export type SkipReason =
  | 'traced'
  /** Traced live by a Codex whose hooks gave no turn id (0.114-0.116): its keys cannot be matched. */
  | 'traced_without_ids'
  | 'in_progress'
  | 'no_agent'
  | 'paused'
  | 'config_error'
  /**
   * Made while our hooks were installed, which kept nothing of it: tracing was off in that session (or the
   * project paused). Imported only with `includeUnrecorded`.
   */
  | 'unrecorded';

export interface PlannedTurn {
  number: number;
  turnId?: string;
  /** The trace key the live worker gives this turn (or, per-session granularity, the session's trace). */
  key: string;
  startedAtMs: number;
  /** A one-line excerpt of the prompt of a turn to import, redacted as the trace would be; absent in metadata mode. */
  prompt?: string;
  cwd: string;
  action: 'import' | 'skip';
  reason?: SkipReason;
  /** For `config_error`: what is wrong with the config file. */
  detail?: string;
  /** Sub-agent threads whose turns ran for this one (nested in its trace). */
  subagents?: number;
}

export interface PlannedSession {
  sessionId: string;
  /** The rollout file the turns are read from. */
  path: string;
  cwd: string;
  /** The project name traces carry (the first configured turn's), null when no agent is configured. */
  project: string | null;
  /** One trace for the whole session (per-session granularity) instead of one per turn. */
  wholeSession: boolean;
  turns: PlannedTurn[];
  /** Kept for the run (never shown or written): the rollout as read, and each turn's configuration. */
  read: PastSession;
  configs: Map<number, ResolvedConfig>;
  /** The sub-agent rollouts of each turn, by turn number. */
  subagents: Map<number, SubagentRollout[]>;
}

export interface ImportPlan {
  sessions: PlannedSession[];
  /** Rollouts of sub-agent threads: their turns belong to their parent's, not imported on their own. */
  subagentRollouts: number;
  /** Files named like rollouts that could not be read as one. */
  unreadable: number;
}

export interface PlanOptions {
  /** Only turns that started at or after this time (epoch ms). */
  sinceMs: number;
  /** Only sessions whose folder is this one or inside it. */
  project?: string;
  /** Also turns made while our hooks were installed that they kept nothing of (see SkipReason). */
  includeUnrecorded?: boolean;
}

/** The rollout files there are to look at, or null when $CODEX_HOME holds no sessions folder at all. */
export async function pastRollouts(env: Env): Promise<string[] | null> {
  const home = codexHome(env);
  if (!existsSync(`${home}${sep}sessions`) && !existsSync(`${home}${sep}archived_sessions`)) return null;
  return listRolloutFiles(home);
}

/**
 * What an import would do: each session with a turn at or after `sinceMs` (in `project`), each turn with
 * its key and whether it is imported or why not. Reads only; the run re-checks every turn under the lock.
 */
export async function planImport(
  env: Env,
  files: readonly string[],
  options: PlanOptions,
): Promise<ImportPlan> {
  const paths = spoolPaths(env);
  const traced = tracedKeys(paths);
  const plan: ImportPlan = { sessions: [], subagentRollouts: 0, unreadable: 0 };
  const seen = new Set<string>();
  const configs = new Map<string, ResolvedConfig | null | ConfigError>();
  const configFor = (cwd: string) => {
    if (!configs.has(cwd)) {
      try {
        configs.set(cwd, resolveConfig(cwd, env));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        configs.set(cwd, error);
      }
    }
    return configs.get(cwd) ?? null;
  };
  const live = options.includeUnrecorded ? [] : hooksLiveIntervals(env, hooksFilesWithOurs(env));
  const reads: PastSession[] = [];
  for (const file of files) {
    // A file last written before `sinceMs` holds no turn that started since: years of sessions are not read.
    if (modifiedAtMs(file) < options.sinceMs) continue;
    const read = await readPastSession(file);
    if (read) reads.push(read);
    else plan.unreadable += 1;
  }
  const threads = subagentThreads(reads);
  // Codex records the folder as the shell named it or as its real path: a folder given through a link
  // matches either.
  const projectRoots = options.project === undefined ? null : [options.project, realPath(options.project)];
  for (const read of reads) {
    if (read.session.parentThreadId) {
      plan.subagentRollouts += 1;
      continue;
    }
    const sessionId = read.session.id as string;
    const cwd = read.cwd ?? read.turns[0]?.cwd ?? '';
    // A session archived (or copied) keeps its id: the first file found is the one read.
    if (seen.has(sessionId) || cwd === '') continue;
    if (projectRoots && !projectRoots.some((root) => insideFolder(root, cwd))) continue;
    const recent = read.turns.filter((turn) => turn.startedAtMs >= options.sinceMs);
    if (recent.length === 0) continue;
    seen.add(sessionId);
    const planned = planSession(env, paths, traced, read, recent, configFor, live);
    const children = threads.get(sessionId) ?? [];
    const ownTurns = new Set(read.turns.flatMap((t) => (t.turnId ? [t.turnId] : [])));
    for (const [index, turn] of children.length > 0 ? recent.entries() : []) {
      const found = subagentsOfTurn(ownTurns, turn, children);
      if (found.length === 0) continue;
      planned.subagents.set(turn.number, found);
      (planned.turns[index] as PlannedTurn).subagents = found.length;
    }
    plan.sessions.push(planned);
  }
  return plan;
}

/** The user's and the managed (`init --system`) hooks files that hold our hooks. */
function hooksFilesWithOurs(env: Env): string[] {
  return [userHooksFile(codexHome(env)), systemHooksFile(env)].filter((file) => {
    try {
      return holdsOurHooks(file);
    } catch {
      return false; // not one we can read
    }
  });
}

function modifiedAtMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Deepest sub-agent nesting followed up to its root thread. */
const MAX_SUBAGENT_DEPTH = 16;

/**
 * Sub-agent rollouts by the root session they work for: a sub-agent's session_meta names its parent
 * thread, which may be a sub-agent itself; the live worker, too, nests every sub-agent of a session under
 * the root thread's turn (their hook events all come under the root session).
 */
function subagentThreads(reads: readonly PastSession[]): Map<string, PastSession[]> {
  const byId = new Map(reads.map((read) => [read.session.id as string, read]));
  const threads = new Map<string, PastSession[]>();
  for (const read of reads) {
    const first = read.session.parentThreadId;
    if (!first) continue;
    let root: string = first;
    for (let depth = 0; depth < MAX_SUBAGENT_DEPTH; depth += 1) {
      const parent: string | undefined = byId.get(root)?.session.parentThreadId;
      if (!parent) break;
      root = parent;
    }
    threads.set(root, [...(threads.get(root) ?? []), read]);
  }
  return threads;
}

/**
 * The sub-agent turns that ran for `turn`: those whose task_started names it as their root turn (Codex
 * 0.169+), else, in files that do not say, those that started while it ran. A sub-agent file may replay its
 * parent's history: turns of the parent itself are not the sub-agent's.
 */
function subagentsOfTurn(
  parentTurns: ReadonlySet<string>,
  turn: PastTurn,
  threads: readonly PastSession[],
): SubagentRollout[] {
  const found: SubagentRollout[] = [];
  for (const thread of threads) {
    const turnIds = thread.turns
      .filter((child) => child.turnId && !parentTurns.has(child.turnId))
      .filter((child) =>
        child.rootTurnId
          ? child.rootTurnId === turn.turnId
          : child.startedAtMs >= turn.startedAtMs && child.startedAtMs <= turn.lastAtMs,
      )
      .map((child) => child.turnId as string);
    if (turnIds.length > 0) found.push({ agentId: thread.session.id as string, path: thread.path, turnIds });
  }
  return found;
}

function planSession(
  env: Env,
  paths: SpoolPaths,
  traced: TracedKeys,
  read: PastSession,
  recent: PastTurn[],
  configFor: (cwd: string) => ResolvedConfig | null | ConfigError,
  /** When our hooks were installed: a turn then went through them (none: do not judge). */
  live: readonly LiveInterval[],
): PlannedSession {
  const sessionId = read.session.id as string;
  const sessionCwd = read.cwd ?? recent[0]?.cwd ?? '';
  const first = configFor(recent[0]?.cwd ?? sessionCwd);
  const firstConfig = first instanceof ConfigError ? null : first;
  const wholeSession = firstConfig?.granularity === 'session';
  const state = readSessionState(paths, sessionId);
  const numbered = tracedWithoutTurnIds(sessionId, state.built, traced);
  const open = recent.some((turn) => turn.end === 'open');
  const configs = new Map<number, ResolvedConfig>();
  const turns = recent.map((turn): PlannedTurn => {
    const cwd = turn.cwd ?? sessionCwd;
    const config = configFor(cwd);
    const key = wholeSession
      ? traceKey(sessionId, 'session-1')
      : traceKey(sessionId, turn.turnId ?? `t${turn.number}`);
    const planned: PlannedTurn = {
      number: turn.number,
      ...(turn.turnId ? { turnId: turn.turnId } : {}),
      key,
      startedAtMs: turn.startedAtMs,
      cwd,
      action: 'skip',
    };
    if (config instanceof ConfigError) return { ...planned, reason: 'config_error', detail: config.message };
    if (!config) return { ...planned, reason: 'no_agent' };
    configs.set(turn.number, config);
    const pauseKey = config.projectRoot ?? cwd;
    if (isPaused(pauseKey, env) || pausedDuring(pauseKey, turn.startedAtMs, turn.lastAtMs, env)) {
      return { ...planned, reason: 'paused' };
    }
    if (turn.end === 'open' || (wholeSession && open)) return { ...planned, reason: 'in_progress' };
    if (alreadyTraced(sessionId, key, wholeSession, state, traced)) return { ...planned, reason: 'traced' };
    if (numbered) return { ...planned, reason: 'traced_without_ids' };
    if (ranWhileLive(live, turn.startedAtMs, turn.lastAtMs)) {
      return { ...planned, reason: 'unrecorded' };
    }
    // Only a turn to import shows its prompt: a skipped one may come from a session whose own content mode
    // (metadata) the listing cannot know.
    return { ...planned, prompt: promptExcerpt(turn.prompt, config), action: 'import' };
  });
  return {
    sessionId,
    path: read.path,
    cwd: sessionCwd,
    project: firstConfig?.projectName ?? [...configs.values()][0]?.projectName ?? null,
    wholeSession,
    turns,
    read,
    configs,
    subagents: new Map(),
  };
}

/** How much of a prompt a listing shows. */
const PROMPT_EXCERPT_CHARS = 60;

/** A redactor per configuration (configurations are resolved once per folder): compiling one is not cheap. */
const redactors = new WeakMap<object, Redactor>();
const NO_CONFIG = {};

/** The prompt's start, on one line and redacted as its trace would be; nothing in metadata mode. */
function promptExcerpt(prompt: string | undefined, config: ResolvedConfig | null): string | undefined {
  if (prompt === undefined || config?.contentMode === 'metadata') return undefined;
  let redact = redactors.get(config ?? NO_CONFIG);
  if (!redact) {
    redact = makeRedactor(config?.redactPatterns ?? [], config?.contentMode !== 'full');
    redactors.set(config ?? NO_CONFIG, redact);
  }
  const line = redact(prompt.slice(0, 4_000)).replace(/\s+/g, ' ').trim();
  if (line === '') return undefined;
  return line.length > PROMPT_EXCERPT_CHARS ? `${line.slice(0, PROMPT_EXCERPT_CHARS - 1)}…` : line;
}

interface TracedKeys {
  /** Keys in the outbox, dead/, acceptance marks and the history. */
  keys: Set<string>;
  /** The session part (`safeName(session id)`) of each of those keys. */
  sessions: Set<string>;
}

/**
 * Every trace key this machine still knows of, built or sent (session states are checked on their own):
 * the history (its last two files), the outbox, dead/, and the bodies kept of sent traces (the last 500).
 */
function tracedKeys(paths: SpoolPaths): TracedKeys {
  const keys = new Set<string>([
    ...readHistoryRecords(paths).map((record) => record.key),
    ...readOutbox(paths).map((entry) => entry.key),
    ...readDead(paths).map((entry) => entry.key),
    ...readAcceptedMarks(paths).map((mark) => mark.entry.key),
    ...savedPayloadKeys(paths),
  ]);
  return { keys, sessions: new Set([...keys].map((key) => key.slice(0, key.indexOf('~')))) };
}

/**
 * Whether the trace of `key` is known here: in the session state's `built` or among `traced`. Per-session
 * granularity: the session's one trace is made only for a session never traced at all (the live worker's
 * trace of it would hold the same turns). The plan and the run under the lock judge by this one rule.
 */
function alreadyTraced(
  sessionId: string,
  key: string,
  wholeSession: boolean,
  state: SessionState,
  traced: TracedKeys,
): boolean {
  if (wholeSession) {
    return state.turnCount > 0 || state.built.length > 0 || traced.sessions.has(safeName(sessionId));
  }
  return state.built.includes(key) || traced.keys.has(key);
}

/**
 * Whether a turn of the session was traced under a numbered key (`t<n>`: the live worker's key for a turn
 * whose hooks named no turn id, Codex 0.114-0.116). Its turns cannot be matched to the rollout's turn ids,
 * so none of them is imported: a turn sent twice is worse than one not imported.
 */
function tracedWithoutTurnIds(sessionId: string, built: readonly string[], traced: TracedKeys): boolean {
  const prefix = `${safeName(sessionId)}~`;
  const numbered = (key: string) => key.startsWith(prefix) && /^t\d+$/.test(key.slice(prefix.length));
  return (
    built.some(numbered) || (traced.sessions.has(safeName(sessionId)) && [...traced.keys].some(numbered))
  );
}

export interface ImportProgress {
  sessionsDone: number;
  turnsDone: number;
  sent: number;
  failed: number;
}

export interface ImportOptions {
  composer: Composer;
  /** Called after each turn and each session. */
  onProgress?(progress: ImportProgress): void;
  /**
   * Starts the detached worker: for a rerun request a hook left while this import held the lock, and at
   * the end, as after a live turn, to fetch Maestro's evaluations of what was sent (and look at the spool).
   */
  startWorker(): void;
  /** How long to wait for a running worker to free the lock, per session (default 60 s). */
  lockWaitMs?: number;
  now?: () => number;
}

export interface ImportResult {
  /** Traces built by this run (one per turn; one per session for per-session granularity). */
  built: number;
  /** The turns those traces hold. */
  turns: number;
  /** Of those, accepted by Infinium. */
  sent: number;
  /** Still in the outbox: to be retried by the worker, or waiting for a secret. */
  queued: number;
  /** Moved to dead/ (refused for good), or could not be built. */
  failed: number;
  /** Found built or sent by a live worker meanwhile: not built again. */
  tracedMeanwhile: number;
  /** A worker kept the lock past the wait: the sessions left were not imported. */
  busy: boolean;
}

const DEFAULT_LOCK_WAIT_MS = 60_000;

/**
 * Imports what `plan` marks for import, session by session, each under the worker lock: every turn is
 * checked again there (a live worker may have built it since the plan), built into the outbox with the
 * session state's `built` updated as the live worker does, then the outbox is sent. The lock is released
 * between sessions, so live turns are not held up by a long import.
 */
export async function runImport(env: Env, plan: ImportPlan, options: ImportOptions): Promise<ImportResult> {
  const paths = spoolPaths(env);
  const now = options.now ?? Date.now;
  const result: ImportResult = {
    built: 0,
    turns: 0,
    sent: 0,
    queued: 0,
    failed: 0,
    tracedMeanwhile: 0,
    busy: false,
  };
  const progress: ImportProgress = { sessionsDone: 0, turnsDone: 0, sent: 0, failed: 0 };
  const ours: string[] = [];
  const capture = captureMode(env);
  for (const session of plan.sessions) {
    const units = importUnits(session);
    if (units.length === 0) {
      progress.sessionsDone += 1;
      options.onProgress?.({ ...progress });
      continue;
    }
    const lock = await waitForLock(env, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
    if (!lock) {
      result.busy = true;
      break;
    }
    try {
      const traced = tracedKeys(paths);
      const state = readSessionState(paths, session.sessionId);
      // Numbered keys come only from a live worker, which cannot run while this holds the lock.
      const numbered = tracedWithoutTurnIds(session.sessionId, state.built, traced);
      const secrets = new Map<string, readonly string[]>();
      for (const unit of units) {
        if (
          numbered ||
          alreadyTraced(session.sessionId, unit.key, session.wholeSession, state, traced) ||
          alreadyQueued(paths, unit.key)
        ) {
          result.tracedMeanwhile += 1;
        } else {
          const agentId = `${unit.config.agentId}@${unit.config.baseUrl}`;
          if (!secrets.has(agentId)) secrets.set(agentId, await agentSecrets(unit.config, session.sessionId));
          const outcome = await buildUnit(paths, lock, state, unit, ownChoices(env), options.composer, {
            config: unit.config,
            capture,
            nowMs: now(),
            rolloutSettleMs: 0,
            imported: true,
            agentSecrets: secrets.get(agentId),
          });
          if (outcome === 'built') {
            result.built += 1;
            result.turns += unit.turns.length;
            ours.push(unit.key);
          } else if (outcome === 'failed') {
            result.failed += 1;
            progress.failed += 1;
          } else result.tracedMeanwhile += 1;
        }
        progress.turnsDone += unit.turns.length;
        options.onProgress?.({ ...progress });
      }
      await deliverDue(env, lock, { now });
      lock.verify();
    } catch (error) {
      if (!(error instanceof LockLostError)) throw error;
      appendLog(paths.workerLog, `import: ${error.message}`);
    } finally {
      lock.release();
    }
    const delivered = deliveredSoFar(paths, ours);
    progress.sent = delivered.sent;
    progress.failed = delivered.dead + result.failed;
    progress.sessionsDone += 1;
    options.onProgress?.({ ...progress });
    // A hook that found the lock ours asked for a worker: one runs now that it is free (after the last
    // session, the one started below).
    if (existsSync(paths.rerun) && session !== plan.sessions.at(-1)) options.startWorker();
  }
  const delivered = deliveredSoFar(paths, ours);
  result.sent = delivered.sent;
  result.failed += delivered.dead;
  result.queued = ours.length - delivered.sent - delivered.dead;
  if (ours.length > 0 || existsSync(paths.rerun)) options.startWorker();
  return result;
}

/** Of the traces built by this run, how many Infinium accepted and how many moved to dead/. */
function deliveredSoFar(paths: SpoolPaths, keys: readonly string[]): { sent: number; dead: number } {
  const sent = new Set(
    readHistoryRecords(paths)
      .filter((record) => record.status === 'sent')
      .map((record) => record.key),
  );
  let sentCount = 0;
  let dead = 0;
  for (const key of keys) {
    if (sent.has(key)) sentCount += 1;
    else if (existsSync(deadFile(paths, key))) dead += 1;
  }
  return { sent: sentCount, dead };
}

/** What one trace is made of: one turn, or (per-session granularity) every turn of the session. */
interface ImportUnit {
  key: string;
  turnKey: string;
  turns: ClosedTurn[];
  /** Where reading starts in the rollout: the first turn's first line. */
  start: RolloutCursor;
  config: ResolvedConfig;
}

function importUnits(session: PlannedSession): ImportUnit[] {
  const units: ImportUnit[] = [];
  const wanted = session.turns.filter((turn) => turn.action === 'import');
  const pastTurn = (number: number) => session.read.turns[number - 1] as PastTurn;
  const closed = (planned: PlannedTurn): ClosedTurn => {
    const past = pastTurn(planned.number);
    return {
      sessionId: session.sessionId,
      turnId: past.turnId ?? null,
      cwd: planned.cwd,
      transcriptPath: session.path,
      events: [],
      // An unfinished turn (no end line, a later turn began) is closed as the live worker closes a silent one.
      ending: past.end === 'aborted' ? 'interrupt' : past.end === 'complete' ? 'stop' : 'stale',
      turnNumber: planned.number,
      subagentRollouts: session.subagents.get(planned.number) ?? [],
    };
  };
  if (session.wholeSession) {
    const first = wanted[0];
    const config = first && session.configs.get(first.number);
    if (first && config) {
      units.push({
        key: first.key,
        turnKey: 'session',
        turns: wanted.map(closed),
        start: pastTurn(first.number).start,
        config,
      });
    }
    return units;
  }
  for (const planned of wanted) {
    const config = session.configs.get(planned.number);
    if (!config) continue;
    units.push({
      key: planned.key,
      turnKey: planned.turnId ?? `t${planned.number}`,
      turns: [closed(planned)],
      start: pastTurn(planned.number).start,
      config,
    });
  }
  return units;
}

/**
 * Builds one unit with run.ts's `build` (outbox, then the session state's `built`), so the live worker
 * finds it built. Each turn is read from its own start in the rollout; the session's cursor is left where
 * the live worker had it (an imported turn is usually far behind it).
 */
async function buildUnit(
  paths: SpoolPaths,
  lock: HeldLock,
  state: SessionState,
  unit: ImportUnit,
  choices: OutboxEntry['choices'],
  composer: Composer,
  ctx: ComposeContext,
): Promise<BuildOutcome> {
  const job: BuildJob = {
    key: unit.key,
    turnKey: unit.turnKey,
    turns: unit.turns,
    config: unit.config,
    secret: 'stored',
    choices,
    files: [],
    nowMs: ctx.nowMs,
    compose: async (cursor) => {
      const composed =
        unit.turnKey === 'session'
          ? await composer.composeSessionTrace(unit.turns, ctx, unit.start)
          : await composer.composeTurnTrace(unit.turns[0] as ClosedTurn, ctx, unit.start);
      return { taskData: composed.taskData, cursor };
    },
  };
  return build(paths, lock, state, job);
}
