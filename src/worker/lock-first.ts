// Taking the worker lock, or leaving its holder a rerun request: the first thing a worker does, shared by
// the thin entry (./main.ts) and every pass (./run.ts).
import { appendNoFollow, type SpoolPaths } from '../spool/layout';
import { type HeldLock, tryLock } from '../spool/lock';

/**
 * The worker lock, or null when another worker holds it: that one has been asked to look at the spool again
 * (it checks for requests after releasing the lock, so a request made at any moment is never missed).
 */
export function takeWorkerLock(paths: SpoolPaths): HeldLock | null {
  const lock = tryLock(paths.lock);
  if (lock) return lock;
  appendNoFollow(paths.rerun, '');
  return tryLock(paths.lock);
}
