// Exactly once, with real processes: the built hook front-end spools, real workers (the built one, and one
// whose build spins on the CPU: test/support/slow-worker.ts) build and send to the stand-in Infinium.
//   redos-lock-takeover-duplicate: a worker blocked in CPU-bound work past the old stale time keeps its
//     lock (a large build gets a heartbeat thread of its own), a second worker does not send the same turn, and a
//     holder that was taken over anyway commits nothing.
//   accepted-trace-moved-to-dead: a trace Infinium accepted stays sent when its payload copy cannot be
//     written (a read-only history/payloads), and `retry --dead` does not send it again.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDead, listOutbox, readHistory, requeueDead } from '../../src/spool';
import { spoolPaths } from '../../src/spool/layout';
import { LOCK_AHEAD_MS, LOCK_STALE_MS } from '../../src/spool/lock';
import {
  codexSession,
  type EventSequence,
  feed,
  makeSandbox,
  type Sandbox,
  spoolNames,
  storeAgentSecret,
  waitFor,
  waitForWorkerIdle,
} from '../support/capture-harness';
import { inertWorkerDist, mountReadOnly, mountUnavailable } from '../support/faults';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { runWorkerProcess } from '../support/scenario';

const AGENT = '3f1f0c2e-0000-4000-8000-0000000e1ace';
const SECRET = 'ik_live_exactly_once_secret_0123456789';
const SLOW_WORKER = resolve(import.meta.dirname, '../support/slow-worker.ts');
let server: StandIn;
let box: Sandbox;
let env: Record<string, string>;
let dist: string;
const undo: (() => void)[] = [];

beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
  storeAgentSecret(box, { [AGENT]: SECRET });
  env = { ...box.env };
  // Hooks that spool but start no worker: the test decides which worker runs when.
  dist = inertWorkerDist(box.dir);
});
afterEach(async () => {
  for (const step of undo.splice(0).reverse()) step();
  await waitForWorkerIdle(box.state);
  await server.close();
  box.cleanup();
});

async function turn(sessionId: string, turnId: string, prompt: string): Promise<void> {
  const s = codexSession(sessionId, box.project);
  const events: EventSequence = [
    ['UserPromptSubmit', s.prompt(turnId, prompt)],
    ['Stop', s.stop(turnId, 'done')],
  ];
  for (const run of await feed('sh', events, env, dist))
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
}

/** Starts the slow worker; resolves once its build is spinning. */
async function slowWorker(): Promise<{ child: ChildProcess; done: Promise<unknown>; release(): void }> {
  const gate = join(box.dir, 'gate');
  const entered = join(box.dir, 'entered');
  const child = spawn(process.execPath, ['--import', 'tsx', SLOW_WORKER], {
    env: { ...env, SLOW_BUILD_GATE: gate, SLOW_BUILD_ENTERED: entered },
    stdio: 'ignore',
  });
  const done = new Promise((resolve_) => child.on('close', resolve_));
  await waitFor(() => existsSync(entered), 60_000, 'the slow build to start');
  return { child, done, release: () => writeFileSync(gate, '') };
}

const lockFile = () => spoolPaths(env).lock;
const lockOwner = () => JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number; token: string };
const prompts = () => server.traces.map((t) => t.body.input_summary);

describe('exactly once under starvation (redos-lock-takeover-duplicate)', () => {
  it('keeps the lock of a worker blocked in CPU-bound work past the stale time; a second worker sends nothing twice', async () => {
    await turn('session-a', 'ta', 'read the fixtures');
    const w1 = await slowWorker();
    try {
      expect(lockOwner().pid).toBe(w1.child.pid);
      // What a build blocked this long looked like before: no heartbeat past the promise and the stale time.
      const lapsed = new Date(Date.now() - LOCK_AHEAD_MS - LOCK_STALE_MS - 5_000);
      utimesSync(lockFile(), lapsed, lapsed);
      await turn('session-b', 'tb', 'unrelated small turn');
      // Session B's worker finds the holder alive: it leaves a rerun request and exits.
      expect(await runWorkerProcess(env)).toBe(0);
      expect(server.requests).toHaveLength(0);
      expect(lockOwner().pid).toBe(w1.child.pid);
      // The heartbeat keeps the lock's promise while the build still holds the main thread.
      await waitFor(() => statSync(lockFile()).mtimeMs > Date.now(), 30_000, 'a heartbeat');
    } finally {
      w1.release();
    }
    await w1.done;
    await waitForWorkerIdle(box.state);
    expect(prompts().sort()).toEqual(['read the fixtures', 'unrelated small turn']);
    const sent = readHistory(env).filter((r) => r.status === 'sent');
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((r) => r.key)).size).toBe(2);
    expect(sent.every((r) => r.unknownOutcomes === undefined)).toBe(true);
  }, 120_000);

  it('a worker whose lock was taken over during its build (frozen, then back) queues and sends nothing', async () => {
    await turn('session-a', 'ta', 'read the fixtures');
    const w1 = await slowWorker();
    try {
      // Another worker took over, as it may from a holder that stopped (SIGSTOP) past the stale time.
      writeFileSync(lockFile(), JSON.stringify({ pid: process.pid, token: 'the-second-worker' }));
    } finally {
      w1.release();
    }
    await w1.done;
    expect(server.requests).toHaveLength(0);
    expect(listOutbox(env)).toEqual([]);
    expect(spoolNames(box.state)).toHaveLength(2);
    expect(lockOwner().token).toBe('the-second-worker');
    rmSync(lockFile());
    expect(await runWorkerProcess(env)).toBe(0);
    expect(prompts()).toEqual(['read the fixtures']);
  }, 120_000);
});

describe('accepted-trace-moved-to-dead', () => {
  it.skipIf(mountUnavailable(join('/tmp', `mount-probe-eo-${process.pid}`)))(
    'a trace accepted while history/payloads is read-only is recorded sent, never dead, and retry --dead sends nothing',
    async () => {
      const payloads = spoolPaths(env).payloads;
      mkdirSync(payloads, { recursive: true });
      undo.push(mountReadOnly(payloads));
      await turn('session-a', 'ta', 'read the fixtures');
      expect(await runWorkerProcess(env)).toBe(0);
      expect(server.traces).toHaveLength(1);
      expect(listDead(env)).toEqual([]);
      expect(listOutbox(env)).toEqual([]);
      expect(readHistory(env)).toMatchObject([{ status: 'sent', traceId: server.traces[0]?.traceId }]);
      expect(requeueDead(env)).toBe(0);
      expect(await runWorkerProcess(env, ['--retry'])).toBe(0);
      expect(server.traces).toHaveLength(1);
    },
    60_000,
  );
});
