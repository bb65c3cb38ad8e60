// When our hooks have been installed (hooks-live.json): a list of intervals, one per install, kept after
// `uninstall` (which only closes the open one). A turn Codex ran inside one went through our hooks; when
// they kept nothing of it, the session had tracing turned off (INFINIUM_CODEX_DISABLED) or the project was
// paused, which the hooks record nowhere: `import` must then not trace it from its rollout (issue 21 kind
// 5). Every install records it: the user's own in their state folder (every path that installs hooks goes
// through installHooks), `init --system` one for the machine beside its settings, since it installs for
// users whose state folders it never sees. The machine's record is believed only from a folder only root
// (or we) can write; failing a record, a hooks file holding our hooks counts from its last change.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { fileTrustProblem } from './file-trust';
import { type Env, statePaths, systemPaths } from './paths';

/** One install: from its time to its uninstall (open while the hooks are in place). */
export interface LiveInterval {
  fromMs: number;
  toMs?: number;
}

const FILE = 'hooks-live.json';

/** The user's record (times only: no secret, no content), which `uninstall --purge` keeps. */
export function userLiveFile(env: Env): string {
  return join(statePaths(env).root, FILE);
}

export function systemLiveFile(env: Env): string {
  return join(systemPaths(env).root, FILE);
}

function readIntervals(file: string): LiveInterval[] {
  let json: { sinceMs?: unknown; intervals?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch {
    return [];
  }
  // Written before intervals were kept: one open install.
  if (typeof json.sinceMs === 'number') return [{ fromMs: json.sinceMs }];
  if (!Array.isArray(json.intervals)) return [];
  return json.intervals.filter(
    (i): i is LiveInterval =>
      typeof i?.fromMs === 'number' && (i.toMs === undefined || typeof i.toMs === 'number'),
  );
}

function writeIntervals(file: string, intervals: LiveInterval[], shared: boolean): void {
  writeFileAtomic(file, `${JSON.stringify({ intervals })}\n`, {
    mode: shared ? 0o644 : 0o600,
    forceMode: true,
    dirMode: shared ? 0o755 : 0o700,
  });
}

function opened(file: string, nowMs: number, shared: boolean): void {
  const intervals = readIntervals(file);
  if (intervals.some((i) => i.toMs === undefined)) return;
  writeIntervals(file, [...intervals, { fromMs: nowMs }], shared);
}

/** Records that our hooks are installed for this user from now on, unless they already were. */
export function markHooksLive(env: Env, nowMs = Date.now()): void {
  opened(userLiveFile(env), nowMs, false);
}

/** Records that `init --system` installed our hooks for every user of the machine from now on. */
export function markSystemHooksLive(env: Env, nowMs = Date.now()): void {
  opened(systemLiveFile(env), nowMs, true);
}

/** Closes the user's open interval (their hooks were removed); the history stays for `import`. */
export function closeHooksLive(env: Env, nowMs = Date.now()): void {
  const intervals = readIntervals(userLiveFile(env));
  if (!intervals.some((i) => i.toMs === undefined)) return;
  writeIntervals(
    userLiveFile(env),
    intervals.map((i) => (i.toMs === undefined ? { ...i, toMs: nowMs } : i)),
    false,
  );
}

/**
 * Every interval in which our hooks ran this user's sessions: their own installs and the machine's
 * (`init --system`). Hooks files holding ours (`withOurHooks`: the user's, the managed one) with no open
 * interval to show for them (installed by a version that kept no record, or by a fleet's own tools) count
 * from their last change.
 */
export function hooksLiveIntervals(env: Env, withOurHooks: readonly string[] = []): LiveInterval[] {
  const intervals = readIntervals(userLiveFile(env));
  if (fileTrustProblem(systemLiveFile(env)) === null) intervals.push(...readIntervals(systemLiveFile(env)));
  if (intervals.some((i) => i.toMs === undefined)) return intervals;
  for (const file of withOurHooks) {
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats) intervals.push({ fromMs: stats.mtimeMs });
  }
  return intervals;
}

/** Whether a turn from `startMs` to `endMs` overlaps an interval in which our hooks were installed. */
export function ranWhileLive(intervals: readonly LiveInterval[], startMs: number, endMs: number): boolean {
  return intervals.some((i) => endMs >= i.fromMs && (i.toMs === undefined || startMs <= i.toMs));
}
