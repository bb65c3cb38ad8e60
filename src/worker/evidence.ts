// Git evidence of what a turn changed. A session's first turn is measured from the snapshot the worker
// takes when SessionStart starts it (before Codex has run a tool, unless the worker comes late: then the
// evidence says `partial`); every later turn from the snapshot that ended the turn before. A turn's own end
// snapshot is taken once, when its trace is first composed, and kept: a retried build compares the same two.
import { type Env, gitEvidenceOff } from '../config/paths';
import { resolveSessionConfig } from '../config/settings';
import {
  compareSnapshots,
  DEFAULT_LIMITS,
  type Snapshot,
  type SnapshotLimits,
  takeSnapshot,
} from '../git/snapshot';
import { listSpool, readSpoolEntry } from '../spool/events';
import { type SpoolPaths, spoolHolds, spoolPaths } from '../spool/layout';
import { appendLog } from '../spool/log';
import { sessionEnv } from '../spool/session-env';
import {
  addSnapshot,
  locateMemory,
  readSnapshots,
  type StoredSnapshot,
  sessionIndexFile,
} from '../spool/snapshots';
import type { GitEvidence, SnapshotFacts } from '../trace/outcome';

function limits(env: Env): SnapshotLimits {
  const files = Number(env.INFINIUM_CODEX_GIT_MAX_FILES);
  return {
    ...DEFAULT_LIMITS,
    maxFiles: Number.isInteger(files) && files > 0 ? files : DEFAULT_LIMITS.maxFiles,
  };
}

// SessionStart sources that begin a turn before any tool ran: a new thread, a resumed or cleared one. A
// compaction's (mid-turn) or a sub-agent's would replace the turn's start with a later state.
const STARTING = new Set([undefined, 'startup', 'resume', 'clear']);

/**
 * Takes a start snapshot for each session whose SessionStart waits in the spool and has none from it yet
 * (runs before the worker's pass and its lock: another worker's long pass must not delay it).
 */
export async function takeStartSnapshots(env: Env, now: () => number = Date.now): Promise<void> {
  const paths = spoolPaths(env);
  // Most passes have none: the names say so without a stat of every spooled event.
  if (gitEvidenceOff(env) || !spoolHolds(paths, 'SessionStart')) return;
  for (const entry of listSpool(paths)) {
    if (entry.event !== 'SessionStart') continue;
    const event = readSpoolEntry(entry);
    const payload = event?.payload;
    if (!payload || payload.agent_id || !STARTING.has(payload.source)) continue;
    const by = `start:${entry.name}`;
    const known = readSnapshots(paths, payload.session_id);
    if (known.some((snapshot) => snapshot.by === by)) continue;
    // Only where a turn would be traced: git never runs in a project without an agent.
    try {
      if (!resolveSessionConfig(payload.cwd, sessionEnv(env, event.env)).config) continue;
    } catch {
      continue;
    }
    await snapshotInto(paths, payload.session_id, payload.cwd, by, limits(env), now, known);
  }
}

async function snapshotInto(
  paths: SpoolPaths,
  sessionId: string,
  cwd: string,
  by: string,
  bounds: SnapshotLimits,
  now: () => number,
  earlier: readonly StoredSnapshot[],
): Promise<StoredSnapshot | string> {
  const result = await takeSnapshot(
    cwd,
    () => sessionIndexFile(paths, sessionId),
    bounds,
    now,
    earlier,
    locateMemory(paths),
  );
  if ('unavailable' in result) return result.unavailable;
  const stored = { ...result.snapshot, by };
  addSnapshot(paths, sessionId, stored);
  return stored;
}

const facts = (snapshot: Snapshot): SnapshotFacts => ({
  head: snapshot.head,
  branch: snapshot.branch,
  dirty: snapshot.dirty,
  atMs: snapshot.atMs,
});

/**
 * What git says a turn (or, `turnKey` a session unit's key, a session's turns) changed: its end snapshot
 * (taken now, or the one an earlier attempt took) against the newest snapshot before it.
 */
export async function turnGitEvidence(
  env: Env,
  sessionId: string,
  turnKey: string,
  cwd: string,
  now: () => number = Date.now,
): Promise<GitEvidence> {
  if (gitEvidenceOff(env))
    return { available: false, reason: 'git evidence is turned off (INFINIUM_CODEX_GIT_EVIDENCE)' };
  const paths = spoolPaths(env);
  const by = `end:${turnKey}`;
  const known = readSnapshots(paths, sessionId);
  let end = known.find((snapshot) => snapshot.by === by);
  if (!end) {
    const taken = await snapshotInto(paths, sessionId, cwd, by, limits(env), now, known);
    if (typeof taken === 'string') return { available: false, reason: taken };
    end = taken;
  }
  const endAt = end.atMs;
  const start = known.filter((snapshot) => snapshot.by !== by && snapshot.atMs <= endAt).at(-1);
  if (!start) {
    return {
      available: false,
      reason: 'no snapshot from before the turn (the session began before the connector could take one)',
      after: facts(end),
    };
  }
  if (start.root !== end.root)
    return { available: false, reason: 'the turn moved to another repository', after: facts(end) };
  try {
    const { files, commits } = await compareSnapshots(start, end, DEFAULT_LIMITS.timeoutMs, now);
    return { available: true, before: facts(start), after: facts(end), files, commits };
  } catch (error) {
    appendLog(
      paths.workerLog,
      `git evidence of ${turnKey} in session ${sessionId}: ${(error as Error).message}`,
    );
    return {
      available: false,
      reason: 'git could not compare the snapshots',
      before: facts(start),
      after: facts(end),
    };
  }
}
