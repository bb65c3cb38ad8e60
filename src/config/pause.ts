// Paused projects, kept in our state dir (not in the project's own config, which may be committed).
// Turns of a paused project are dropped by the worker, not kept for later.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { type Env, statePaths } from './paths';
import { findProjectConfig } from './settings';

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
  writeFileAtomic(statePaths(env).paused, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Whether turns in `projectKey` (a project root or a session cwd) are paused: a paused folder covers every
 * folder inside it, so a session started in a subfolder of a paused project is paused too. */
export function isPaused(projectKey: string, env: Env = process.env): boolean {
  const state = readPauseState(env);
  const key = resolve(projectKey);
  return state.all || state.projects.some((project) => key === project || key.startsWith(`${project}${sep}`));
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
