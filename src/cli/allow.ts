// `infinium-codex allow` / `deny`: the user's decision on the project file that applies here
// (.infinium/config.json; see src/config/consent.ts). `allow` lets its settings widen where data goes or how
// much (its agent, base URL, content mode toward `full`); `deny` keeps its turns under the user's own
// settings. Either covers the file's current content only. Kept turns are then built by a worker at once.
import { resolve } from 'node:path';
import { type Decision, recordDecision } from '../config/consent';
import { findProjectConfig, readProjectFile } from '../config/settings';
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
  // Read once: the bytes whose settings are shown are the bytes recorded (a file that does not parse is
  // reported, never allowed blindly).
  const read = readProjectFile(file);
  if (read && 'problem' in read) {
    throw new UserError(
      `${file} is not used (${read.problem}), so it cannot be allowed.`,
      'Make it a file of the project, yours (chown) and writable by no one else (chmod go-w), then run this again.',
    );
  }
  if (!read) throw new UserError(`${file} was removed meanwhile, so there is nothing to ${decision}.`);
  const { settings } = read;
  recordDecision(file, decision, env, read.bytes);
  const shown = read.realFile === resolve(file) ? file : `${file} (read from ${read.realFile})`;
  if (options.json) {
    out.json({ file, ...(shown === file ? {} : { readFrom: read.realFile }), decision, settings });
  } else if (decision === 'allow') {
    out.line(`${out.green('✓')} Allowed ${shown} as it is now:`);
    for (const [key, value] of Object.entries(settings)) out.line(`  ${key}: ${JSON.stringify(value)}`);
    out.line('A change to the file needs `infinium-codex allow` again.');
  } else {
    out.line(
      `${out.green('✓')} Denied ${shown}: its agent, base URL and wider content mode are not used; turns here go under your own settings.`,
    );
  }
  // Turns kept for this decision are in the spool: a worker builds them now.
  startWorker(ctx.target.distDir, env);
}
