// The worker that stays (src/worker/stay.ts): the worker a session's first hook starts keeps the lock,
// asleep, and builds the session's turns as their hooks ask, so a session costs one Node process; it
// leaves at SessionEnd, after its idle time, or when a command needs the lock; and a waiting worker that
// dies never strands a turn: the next hook starts another, which takes the lock over.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spoolPaths } from '../../src/spool/layout';
import { lockHolder } from '../../src/spool/lock';
import {
  DIST,
  FRONT_ENDS,
  type FrontEnd,
  feed,
  makeSandbox,
  runHook,
  type Sandbox,
  spoolNames,
  storeAgentSecret,
  waitFor,
  waitForWorkerIdle,
  workerWaiting,
} from '../support/capture-harness';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { loadScenario, type Scenario } from '../support/scenario';

const AGENT = '3f1f0c2e-0000-4000-8000-00000005ab1e';
const SECRET = 'ik_live_stay_secret_0123456789abcdef';
let server: StandIn;
let box: Sandbox;
let env: Record<string, string>;
let timingLog: string;

beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
  storeAgentSecret(box, { [AGENT]: SECRET });
  timingLog = join(box.dir, 'timing.jsonl');
  // The worker stays, as shipped; each worker process appends one line to the timing log as it exits.
  env = { ...box.env, INFINIUM_CODEX_BENCH_TIMING: timingLog };
  delete env.INFINIUM_CODEX_WORKER_IDLE_SECONDS;
});
afterEach(async () => {
  await waitForWorkerIdle(box.state);
  await server.close();
  box.cleanup();
});

const paths = () => spoolPaths(env);
const workerProcesses = () =>
  existsSync(timingLog) ? readFileSync(timingLog, 'utf8').split('\n').filter(Boolean).length : 0;
/** The pid of the worker waiting for its sessions' next events, once one does. */
async function waitingWorker(): Promise<number> {
  await waitFor(() => workerWaiting(box.state) !== null, 20_000, 'a waiting worker');
  return workerWaiting(box.state) as number;
}
const noWorker = () => waitFor(() => lockHolder(paths().lock) === null, 20_000, 'the worker to leave');

/** The scenario's hook events a lean install runs, split at its first prompt. */
function session(scenario: Scenario) {
  const events = scenario.events.filter(([event]) => event !== 'PreToolUse' && event !== 'PostToolUse');
  const start = events.filter(([event]) => event === 'SessionStart');
  return { start, rest: events.filter(([event]) => event !== 'SessionStart') };
}

async function replay(frontEnd: FrontEnd, events: [string, string][], runEnv = env) {
  for (const run of await feed(frontEnd, events, runEnv))
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
}

describe('the worker stays for the session', () => {
  it.each(FRONT_ENDS)(
    '%s: one worker process serves the whole session, sends its turn once, and leaves at SessionEnd',
    async (frontEnd) => {
      const { start, rest } = session(loadScenario('ten-commands', box));
      await replay(frontEnd, start);
      await waitingWorker();
      await replay(frontEnd, rest);
      await waitFor(() => server.traces.length >= 1, 20_000, 'the trace');
      // It leaves on its own once the session has ended (its idle time is minutes), and writes its timing
      // line as it exits, just after it released the lock.
      await noWorker();
      await waitFor(() => workerProcesses() >= 1, 20_000, 'the worker to exit');
      expect(server.traces).toHaveLength(1);
      expect(spoolNames(box.state)).toEqual([]);
      expect(workerProcesses()).toBe(1);
    },
  );

  it('a waiting worker killed: the next hook starts a worker, which delivers the turn', async () => {
    const { start, rest } = session(loadScenario('ten-commands', box));
    await replay('sh', start);
    process.kill(await waitingWorker(), 'SIGKILL');
    // Hooks trust a lock whose holder's pid answers and whose heartbeat promise is still ahead: a killed
    // worker nobody reaps (a container without an init process, as here) stays a zombie, whose pid answers,
    // until that promise has run out (LOCK_AHEAD_MS at most); one that is reaped is seen dead at once.
    await waitFor(() => statSync(paths().lock).mtimeMs < Date.now(), 30_000, 'the promise to run out');
    await replay('sh', rest);
    await waitFor(() => server.traces.length >= 1, 30_000, 'the trace');
    await waitForWorkerIdle(box.state, { spool: true });
    expect(server.traces).toHaveLength(1);
    expect(spoolNames(box.state)).toEqual([]);
  });

  it('leaves after its idle time; the next turn-ending hook starts a fresh worker', async () => {
    env.INFINIUM_CODEX_WORKER_IDLE_SECONDS = '1';
    const { start, rest } = session(loadScenario('ten-commands', box));
    await replay('sh', start);
    await waitingWorker();
    await waitFor(() => workerProcesses() === 1, 20_000, 'the worker to leave');
    expect(lockHolder(paths().lock)).toBeNull();
    await replay('sh', rest);
    await waitFor(() => server.traces.length >= 1, 20_000, 'the trace');
    await waitForWorkerIdle(box.state, { spool: true });
    expect(server.traces).toHaveLength(1);
    // Stop's hook started it (SessionEnd's may have started one more, before the first took the lock).
    await waitFor(() => workerProcesses() >= 2, 20_000, 'the fresh worker to exit');
  });

  it('an upgrade while it waits: it leaves before its next pass, and the new code builds the turn', async () => {
    // The package in a folder of its own, upgraded in place as npm does: new files, new chunk names.
    const dist = join(box.dir, 'dist');
    cpSync(DIST, dist, { recursive: true });
    const { start, rest } = session(loadScenario('ten-commands', box));
    for (const [event, payload] of start) await runHook('sh', event, payload, env, { dist });
    const old = await waitingWorker();
    const entry = join(dist, 'worker.mjs');
    const chunk = readdirSync(dist).find((name) => name.startsWith('worker-compose-')) as string;
    renameSync(join(dist, chunk), join(dist, 'worker-compose-UPGRADED.mjs'));
    writeFileSync(`${entry}.new`, readFileSync(entry, 'utf8').replace(chunk, 'worker-compose-UPGRADED.mjs'));
    renameSync(`${entry}.new`, entry);
    for (const [event, payload] of rest) await runHook('sh', event, payload, env, { dist });
    await waitFor(() => server.traces.length >= 1, 20_000, 'the trace');
    await waitForWorkerIdle(box.state, { spool: true });
    expect(server.traces).toHaveLength(1);
    expect(lockHolder(paths().lock)).not.toBe(old);
    expect(readdirSync(join(box.state, 'spool'))).not.toContain('corrupt');
  });

  it('a command that needs the lock (retry) asks a waiting worker to leave', async () => {
    const { start } = session(loadScenario('ten-commands', box));
    await replay('sh', start);
    const pid = await waitingWorker();
    const { stdout } = await promisify(execFile)(process.execPath, [join(DIST, 'bin.cjs'), 'retry'], { env });
    expect(stdout).toContain('Nothing in the outbox.');
    expect(lockHolder(paths().lock)).not.toBe(pid);
  });
});
