// `infinium-codex resume [--all]`: undo `pause`.
import { pauseKeyFor, readPauseState, writePauseState } from '../config/pause';
import type { CliContext } from './context';

export interface ResumeOptions {
  all?: boolean;
}

export async function resume(options: ResumeOptions, ctx: CliContext): Promise<void> {
  const state = readPauseState(ctx.env);
  if (options.all) {
    writePauseState({ all: false, projects: [] }, ctx.env);
    ctx.out.line('Tracing is on again for every project.');
    return;
  }
  const key = pauseKeyFor(ctx.cwd);
  writePauseState({ ...state, projects: state.projects.filter((project) => project !== key) }, ctx.env);
  ctx.out.line(
    state.all
      ? `Resumed ${key}, but tracing is still paused for every project; run \`infinium-codex resume --all\`.`
      : `Tracing is on again for ${key}.`,
  );
}
