// `infinium-codex resume [--all]`: undo `pause` from now on; turns made while paused stay dropped.
import { endPause, isPaused, pauseKeyFor, readPauseState } from '../config/pause';
import type { CliContext } from './context';

export interface ResumeOptions {
  all?: boolean;
}

export async function resume(options: ResumeOptions, ctx: CliContext): Promise<void> {
  const state = readPauseState(ctx.env);
  if (options.all) {
    const wasPaused = state.all || state.projects.length > 0;
    endPause(null, ctx.env);
    ctx.out.line(
      wasPaused ? 'Tracing is on again for every project.' : 'Nothing was paused; nothing changed.',
    );
    return;
  }
  const key = pauseKeyFor(ctx.cwd);
  if (!state.projects.includes(key)) {
    ctx.out.line(
      state.all
        ? `Tracing is paused for every project, not just ${key}; run \`infinium-codex resume --all\`.`
        : isPaused(key, ctx.env)
          ? `${key} is inside a paused folder; run \`infinium-codex resume\` in that folder.`
          : `Tracing was not paused for ${key}; nothing changed.`,
    );
    return;
  }
  endPause(key, ctx.env);
  ctx.out.line(
    state.all
      ? `Resumed ${key}, but tracing is still paused for every project; run \`infinium-codex resume --all\`.`
      : `Tracing is on again for ${key}.`,
  );
}
