// The glue between a closed turn and its trace: reads the turn from the rollout (incrementally, from the
// session's cursor), the sub-agents' own rollouts, git and OS facts, then hands everything to the pure
// builder in src/trace. The cursor it returns holds only offsets, ids, counters and model/version facts;
// a turn whose end is not on disk yet leaves the cursor at the turn's start, so the next read sees it whole.
import { readFile } from 'node:fs/promises';
import { arch, type as osType, release } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import pkg from '../../package.json';
import {
  cursorAt,
  emptyState,
  locateRollout,
  type RolloutCursor,
  RolloutScanner,
  type RolloutTurn,
} from '../codex/rollout-reader';
import { loadSecret } from '../config/credentials';
import { codexHome, withoutAgentSecret } from '../config/paths';
import { readHead } from '../git/head';
import type { TaskData } from '../infinium/task-data';
import { spoolPaths } from '../spool/layout';
import { beforeBlockingWork } from '../spool/lock';
import { SECRET_VAR } from '../spool/session-env';
import { readSessionSecret } from '../spool/session-secrets';
import {
  buildSessionTrace,
  buildTurnTrace,
  type EnvironmentFacts,
  type RolloutTurnFacts,
  type SubagentFacts,
  type TraceOptions,
  type TurnTraceInput,
} from '../trace/build';
import type { GitEvidence } from '../trace/outcome';
import type { ClosedTurn, ComposeContext, SpooledEvent, SubagentRollout } from './closed-turn';
import { turnGitEvidence } from './evidence';
import { rootRollout, scanRootTurn, UNREADABLE } from './rollout-status';
import { timed, timedSync } from './timing';

export type { RolloutCursor } from '../codex/rollout-reader';

const SETTLE_POLL_MS = 25;

export interface ComposedTrace {
  taskData: TaskData;
  cursor: RolloutCursor | undefined;
}

/** The trace of one closed turn, and the session's cursor after it. */
export async function composeTurnTrace(
  turn: ClosedTurn,
  ctx: ComposeContext,
  cursor: RolloutCursor | undefined,
): Promise<ComposedTrace> {
  const [[gathered, environment], git] = await Promise.all([
    timed('rollout read', () =>
      Promise.all([gatherTurn(turn, ctx, cursor), environmentFacts(turn.cwd, ctx)]),
    ),
    timed('git evidence', () => gitEvidence(turn, turn.turnId ?? `t${turn.turnNumber}`, ctx)),
  ]);
  const options = await traceOptions(ctx, turn.sessionId);
  const input = { ...gathered.input, environment, git };
  return {
    taskData: timedSync('build', () => {
      beforeBlockingWork(textChars(input));
      return buildTurnTrace(input, options);
    }),
    cursor: gathered.cursor,
  };
}

/** One trace for a whole session's turns (per-session granularity), in order. */
export async function composeSessionTrace(
  turns: ClosedTurn[],
  ctx: ComposeContext,
  cursor: RolloutCursor | undefined,
): Promise<ComposedTrace> {
  const first = turns[0];
  if (!first) throw new Error('composeSessionTrace needs at least one turn');
  const { inputs, current } = await timed('rollout read', async () => {
    const environment = await environmentFacts(first.cwd, ctx);
    const read: TurnTraceInput[] = [];
    let current = cursor;
    for (const turn of turns) {
      const gathered = await gatherTurn(turn, ctx, current);
      current = gathered.cursor;
      read.push({ ...gathered.input, environment });
    }
    return { inputs: read, current };
  });
  const last = turns.at(-1) as ClosedTurn;
  const lastInput = inputs.at(-1) as TurnTraceInput;
  lastInput.git = await timed('git evidence', () =>
    gitEvidence(last, `session:${last.turnId ?? `t${last.turnNumber}`}`, ctx),
  );
  const options = await traceOptions(ctx, first.sessionId);
  const taskData = timedSync('build', () => {
    beforeBlockingWork(textChars(inputs));
    return buildSessionTrace(inputs, options);
  });
  return { taskData, cursor: current };
}

/**
 * The characters of every text in a build's input: what the build (redaction above all) takes time in
 * proportion to. Without recursion: a rollout record may nest deeply.
 */
function textChars(input: unknown): number {
  let chars = 0;
  const stack: unknown[] = [input];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') chars += value.length;
    else if (value && typeof value === 'object') for (const item of Object.values(value)) stack.push(item);
  }
  return chars;
}

/** What git says the turn changed; never fails the trace (a failure is evidence `unavailable`). */
async function gitEvidence(turn: ClosedTurn, key: string, ctx: ComposeContext): Promise<GitEvidence> {
  if (ctx.imported) {
    return {
      available: false,
      reason: 'traced afterwards by import: the working tree has changed since the turn',
    };
  }
  try {
    return await turnGitEvidence(process.env, turn.sessionId, key, turn.cwd);
  } catch {
    return { available: false, reason: 'git evidence could not be gathered' };
  }
}

async function traceOptions(ctx: ComposeContext, sessionId: string): Promise<TraceOptions> {
  return {
    contentMode: ctx.config.contentMode,
    redactPatterns: ctx.config.redactPatterns,
    agentSecrets: ctx.agentSecrets ?? (await agentSecrets(ctx.config, sessionId)),
    capture: ctx.capture,
    nowMs: ctx.nowMs,
    measureRedaction: (run) => timedSync('redaction', run),
  };
}

/**
 * Every secret the trace may be sent with (src/worker/trace-secret.ts picks one of them): the session's
 * own, the stored one, the worker's environment's. The builder scrubs them all from every text, whatever
 * the content mode.
 */
export async function agentSecrets(
  target: { agentId: string; baseUrl: string },
  sessionId: string,
): Promise<string[]> {
  const env = process.env;
  const stored = await timed('keyring', () =>
    loadSecret(target.agentId, target.baseUrl, { env: withoutAgentSecret(env) }),
  );
  return [stored?.secret, env[SECRET_VAR], readSessionSecret(spoolPaths(env), sessionId)].filter(
    (secret): secret is string => !!secret,
  );
}

async function gatherTurn(
  turn: ClosedTurn,
  ctx: ComposeContext,
  cursor: RolloutCursor | undefined,
): Promise<{ input: Omit<TurnTraceInput, 'environment'>; cursor: RolloutCursor | undefined }> {
  const rootEvents = turn.events.filter((event) => !event.payload.agent_id);
  const base = {
    sessionId: turn.sessionId,
    turnId: turn.turnId,
    turnNumber: turn.turnNumber,
    ending: turn.ending,
    events: rootEvents,
    subagents: turn.subagentRollouts
      ? await rolloutSubagents(turn.subagentRollouts)
      : await subagentFacts(turn.events),
  };
  const path = await rootRollout(turn, cursor);
  if (path === null) {
    // No event named a rollout and none was found: an ephemeral session (nothing missing), else lost.
    return { input: { ...base, rollout: null, rolloutMissing: turn.transcriptPath !== null }, cursor };
  }

  let read: Awaited<ReturnType<typeof readRootTurn>>;
  try {
    read = await readRootTurn(path, turn, ctx, cursor);
  } catch (error) {
    // A rollout we may not read (or that vanished meanwhile) will not get better: send what the hooks
    // saw. Anything else (out of file handles, ...) is thrown so the worker tries again later.
    if (!UNREADABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return { input: { ...base, rollout: null, rolloutMissing: true }, cursor };
  }
  if (!read.turn) {
    // Codex said the turn ran (Stop, Interrupt) but its rollout holds no such turn: rewritten or cut.
    const ran = turn.ending === 'stop' || turn.ending === 'interrupt';
    const problem = `The session rollout holds no record of turn ${turn.turnId ?? turn.turnNumber}; tool detail is missing`;
    return {
      input: { ...base, rollout: null, rolloutMissing: ran, rolloutProblem: ran ? problem : undefined },
      cursor: read.cursor,
    };
  }
  return {
    input: { ...base, rollout: factsOf([read.turn], read.session), rolloutMissing: false },
    cursor: read.cursor,
  };
}

function factsOf(turns: RolloutTurn[], session: RolloutTurnFacts['session']): RolloutTurnFacts {
  const first = turns[0];
  return {
    records: turns.length === 1 && first ? first.records : turns.flatMap((turn) => turn.records),
    ended: turns.every((turn) => turn.ended),
    tokenBaseline: first?.tokenBaseline,
    modelBefore: first?.modelBefore,
    session,
  };
}

async function readRootTurn(
  path: string,
  turn: ClosedTurn,
  ctx: ComposeContext,
  cursor: RolloutCursor | undefined,
): Promise<{ turn?: RolloutTurn; session: RolloutTurnFacts['session']; cursor: RolloutCursor | undefined }> {
  const { scanner, pick, ...scanned } = await scanRootTurn(path, turn, cursor);
  let found = scanned.found;
  // Codex writes task_complete only after the Stop hook returns (turn_aborted likewise after Interrupt).
  if (found && !found.ended && (turn.ending === 'stop' || turn.ending === 'interrupt')) {
    for (let waited = 0; waited < ctx.rolloutSettleMs && !found.ended; waited += SETTLE_POLL_MS) {
      await new Promise((resolve_) =>
        setTimeout(resolve_, Math.min(SETTLE_POLL_MS, ctx.rolloutSettleMs - waited)),
      );
      await scanner.readMore();
      found = pick(scanner.turns) ?? found;
    }
  }
  const session = scanner.stateNow.session;
  if (!found) return { session, cursor };
  const state = found.ended && found.end ? found.end : found.start;
  return { turn: found, session, cursor: cursorAt(path, state) };
}

/** Sub-agent threads seen in the turn's events, each with its own rollout's turn(s) when readable. */
async function subagentFacts(events: readonly SpooledEvent[]): Promise<SubagentFacts[]> {
  const byAgent = new Map<string, SpooledEvent[]>();
  for (const event of events) {
    const agentId = event.payload.agent_id;
    if (!agentId) continue;
    const list = byAgent.get(agentId) ?? [];
    list.push(event);
    byAgent.set(agentId, list);
  }
  const rootPaths = new Set(
    events.flatMap((event) => (!event.payload.agent_id && event.payload.transcript_path) || []),
  );
  const result: SubagentFacts[] = [];
  for (const [agentId, agentEvents] of byAgent) {
    result.push({
      agentId,
      agentType: agentEvents.find((event) => event.payload.agent_type)?.payload.agent_type,
      rollout: await subagentRollout(agentEvents, rootPaths),
      events: agentEvents,
    });
  }
  return result;
}

/**
 * The child's rollout, from any of its events: SubagentStop names it as agent_transcript_path, the child's
 * own events (SubagentStart; in lean mode its UserPromptSubmit, the only one a sub-agent cut short by an
 * interrupt leaves) as transcript_path. `rootPaths` are the parent's rollout, which a child event may
 * name too.
 */
function childTranscript(
  events: readonly SpooledEvent[],
  rootPaths: ReadonlySet<string>,
): string | undefined {
  const stop = events.findLast((event) => event.payload.agent_transcript_path)?.payload.agent_transcript_path;
  if (stop) return stop;
  return (
    events.find((event) => event.payload.transcript_path && !rootPaths.has(event.payload.transcript_path))
      ?.payload.transcript_path ?? undefined
  );
}

async function subagentRollout(
  events: readonly SpooledEvent[],
  rootPaths: ReadonlySet<string>,
): Promise<RolloutTurnFacts | null> {
  const transcript = childTranscript(events, rootPaths);
  if (!transcript) return null;
  const path = await locateRollout(transcript, codexHome());
  if (!path) return null;
  const turnIds = [
    ...new Set(events.map((event) => event.payload.turn_id).filter((id): id is string => !!id)),
  ];
  return childTurns(path, turnIds);
}

/** Sub-agent threads an imported turn names by their rollouts (no hook event says anything of them). */
function rolloutSubagents(threads: readonly SubagentRollout[]): Promise<SubagentFacts[]> {
  return Promise.all(
    threads.map(async (thread) => ({
      agentId: thread.agentId,
      rollout: await childTurns(thread.path, thread.turnIds),
      events: [],
    })),
  );
}

/** The given turns of a sub-agent's rollout (its last one without ids); null when it cannot be read. */
async function childTurns(path: string, turnIds: readonly string[]): Promise<RolloutTurnFacts | null> {
  // A sub-agent file may open with its parent's replayed history: keep only the child's own turns.
  const scanner = new RolloutScanner(path, emptyState(), turnIds.length > 0 ? { turnIds } : 'last');
  try {
    await scanner.readMore();
  } catch {
    return null;
  }
  if (scanner.turns.length === 0) return null;
  return factsOf(scanner.turns, scanner.stateNow.session);
}

/** The machine's OS as traces name it, e.g. `Linux 6.1.0 (x64)`; the CLI's test trace uses it too. */
export function hostOs(): string {
  return `${osType()} ${release()} (${arch()})`;
}

async function environmentFacts(cwd: string, ctx: ComposeContext): Promise<EnvironmentFacts> {
  const git = ctx.imported ? {} : await gitFacts(cwd);
  const root = ctx.config.projectRoot;
  const shownCwd = root ? relative(root, cwd) || '.' : basename(resolve(cwd));
  return {
    project: ctx.config.projectName,
    cwd: isAbsolute(shownCwd) ? basename(shownCwd) : shownCwd,
    os: hostOs(),
    connectorVersion: pkg.version,
    gitBranch: git.branch,
    gitCommit: git.commit,
    ...(ctx.config.runId ? { runId: ctx.config.runId } : {}),
    ...(ctx.config.runLabel ? { runLabel: ctx.config.runLabel } : {}),
    ...(ctx.imported ? { imported: true } : {}),
  };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Branch and commit of the repository holding `cwd`, read from .git without spawning git. */
export async function gitFacts(cwd: string): Promise<{ branch?: string; commit?: string }> {
  let gitDir: string | undefined;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    const head = await readText(join(dotGit, 'HEAD'));
    if (head !== undefined) {
      gitDir = dotGit;
      break;
    }
    // A worktree or submodule: .git is a file naming the real git dir.
    const pointer = (await readText(dotGit))?.match(/^gitdir: (.+)$/m)?.[1]?.trim();
    if (pointer) {
      gitDir = resolve(dir, pointer);
      break;
    }
    if (dirname(dir) === dir) return {};
  }
  const { ref, commit } = readHead(gitDir);
  if (!ref) return commit ? { commit } : {};
  return { branch: ref.replace(/^refs\/heads\//, ''), ...(commit ? { commit } : {}) };
}
