// `infinium-codex pause [--all]`: turns of a paused project are dropped by the worker, not kept.
import { pauseKeyFor, readPauseState, writePauseState } from '../config/pause';
import type { CliContext } from './context';

export interface PauseOptions {
  all?: boolean;
}

export async function pause(options: PauseOptions, ctx: CliContext): Promise<void> {
  const state = readPauseState(ctx.env);
  if (options.all) {
    writePauseState({ ...state, all: true }, ctx.env);
    ctx.out.line('Paused tracing for every project; `infinium-codex resume --all` turns it back on.');
    return;
  }
  const key = pauseKeyFor(ctx.cwd);
  if (!state.projects.includes(key))
    writePauseState({ ...state, projects: [...state.projects, key] }, ctx.env);
  ctx.out.line(`Paused tracing for ${key}; \`infinium-codex resume\` there turns it back on.`);
}
