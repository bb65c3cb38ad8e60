// What a session's rollout says before anything is built: whether a closed turn is over in it, and whether a
// session is a sub-agent's. Asked about every spooled session at each worker pass, so it is apart from the
// trace side (./compose.ts: the builder, the redaction rules, the price table), which a pass loads only
// when it has a turn to build.
import { stat } from 'node:fs/promises';
import {
  cursorFits,
  emptyState,
  findSessionRollout,
  isRolloutCursor,
  locateRollout,
  type RolloutCursor,
  RolloutScanner,
  type RolloutTurn,
  readSessionMeta,
  type TurnSelection,
} from '../codex/rollout-reader';
import { codexHome } from '../config/paths';
import type { ClosedTurn, SpooledEvent } from './closed-turn';

/** A rollout that cannot be read is none at all. */
export const UNREADABLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR']);

/**
 * The root thread's rollout: the path any event of the turn named (Codex may send `transcript_path: null`
 * in some payloads), else the one the session's cursor remembers, else the file named after the session
 * id under $CODEX_HOME/sessions. Null when there is none.
 */
export async function rootRollout(
  turn: ClosedTurn,
  cursor: RolloutCursor | undefined,
): Promise<string | null> {
  if (turn.transcriptPath !== null) {
    const located = await locateRollout(turn.transcriptPath, codexHome());
    if (located !== null) return located;
  }
  if (isRolloutCursor(cursor) && cursor.session.id === turn.sessionId) {
    const located = await locateRollout(cursor.path, codexHome());
    if (located !== null) return located;
  }
  return findSessionRollout(turn.sessionId, codexHome());
}

/**
 * The thread that spawned this session, when its rollout is a sub-agent's (session_meta
 * `source.subagent.thread_spawn.parent_thread_id`): before Codex 0.140 a sub-agent's hooks come under its
 * own session id with no `agent_id`, and src/worker/run.ts nests them under the parent. Reads only the
 * file's first line; null when it is no sub-agent or there is no rollout.
 */
export async function parentSession(
  sessionId: string,
  events: readonly SpooledEvent[],
): Promise<string | null> {
  if (events.some((event) => event.payload.agent_id)) return null;
  const named = events.find((event) => event.payload.transcript_path)?.payload.transcript_path;
  const path = named
    ? await locateRollout(named, codexHome())
    : await findSessionRollout(sessionId, codexHome());
  if (!path) return null;
  const key = `${sessionId}\0${path}`;
  if (!parents.has(key)) {
    const meta = await readSessionMeta(path);
    // No session_meta yet (a rollout Codex is still creating): asked again at the next pass.
    if (!meta) return null;
    if (parents.size >= PARENTS_KEPT) parents.clear();
    const parent = meta.session.parentThreadId;
    parents.set(key, parent && parent !== sessionId ? parent : null);
  }
  return parents.get(key) ?? null;
}

/**
 * What parentSession found, by session and rollout: a rollout's first line never changes, and a worker that
 * stays for its session asks at every pass (each event that wakes it).
 */
const parents = new Map<string, string | null>();
const PARENTS_KEPT = 1_000;

/** Where the rollout stands on a closed turn, before it is built (src/worker/run.ts waits on it). */
export interface RolloutTurnStatus {
  /**
   * `ended`: task_complete or turn_aborted is written (`aborted` says which); `open`: the turn is there
   * but not over; `absent`: the rollout is readable but holds no such turn (yet); `none`: no rollout.
   */
  state: 'ended' | 'open' | 'absent' | 'none';
  aborted?: boolean;
  /** When the rollout file last changed (epoch ms): a turn Codex still writes to is not abandoned. */
  changedAtMs?: number;
}

/** Reads the turn's rollout once, without waiting. */
export async function rolloutTurnStatus(
  turn: ClosedTurn,
  cursor: RolloutCursor | undefined,
): Promise<RolloutTurnStatus> {
  const path = await rootRollout(turn, cursor);
  if (path === null) return { state: 'none' };
  try {
    const { changedAtMs, found } = await scanRootTurn(path, turn, cursor);
    if (!found) return { state: 'absent', changedAtMs };
    if (!found.ended) return { state: 'open', changedAtMs };
    const aborted = found.records.some((record) => record.kind === 'turn_aborted');
    return { state: 'ended', aborted, changedAtMs };
  } catch (error) {
    if (UNREADABLE.has((error as NodeJS.ErrnoException).code ?? '')) return { state: 'none' };
    throw error;
  }
}

/** A scan of a turn's root rollout: the scanner (read to the file's end), and the turn it found there. */
export interface RootScan {
  scanner: RolloutScanner;
  pick: (turns: RolloutTurn[]) => RolloutTurn | undefined;
  found: RolloutTurn | undefined;
  /** When the rollout file last changed (epoch ms). */
  changedAtMs: number;
}

/**
 * The last scan of each turn: src/worker/run.ts asks where the rollout stands on a turn, then builds that
 * same turn from the same cursor (./compose.ts), so the build reads on from where the question stopped
 * instead of parsing the turn again (the rollout is appended to, never rewritten). Keyed by the turn
 * object, so it lives no longer than the pass that made it.
 */
const lastScans = new WeakMap<
  ClosedTurn,
  { path: string; cursor: RolloutCursor | undefined; scan: RootScan }
>();

export async function scanRootTurn(
  path: string,
  turn: ClosedTurn,
  cursor: RolloutCursor | undefined,
): Promise<RootScan> {
  const last = lastScans.get(turn);
  const scan =
    last && last.path === path && last.cursor === cursor
      ? await readOn(last.scan, path)
      : await freshScan(path, turn, cursor);
  lastScans.set(turn, { path, cursor, scan });
  return scan;
}

async function readOn(scan: RootScan, path: string): Promise<RootScan> {
  const changedAtMs = (await stat(path)).mtimeMs;
  await scan.scanner.readMore();
  return { ...scan, found: scan.pick(scan.scanner.turns), changedAtMs };
}

async function freshScan(
  path: string,
  turn: ClosedTurn,
  cursor: RolloutCursor | undefined,
): Promise<RootScan> {
  // Without a turn id (older Codex), the turn is the one whose prompt the hook saw, else the first one.
  const prompt = turn.events.find((event) => event.event === 'UserPromptSubmit')?.payload.prompt;
  const selection: TurnSelection = turn.turnId ? { turnIds: [turn.turnId] } : { prompt };
  const start = isRolloutCursor(cursor) && (await cursorFits(cursor, path)) ? cursor : undefined;
  const changedAtMs = (await stat(path)).mtimeMs;
  let scanner = new RolloutScanner(path, start ?? emptyState(), selection);
  await scanner.readMore();
  // A turn before the cursor (composed out of order, or a cursor from another file): read from the top.
  if (scanner.turns.length === 0 && start && start.offset > 0) {
    scanner = new RolloutScanner(path, emptyState(), selection);
    await scanner.readMore();
  }
  const pick = (turns: RolloutTurn[]) => turns.find((t) => scanner.promptMatches(t)) ?? turns[0];
  return { scanner, pick, found: pick(scanner.turns), changedAtMs };
}
