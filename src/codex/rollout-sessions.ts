// Past Codex sessions on this machine, for `infinium-codex import`: every rollout file under
// $CODEX_HOME/sessions (YYYY/MM/DD/rollout-<time>-<session id>.jsonl) and $CODEX_HOME/archived_sessions,
// each read whole into its turns. Prompt text stays in memory: nothing here is written anywhere.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionFacts } from './rollout';
import { cursorAt, emptyState, type RolloutCursor, RolloutScanner, readSessionMeta } from './rollout-reader';

/** How a turn stands in its rollout. */
export type RolloutTurnEnd =
  /** task_complete was written. */
  | 'complete'
  /** turn_aborted was written (an interrupt). */
  | 'aborted'
  /** No end line, but a later turn started: Codex moved on without writing one (older builds, a crash). */
  | 'unfinished'
  /** The session's last turn, with no end line yet: still in progress, or Codex died in it. */
  | 'open';

export interface PastTurn {
  /** Codex's turn id (turn_context / task_started); absent in files of Codex builds that wrote none. */
  turnId?: string;
  /** The root thread's turn this one runs for (task_started, 0.169+): a sub-agent's names its parent's. */
  rootTurnId?: string;
  /** 1-based position in the rollout. */
  number: number;
  /** The turn's first and last line (epoch ms). */
  startedAtMs: number;
  lastAtMs: number;
  /** The user's prompt, as Codex recorded it (unredacted: for the caller to redact before showing it). */
  prompt?: string;
  /** The turn's working folder (its turn_context), else the session's. */
  cwd?: string;
  end: RolloutTurnEnd;
  /** The reader's cursor at the turn's first line: the worker composes the turn from there. */
  start: RolloutCursor;
}

export interface PastSession {
  path: string;
  session: SessionFacts;
  /** Where the session started (session_meta). */
  cwd?: string;
  turns: PastTurn[];
}

/** Folder levels below sessions/ (YYYY/MM/DD) and archived_sessions/ that are searched for rollouts. */
const MAX_DEPTH = 4;

/**
 * Every rollout file (`rollout-*.jsonl`) under `$CODEX_HOME/sessions` and `$CODEX_HOME/archived_sessions`,
 * sorted by name (which starts with the session's start time). Folders that cannot be read are passed over.
 */
export async function listRolloutFiles(codexHome: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isFile() && /^rollout-.*\.jsonl$/.test(entry.name)) found.push(path);
      else if (entry.isDirectory() && depth > 0) await walk(path, depth - 1);
    }
  };
  await walk(join(codexHome, 'sessions'), MAX_DEPTH);
  await walk(join(codexHome, 'archived_sessions'), MAX_DEPTH);
  const name = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  return found.sort((a, b) => name(a).localeCompare(name(b)));
}

/**
 * A rollout read whole into its turns, in order. Null when the file cannot be read or does not open with
 * a session_meta line naming the session (not a rollout we understand).
 */
export async function readPastSession(path: string): Promise<PastSession | null> {
  const meta = await readSessionMeta(path);
  if (!meta?.session.id) return null;
  // An outline: a session of hundreds of MB is listed without holding its outputs.
  const scanner = new RolloutScanner(path, emptyState(), 'all');
  try {
    await scanner.readMore();
  } catch {
    return null;
  }
  const last = scanner.turns.length - 1;
  const turns = scanner.turns.map((turn, index): PastTurn => {
    const records = turn.records;
    const context = records.find((record) => record.kind === 'turn_context');
    const prompt = records.find((record) => record.kind === 'user_prompt');
    const started = records.find((record) => record.kind === 'task_started');
    const endLine = records.findLast((r) => r.kind === 'task_complete' || r.kind === 'turn_aborted');
    let end: RolloutTurnEnd;
    if (endLine) end = endLine.kind === 'turn_aborted' ? 'aborted' : 'complete';
    else end = index === last && !turn.ended ? 'open' : 'unfinished';
    return {
      ...(turn.turnId ? { turnId: turn.turnId } : {}),
      ...(started?.kind === 'task_started' && started.rootTurnId ? { rootTurnId: started.rootTurnId } : {}),
      number: index + 1,
      startedAtMs: records[0]?.atMs ?? 0,
      lastAtMs: turn.lastAtMs ?? records.at(-1)?.atMs ?? 0,
      ...(prompt?.kind === 'user_prompt' ? { prompt: prompt.text } : {}),
      cwd: (context?.kind === 'turn_context' ? context.cwd : undefined) ?? meta.cwd,
      end,
      start: cursorAt(path, turn.start),
    };
  });
  return { path, session: meta.session, ...(meta.cwd ? { cwd: meta.cwd } : {}), turns };
}
