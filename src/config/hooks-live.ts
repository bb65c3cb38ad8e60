// Since when our hooks have been installed for this user (hooks-live.json in the state folder, written by
// `init`, removed by `uninstall`). A turn Codex ran since then went through our hooks; when they kept
// nothing of it, the session had tracing turned off (INFINIUM_CODEX_DISABLED) or the project was paused,
// which the hooks record nowhere: `import` must then not trace it from its rollout (issue 21 kind 5).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { type Env, statePaths } from './paths';

function liveFile(env: Env): string {
  return join(statePaths(env).root, 'hooks-live.json');
}

/** When our hooks were installed (ms since the epoch), or null when they are not (or were before this record). */
export function hooksLiveSince(env: Env): number | null {
  try {
    const json = JSON.parse(readFileSync(liveFile(env), 'utf8')) as { sinceMs?: unknown };
    return typeof json.sinceMs === 'number' ? json.sinceMs : null;
  } catch {
    return null;
  }
}

/** Records that our hooks are installed from now on, unless they already were. */
export function markHooksLive(env: Env, nowMs = Date.now()): void {
  if (hooksLiveSince(env) !== null) return;
  writeFileAtomic(liveFile(env), `${JSON.stringify({ sinceMs: nowMs })}\n`, { mode: 0o600, dirMode: 0o700 });
}

export function clearHooksLive(env: Env): void {
  rmSync(liveFile(env), { force: true });
}
