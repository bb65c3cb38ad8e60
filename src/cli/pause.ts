// `infinium-codex pause [--all]`: turns of a paused project are dropped by the worker, not kept. The pause
// starts now: a turn made before it is still sent, however late the worker builds it.
import { pauseKeyFor, readPauseState, startPause } from '../config/pause';
import { ConsentNeededError, resolveConfig } from '../config/settings';
import type { CliContext } from './context';
import { UserError } from './errors';

export interface PauseOptions {
  all?: boolean;
}

export async function pause(options: PauseOptions, ctx: CliContext): Promise<void> {
  if (options.all) {
    startPause(null, ctx.env);
    ctx.out.line('Paused tracing for every project; `infinium-codex resume --all` turns it back on.');
    return;
  }
  const key = pauseKeyFor(ctx.cwd);
  // Pausing a folder nothing traces would change nothing and read as if it had.
  if (!tracedHere(ctx)) {
    throw new UserError(
      `${key} is not traced (no agent is configured for it), so there is nothing to pause.`,
      'Run `infinium-codex status` to see what is set up here.',
    );
  }
  if (readPauseState(ctx.env).projects.includes(key)) {
    ctx.out.line(`Tracing was already paused for ${key}; \`infinium-codex resume\` there turns it back on.`);
    return;
  }
  startPause(key, ctx.env);
  ctx.out.line(`Paused tracing for ${key}; \`infinium-codex resume\` there turns it back on.`);
}

/** Whether sessions here are traced: also while a project file waits for consent (its turns are kept). */
function tracedHere(ctx: CliContext): boolean {
  try {
    return resolveConfig(ctx.cwd, ctx.env) !== null;
  } catch (error) {
    if (error instanceof ConsentNeededError) return true;
    throw error;
  }
}
