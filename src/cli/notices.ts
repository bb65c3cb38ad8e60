// Warnings more than one command gives.
import type { Output } from './output';

/** The user's own hooks moved up when one of ours went away, so Codex no longer trusts them. */
export function warnMovedUserHooks(out: Output, keys: string[]): void {
  if (keys.length === 0) return;
  out.line(
    `${out.yellow('!')} ${keys.length} of your own hooks moved up a place (${keys.join(', ')}): Codex skips them until you approve them again in /hooks.`,
  );
}
