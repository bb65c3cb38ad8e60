// The worker's memory of each Codex session between runs. Holds no prompt, command or output text: the
// rollout cursor is the trace side's opaque, text-free JSON.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, readOwnFile, type SpoolPaths, writeJsonAtomic } from './layout';

export interface SessionState {
  sessionId: string;
  /** Turns closed so far (numbers the next turn). */
  turnCount: number;
  /** The trace side's RolloutCursor, persisted as it was handed back. */
  cursor?: unknown;
  /** Keys of the turns already built (newest last, bounded): a turn found again is never built twice. */
  built: string[];
  /** Failed attempts to build a turn, by key: a turn that keeps failing is set aside, not retried forever. */
  buildFailures?: Record<string, number>;
  updatedAtMs: number;
}

const BUILT_KEPT = 200;
const SESSION_STATE_MAX_AGE_MS = 30 * 86_400_000;

function sessionFile(paths: SpoolPaths, sessionId: string): string {
  return join(paths.sessions, `${sessionId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function readSessionState(paths: SpoolPaths, sessionId: string): SessionState {
  try {
    const json = JSON.parse(readOwnFile(sessionFile(paths, sessionId), 'utf8')) as Partial<SessionState>;
    return {
      sessionId,
      turnCount: typeof json.turnCount === 'number' ? json.turnCount : 0,
      cursor: json.cursor,
      built: Array.isArray(json.built) ? json.built.filter((k) => typeof k === 'string') : [],
      buildFailures:
        typeof json.buildFailures === 'object' && json.buildFailures ? json.buildFailures : undefined,
      updatedAtMs: typeof json.updatedAtMs === 'number' ? json.updatedAtMs : 0,
    };
  } catch {
    return { sessionId, turnCount: 0, built: [], updatedAtMs: 0 };
  }
}

export function writeSessionState(paths: SpoolPaths, state: SessionState): void {
  ensureDir(paths.sessions);
  writeJsonAtomic(sessionFile(paths, state.sessionId), { ...state, built: state.built.slice(-BUILT_KEPT) });
}

/** Forgets sessions untouched for a month: a resumed session then starts counting turns afresh. */
export function pruneSessionStates(paths: SpoolPaths, nowMs: number): void {
  let names: string[];
  try {
    names = readdirSync(paths.sessions);
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(paths.sessions, name);
    try {
      if (nowMs - statSync(file).mtimeMs > SESSION_STATE_MAX_AGE_MS) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}

export interface SpoolCounters {
  /** Spool entries that could not be parsed, moved to spool/corrupt/. */
  corruptSkipped: number;
  /** Turns not traced because no agent was configured for their cwd, or the project was paused. */
  turnsDropped: number;
  /** Turns whose trace could not be built after several attempts (events moved to spool/corrupt/). */
  turnsFailed: number;
  lastRunAtMs?: number;
  /**
   * What the worker did with a session's own settings it could not use as given (the most private reading,
   * or its turns set aside), newest last, at most SETTING_NOTES_KEPT: `status` and `doctor` say it.
   */
  settingNotes?: string[];
  /** Why spooled turns wait, from the last pass (a broken config file, a project file awaiting consent). */
  waiting?: string[];
}

export const SETTING_NOTES_KEPT = 5;

export function readCounters(paths: SpoolPaths): SpoolCounters {
  try {
    const json = JSON.parse(readOwnFile(paths.stats, 'utf8')) as Partial<SpoolCounters>;
    return {
      corruptSkipped: Number(json.corruptSkipped) || 0,
      turnsDropped: Number(json.turnsDropped) || 0,
      turnsFailed: Number(json.turnsFailed) || 0,
      lastRunAtMs: typeof json.lastRunAtMs === 'number' ? json.lastRunAtMs : undefined,
      settingNotes: strings(json.settingNotes),
      waiting: strings(json.waiting),
    };
  } catch {
    return { corruptSkipped: 0, turnsDropped: 0, turnsFailed: 0 };
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function writeCounters(paths: SpoolPaths, counters: SpoolCounters): void {
  ensureDir(paths.spool);
  writeJsonAtomic(paths.stats, counters);
}
