// Warnings more than one command gives.
import type { StoredSecret } from '../config/credentials';
import { type Env, statePaths } from '../config/paths';
import type { Output } from './output';

/** The user's own hooks moved up when one of ours went away, so Codex no longer trusts them. */
export function warnMovedUserHooks(out: Output, keys: string[]): void {
  if (keys.length === 0) return;
  out.line(
    `${out.yellow('!')} ${keys.length} of your own hooks moved up a place (${keys.join(', ')}): Codex skips them until you approve them again in /hooks.`,
  );
}

/**
 * Where a secret was just stored, in one short line (first-run m4): the keyring, or the 0600 fallback file
 * and in a few words why (`--no-keyring`, no D-Bus session, no keyring); never the keyring's raw error.
 */
export function secretStoredLine(out: Output, where: StoredSecret, env: Env, what = 'the secret'): string {
  if (where.source === 'keyring') return `${out.green('✓')} Stored ${what} in the OS keyring`;
  const problem = where.keyringProblem ?? '';
  const why = problem.includes('--no-keyring')
    ? '--no-keyring'
    : /d-?bus/i.test(problem)
      ? 'no OS keyring (no D-Bus session)'
      : 'no OS keyring';
  return `${out.yellow('!')} Stored ${what} in ${statePaths(env).credentials} (0600): ${why}`;
}
