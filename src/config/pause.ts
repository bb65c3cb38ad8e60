// Paused projects, kept in our state dir (not in the project's own config, which may be committed).
// Turns of a paused project are dropped by the worker, not kept for later. Pause is judged at the time of
// the turn, not when the worker builds it (which may be much later: a worker busy sending, Infinium down):
// paused.json keeps when each pause began and ended, and a turn is dropped when any of its events arrived
// while its project was paused.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { type Env, statePaths } from './paths';
import { findProjectConfig } from './settings';

/** One pause: of a project root (or a session cwd), or of every project (`project: null`). */
export interface PausePeriod {
  project: string | null;
  /** When `pause` ran (epoch ms). */
  fromMs: number;
  /** When `resume` ran (epoch ms); absent while the pause lasts. */
  untilMs?: number;
}

export interface PauseState {
  /** Paused for every project now. */
  all: boolean;
  /** Absolute project roots (or session cwds, for sessions without a project) paused now. */
  projects: string[];
  /**
   * Every pause, ended ones included (kept PERIODS_KEPT_MS after they ended). A file written before these
   * were recorded reads as pauses since forever.
   */
  periods: PausePeriod[];
}

/** An ended pause is kept this long: a turn older than that has long been built or dropped. */
const PERIODS_KEPT_MS = 30 * 86_400_000;

export function readPauseState(env: Env = process.env): PauseState {
  let json: Partial<PauseState>;
  try {
    json = JSON.parse(readFileSync(statePaths(env).paused, 'utf8')) as Partial<PauseState>;
  } catch {
    return { all: false, projects: [], periods: [] };
  }
  const all = json.all === true;
  const projects = Array.isArray(json.projects) ? json.projects.filter((p) => typeof p === 'string') : [];
  const periods = Array.isArray(json.periods)
    ? json.periods.filter(
        (p): p is PausePeriod =>
          typeof p === 'object' &&
          p !== null &&
          (typeof p.project === 'string' || p.project === null) &&
          typeof p.fromMs === 'number' &&
          (p.untilMs === undefined || typeof p.untilMs === 'number'),
      )
    : sinceForever(all, projects);
  return { all, projects, periods };
}

function sinceForever(all: boolean, projects: string[]): PausePeriod[] {
  return [
    ...(all ? [{ project: null, fromMs: 0 }] : []),
    ...projects.map((project) => ({ project, fromMs: 0 })),
  ];
}

/**
 * Writes the pause state. `all` and `projects` are derived from the pauses still open; a state given
 * without `periods` (tests, hand-made files) means pauses since forever.
 */
export function writePauseState(
  state: Pick<PauseState, 'all' | 'projects'> & { periods?: PausePeriod[] },
  env: Env = process.env,
  nowMs = Date.now(),
): void {
  const periods = (state.periods ?? sinceForever(state.all, state.projects)).filter(
    (p) => p.untilMs === undefined || nowMs - p.untilMs < PERIODS_KEPT_MS,
  );
  const open = periods.filter((p) => p.untilMs === undefined);
  const written: PauseState = {
    all: open.some((p) => p.project === null),
    projects: [...new Set(open.flatMap((p) => (p.project === null ? [] : [p.project])))],
    periods,
  };
  writeFileAtomic(statePaths(env).paused, `${JSON.stringify(written, null, 2)}\n`, { mode: 0o600 });
}

/** Starts a pause of `project` (null: every project) at `nowMs`, unless one is already open. */
export function startPause(project: string | null, env: Env = process.env, nowMs = Date.now()): void {
  const state = readPauseState(env);
  if (state.periods.some((p) => p.project === project && p.untilMs === undefined)) return;
  writePauseState({ ...state, periods: [...state.periods, { project, fromMs: nowMs }] }, env, nowMs);
}

/** Ends the open pause of `project` at `nowMs`; `null` ends every open pause (`resume --all`). */
export function endPause(project: string | null, env: Env = process.env, nowMs = Date.now()): void {
  const state = readPauseState(env);
  const periods = state.periods.map((p) =>
    p.untilMs === undefined && (project === null || p.project === project) ? { ...p, untilMs: nowMs } : p,
  );
  writePauseState({ ...state, periods }, env, nowMs);
}

/** Whether turns in `projectKey` (a project root or a session cwd) are paused now. */
export function isPaused(projectKey: string, env: Env = process.env): boolean {
  const now = Date.now();
  return pausedDuring(projectKey, now, now, env);
}

/**
 * Whether `projectKey` was paused at any moment from `fromMs` to `toMs` (a turn's first and last event):
 * a paused folder covers every folder inside it, so a session started in a subfolder of a paused project
 * is paused too.
 */
export function pausedDuring(
  projectKey: string,
  fromMs: number,
  toMs: number,
  env: Env = process.env,
): boolean {
  const key = resolve(projectKey);
  return readPauseState(env).periods.some(
    (p) =>
      (p.project === null || key === p.project || key.startsWith(`${p.project}${sep}`)) &&
      p.fromMs <= toMs &&
      (p.untilMs === undefined || p.untilMs > fromMs),
  );
}

/**
 * The project a folder belongs to, for `init`, `status`, `pause` and the rest: the folder holding the
 * nearest `.infinium/config.json`, else the root of the git repository `cwd` is in (as Codex finds a
 * project), else `cwd` itself.
 */
export function pauseKeyFor(cwd: string): string {
  const projectFile = findProjectConfig(cwd);
  if (projectFile) return dirname(dirname(projectFile));
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}
