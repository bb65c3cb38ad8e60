// dist/worker.mjs: the detached worker, started by a hook after a turn-ending event (see ./process.ts).
// It first takes the worker lock with next to nothing loaded: a worker started while another one is at work
// (Stop and SessionEnd each start one) leaves that one a rerun request and exits without loading the
// trace side, which is most of a worker's start. Only then is the rest loaded (its own chunks; the trace
// side only when a turn is to be built). A SessionStart the holder may not have seen is the exception (see
// startSnapshotsLeft): its start snapshot (./evidence.ts) is taken before Codex's first tool call, whoever
// holds the lock, so that worker takes the ordinary way.
import type { RolloutCursor } from '../codex/rollout-reader';
import { gitEvidenceOff, stateRootProblem } from '../config/paths';
import { spoolPaths } from '../spool/layout';
import type { HeldLock } from '../spool/lock';
import { startSnapshotsLeft, takeWorkerLock } from './lock-first';
import { markStarted, timed, timedSync } from './timing';

markStarted();
const argv = process.argv.slice(2);
/** Whether firstLock found the state root fine (./process.ts then does not ask again). */
let stateRootChecked = false;

/** The lock, null when another worker holds it, undefined when the ordinary way is to be taken. */
function firstLock(): HeldLock | null | undefined {
  // Flags, and a relative state dir (./process.ts does nothing then), take the ordinary way.
  if (argv.length > 0 || stateRootProblem(process.env, false)) return undefined;
  stateRootChecked = true;
  try {
    const paths = spoolPaths();
    // Its heartbeat thread starts with the first lock: most of this phase.
    // This worker takes the start snapshots right after (./process.ts), unless git evidence is off here.
    const taken = timedSync('lock', () => takeWorkerLock(paths, !gitEvidenceOff(process.env)));
    return taken === null && startSnapshotsLeft(paths) ? undefined : taken;
  } catch {
    // A full disk, a read-only state dir: the ordinary way meets it again and logs it where it can.
    return undefined;
  }
}

const lock = firstLock();
if (lock !== null) {
  const [{ runWorkerProcess }, status] = await Promise.all([import('./process'), import('./rollout-status')]);
  // The trace side (builder, redaction rules, price table) only once a turn is to be built: a pass with
  // nothing to build (a SessionStart's, a session secret's) never loads it.
  let traceSide: Promise<typeof import('./compose')> | undefined;
  const compose = () => {
    traceSide ??= timed('load', () => import('./compose'));
    return traceSide;
  };
  await runWorkerProcess(
    argv,
    {
      // The cursor is the trace side's own (opaque to the pipeline: see Composer).
      composeTurnTrace: async (turn, ctx, cursor) =>
        (await compose()).composeTurnTrace(turn, ctx, cursor as RolloutCursor | undefined),
      composeSessionTrace: async (turns, ctx, cursor) =>
        (await compose()).composeSessionTrace(turns, ctx, cursor as RolloutCursor | undefined),
      rolloutTurnStatus: status.rolloutTurnStatus,
      parentSession: status.parentSession,
    },
    process.env,
    lock,
    stateRootChecked,
  );
}
