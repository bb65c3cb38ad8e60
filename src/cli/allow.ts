// `infinium-codex allow` / `deny`: the user's decision on the project file that applies here
// (.infinium/config.json; see src/config/consent.ts). `allow` lets its settings widen where data goes or how
// much (its agent, base URL, content mode toward `full`); `deny` keeps its turns under the user's own
// settings. Either covers the file's current content only. Kept turns are then built by a worker at once.
import { type Decision, recordDecision } from '../config/consent';
import { fileTrustProblem } from '../config/file-trust';
import { findProjectConfig, readSettings } from '../config/settings';
import type { CliContext } from './context';
import { UserError } from './errors';
import { startWorker } from './worker-start';

export interface AllowOptions {
  json?: boolean;
}

export async function decide(decision: Decision, options: AllowOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const file = findProjectConfig(ctx.cwd, env);
  if (!file) {
    throw new UserError(
      `No project file (.infinium/config.json) applies to ${ctx.cwd}, so there is nothing to ${decision}.`,
      'Run this in the project folder; `infinium-codex status` shows where each setting comes from.',
    );
  }
  const problem = fileTrustProblem(file);
  if (problem) {
    throw new UserError(
      `${file} is not used (${problem}), so it cannot be allowed.`,
      'Make it yours (chown) and not writable by every user (chmod o-w), then run this again.',
    );
  }
  // Checked before it is recorded: a file that does not parse is reported, never allowed blindly.
  const settings = readSettings(file);
  recordDecision(file, decision, env);
  if (options.json) {
    out.json({ file, decision, settings });
  } else if (decision === 'allow') {
    out.line(`${out.green('✓')} Allowed ${file} as it is now:`);
    for (const [key, value] of Object.entries(settings)) out.line(`  ${key}: ${JSON.stringify(value)}`);
    out.line('A change to the file needs `infinium-codex allow` again.');
  } else {
    out.line(
      `${out.green('✓')} Denied ${file}: its agent, base URL and wider content mode are not used; turns here go under your own settings.`,
    );
  }
  // Turns kept for this decision are in the spool: a worker builds them now.
  startWorker(ctx.target.distDir, env);
}
