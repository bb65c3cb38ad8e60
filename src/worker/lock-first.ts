// Taking the worker lock, or leaving its holder a rerun request: the first thing a worker does, shared by
// the thin entry (./main.ts) and every pass (./run.ts).
import { appendNoFollow, type SpoolPaths, spooledAt } from '../spool/layout';
import { type HeldLock, lockCreatedAtMs, tryLock } from '../spool/lock';

/**
 * The worker lock, or null when another worker holds it: that one has been asked to look at the spool again
 * (it checks for requests after releasing the lock, so a request made at any moment is never missed).
 * `takesStartSnapshots`: the holder takes the start snapshot of every SessionStart it finds right after
 * (the worker entry), so the lock records when it was created (see startSnapshotsLeft).
 */
export function takeWorkerLock(paths: SpoolPaths, takesStartSnapshots = false): HeldLock | null {
  const lock = tryLock(paths.lock, Date.now(), takesStartSnapshots);
  if (lock) return lock;
  appendNoFollow(paths.rerun, '');
  return tryLock(paths.lock, Date.now(), takesStartSnapshots);
}

/**
 * Whether a SessionStart waits in the spool whose start snapshot the lock's holder may not take: one
 * published since the holder created the lock (both times by the file system's clock), or any when the
 * holder does not take start snapshots. A worker that finds the lock taken need not load anything to
 * check the snapshots otherwise: in a session shorter than a Node start, the worker its Stop and SessionEnd
 * start each leave at the cost of that start.
 */
export function startSnapshotsLeft(paths: SpoolPaths): boolean {
  const published = spooledAt(paths, 'SessionStart');
  if (published.length === 0) return false;
  const created = lockCreatedAtMs(paths.lock);
  return created === null || published.some((atMs) => atMs >= created);
}
