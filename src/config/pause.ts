// Paused projects, kept in our state dir (not in the project's own config, which may be committed).
// Turns of a paused project are dropped by the worker, not kept for later.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Env, statePaths } from './paths';

export interface PauseState {
  all: boolean;
  /** Absolute project roots (or session cwds, for sessions without a project). */
  projects: string[];
}

export function readPauseState(env: Env = process.env): PauseState {
  try {
    const json = JSON.parse(readFileSync(statePaths(env).paused, 'utf8')) as Partial<PauseState>;
    return {
      all: json.all === true,
      projects: Array.isArray(json.projects) ? json.projects.filter((p) => typeof p === 'string') : [],
    };
  } catch {
    return { all: false, projects: [] };
  }
}

export function writePauseState(state: PauseState, env: Env = process.env): void {
  const file = statePaths(env).paused;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

export function isPaused(projectKey: string, env: Env = process.env): boolean {
  const state = readPauseState(env);
  return state.all || state.projects.includes(resolve(projectKey));
}
