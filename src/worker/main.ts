// dist/worker.mjs: the detached worker, started by a hook after a turn-ending event (see ./process.ts).
import { composeSessionTrace, composeTurnTrace, parentSession, rolloutTurnStatus } from './compose';
import { runWorkerProcess } from './process';

await runWorkerProcess(process.argv.slice(2), {
  composeTurnTrace,
  composeSessionTrace,
  rolloutTurnStatus,
  parentSession,
});
