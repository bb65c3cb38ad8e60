// Issue 25: the worker a `codex exec` session's first hook starts stays for the session (src/worker/stay.ts):
// with the real Codex, one Node process builds and sends the session's turns where each worker-starting
// hook (SessionStart, Stop, SessionEnd) used to start one, and it leaves at SessionEnd, not after its idle
// time. A resumed session is served the same way, by a fresh worker.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { spoolPaths } from '../../src/spool/layout';
import { lockHolder } from '../../src/spool/lock';
import { waitFor, workerWaiting } from '../support/capture-harness';
import { conversation, type ModelReply } from './support/model-server';
import { oneCommand } from './support/turns';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('real Codex: the worker stays for the session', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('one worker process per `codex exec` session, gone at its end; the resumed session gets its own', async () => {
    world = await startWorld({ capture: 'lean' });
    const env = world.sandbox.env;
    // As shipped (the e2e sandbox turns staying off), counting worker processes: one line each as it exits.
    delete env.INFINIUM_CODEX_WORKER_IDLE_SECONDS;
    const timingLog = join(world.sandbox.root, 'timing.jsonl');
    env.INFINIUM_CODEX_BENCH_TIMING = timingLog;
    const workers = () =>
      existsSync(timingLog) ? readFileSync(timingLog, 'utf8').split('\n').filter(Boolean).length : 0;
    const stateDir = world.sandbox.stateDir;
    const paths = spoolPaths({ INFINIUM_CODEX_HOME: stateDir });
    // The model answers once SessionStart's worker waits (a scripted model answers faster than Node
    // starts; a real one does not): the session's later hooks then find it there.
    const waiting = () => workerWaiting(stateDir) !== null;
    const heldBack = (replies: ModelReply[]) =>
      replies.map((reply, i) => (i === 0 ? { ...reply, holdUntil: waiting } : reply));

    await world.exec('First session.', conversation(heldBack(oneCommand('first'))));
    expect(await world.nextTraces(1)).toHaveLength(1);
    // Its idle time is 10 minutes: a worker gone within seconds left at SessionEnd.
    await waitFor(() => lockHolder(paths.lock) === null && workers() >= 1, 20_000, 'the worker to leave');
    expect(workers()).toBe(1);

    await world.exec('Resumed session.', conversation(heldBack(oneCommand('second'))), { resume: true });
    expect(await world.nextTraces(1)).toHaveLength(1);
    await waitFor(
      () => lockHolder(paths.lock) === null && workers() >= 2,
      20_000,
      'the next worker to leave',
    );
    expect(workers()).toBe(2);
    expect(world.unseen()).toEqual([]);
  });
});
