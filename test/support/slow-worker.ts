// The worker process with a slow build, for tests of the worker lock under starvation
// (redos-lock-takeover-duplicate): before composing each trace it spins on the CPU, never yielding to the
// event loop, until the file named by SLOW_BUILD_GATE exists, as a costly redaction did to a real worker.
// It creates SLOW_BUILD_ENTERED when it starts spinning, after announcing a large input as compose does
// before such a build (the lock's heartbeat thread then beats for it). The traces come from the real compose
// functions.
// Run: node --import tsx test/support/slow-worker.ts
import { existsSync, writeFileSync } from 'node:fs';
import { BLOCKING_THREAD_CHARS, beforeBlockingWork } from '../../src/spool/lock';
import { composeSessionTrace, composeTurnTrace } from '../../src/worker/compose';
import { runWorkerProcess } from '../../src/worker/process';

function spin(): void {
  beforeBlockingWork(BLOCKING_THREAD_CHARS + 1);
  writeFileSync(process.env.SLOW_BUILD_ENTERED as string, '');
  while (!existsSync(process.env.SLOW_BUILD_GATE as string)) {
    for (let i = 0; i < 100_000; i += 1) Math.sqrt(i);
  }
}

await runWorkerProcess(process.argv.slice(2), {
  composeTurnTrace: async (turn, ctx, cursor) => {
    spin();
    return composeTurnTrace(turn, ctx, cursor as never);
  },
  composeSessionTrace: async (turns, ctx, cursor) => {
    spin();
    return composeSessionTrace(turns, ctx, cursor as never);
  },
});
