// Maestro's evaluations read back (issue "Close the loop"): the worker polls for the traces it sent, at
// most every 3 s per trace, gives up after a bounded wait, keeps the object exactly as received, survives
// a kill mid-poll, and never polls twice from two processes; `results` and `history` show it.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCredentials, sendTrace } from '../../src/infinium/client';
import { readEvaluation } from '../../src/spool/evaluations';
import { appendHistory } from '../../src/spool/history';
import { spoolPaths } from '../../src/spool/layout';
import { pollEvaluations } from '../../src/worker/evaluations';
import { DIST, waitFor } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { type StandIn, sampleEvaluation, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-evaluations';
const SECRET = 'sk-evaluations-secret-4242';
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

async function initSandbox(): Promise<Sandbox> {
  const sandbox = makeSandbox();
  const init = await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET });
  expect(init.code).toBe(0);
  return sandbox;
}

/** A trace really sent to the stand-in and recorded in the history, as the worker records it. */
async function sentTrace(sandbox: Sandbox, turnNumber = 1): Promise<{ key: string; traceId: string }> {
  const agent = new AgentCredentials(AGENT, SECRET, standIn.url);
  const { traceId } = await sendTrace(agent, {
    name: `turn ${turnNumber}`,
    description: 'a traced turn',
    current_datetime: new Date().toISOString(),
    duration: 1,
  });
  const key = `session-1~turn-${turnNumber}`;
  appendHistory(spoolPaths(sandbox.env), {
    time: new Date().toISOString(),
    key,
    status: 'sent',
    project: 'demo',
    agentId: AGENT,
    baseUrl: standIn.url,
    sessionId: 'session-1',
    turn: `turn-${turnNumber}`,
    turnNumber,
    steps: 2,
    duration: 1,
    traceId,
    attempts: 1,
  });
  return { key, traceId: traceId as string };
}

function startWorker(sandbox: Sandbox, waitSeconds: number) {
  const child = spawn(process.execPath, [`${DIST}/worker.mjs`], {
    env: { ...sandbox.env, INFINIUM_CODEX_EVALUATION_WAIT_SECONDS: String(waitSeconds) },
    stdio: 'ignore',
  });
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, done };
}

function resetEvaluations(behaviour: Partial<StandIn['evaluations']> = {}): void {
  Object.assign(standIn.evaluations, { notReadyPolls: 0, never: false, result: sampleEvaluation }, behaviour);
}

describe('the worker reads Maestro’s evaluation back', () => {
  it('not ready, then ready: kept exactly as received, shown by history and results', async () => {
    resetEvaluations({ notReadyPolls: 1 });
    const sandbox = await initSandbox();
    const { key, traceId } = await sentTrace(sandbox);
    const worker = startWorker(sandbox, 60);
    await worker.done;

    const state = readEvaluation(spoolPaths(sandbox.env), key);
    const expected = sampleEvaluation(standIn.traces.find((t) => t.traceId === traceId) as never);
    expect(state).toMatchObject({ status: 'ready', polls: 2, evaluation: expected });
    expect(standIn.evaluationPolls.get(traceId)).toBe(2);

    const history = JSON.parse((await runCli(sandbox, ['history', '--json'])).stdout) as Record<
      string,
      unknown
    >[];
    expect(history[0]).toMatchObject({ key, evaluationStatus: 'ready', evaluation: expected });
    const table = await runCli(sandbox, ['history']);
    expect(table.stdout).toMatch(/VERDICT/);
    expect(table.stdout).toContain('0.82 good');

    const results = await runCli(sandbox, ['results']);
    expect(results.code).toBe(0);
    // The short key the history table shows (the end of the key) names the trace too, as for `history show`.
    expect((await runCli(sandbox, ['results', key.slice(-8)])).stdout).toBe(results.stdout);
    expect(results.stdout).toContain('Evaluation: ready · score 0.82 · good');
    expect(results.stdout).toContain('with minor detours');
    const full = JSON.parse((await runCli(sandbox, ['results', key, '--json'])).stdout) as unknown[];
    expect(full).toEqual([
      {
        key,
        traceId,
        project: 'demo',
        turnNumber: 1,
        evaluationStatus: 'ready',
        evaluation: expected,
      },
    ]);
  });

  it('401 on the evaluation: unavailable at once, with the reason', async () => {
    resetEvaluations();
    const sandbox = await initSandbox();
    const { key } = await sentTrace(sandbox);
    standIn.agents.set(AGENT, 'a-rotated-secret');
    try {
      await startWorker(sandbox, 60).done;
    } finally {
      standIn.agents.set(AGENT, SECRET);
    }
    const state = readEvaluation(spoolPaths(sandbox.env), key);
    expect(state).toMatchObject({ status: 'unavailable', polls: 1 });
    expect(state?.reason).toMatch(/401/);
    expect(JSON.stringify(state)).not.toContain(SECRET);
  });

  it('404 forever: unavailable once the wait is over, after a bounded number of polls', async () => {
    resetEvaluations({ never: true });
    const sandbox = await initSandbox();
    const { key, traceId } = await sentTrace(sandbox);
    await startWorker(sandbox, 4).done;
    const state = readEvaluation(spoolPaths(sandbox.env), key);
    expect(state).toMatchObject({ status: 'unavailable' });
    expect(state?.reason).toMatch(/Maestro had no evaluation 4 s after/);
    expect(standIn.evaluationPolls.get(traceId)).toBeLessThanOrEqual(2);
    const results = await runCli(sandbox, ['results']);
    expect(results.stdout).toContain('Evaluation: unavailable: Maestro had no evaluation');
  });

  it('a worker killed mid-poll leaves the trace pending; `results --wait` finishes the job', async () => {
    resetEvaluations({ never: true });
    const sandbox = await initSandbox();
    const { key, traceId } = await sentTrace(sandbox);
    const worker = startWorker(sandbox, 600);
    await waitFor(() => (standIn.evaluationPolls.get(traceId) ?? 0) >= 1, 20_000, 'a first poll');
    await waitFor(() => readEvaluation(spoolPaths(sandbox.env), key)?.polls === 1, 5_000, 'its state');
    worker.child.kill('SIGKILL');
    await worker.done;
    expect(readEvaluation(spoolPaths(sandbox.env), key)).toMatchObject({ status: 'pending', polls: 1 });

    resetEvaluations();
    const waited = await runCli(sandbox, ['results', '--wait', '--timeout', '30', '--json']);
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject([{ key, evaluationStatus: 'ready' }]);
  });

  it('two workers at once poll each trace once, not twice', async () => {
    resetEvaluations({ notReadyPolls: 2 });
    const sandbox = await initSandbox();
    const first = await sentTrace(sandbox, 1);
    const second = await sentTrace(sandbox, 2);
    await Promise.all([startWorker(sandbox, 60).done, startWorker(sandbox, 60).done]);
    for (const { key, traceId } of [first, second]) {
      expect(readEvaluation(spoolPaths(sandbox.env), key)?.status).toBe('ready');
      expect(standIn.evaluationPolls.get(traceId)).toBe(3);
    }
  });
});

describe('results --wait gives up at its timeout, and waits for the newest turn (first-run N1, N12)', () => {
  it('gives up with a message and a non-zero exit when Maestro has nothing by the timeout', async () => {
    resetEvaluations({ never: true });
    const sandbox = await initSandbox();
    await sentTrace(sandbox);
    const waited = await runCli(sandbox, ['results', '--wait', '--timeout', '2']);
    expect(waited.code).not.toBe(0);
    expect(waited.stdout).toContain('Evaluation: pending');
    expect(waited.stderr).toContain('Gave up after 2 s: the evaluation is still pending.');
  });

  it('honours the timeout when the server never answers', async () => {
    resetEvaluations();
    const sandbox = await initSandbox();
    await sentTrace(sandbox);
    standIn.goDown({ kind: 'slow', delayMs: 120_000 });
    try {
      // A request left to its own 30 s limit would outlast this test's own timeout.
      const waited = await runCli(sandbox, ['results', '--wait', '--timeout', '2']);
      expect(waited.code).not.toBe(0);
      expect(waited.stderr).toContain('Gave up after 2 s');
    } finally {
      standIn.recover();
    }
  }, 20_000);

  it('says the latest turn is still on its way instead of passing the previous one off as the latest', async () => {
    resetEvaluations();
    const sandbox = await initSandbox();
    await sentTrace(sandbox);
    // A turn whose Stop is spooled and not built yet (no worker runs in this sandbox).
    const spool = spoolPaths(sandbox.env).spool;
    mkdirSync(join(spool, 'tmp'), { recursive: true });
    writeFileSync(join(spool, 'tmp', '99-0'), '{"hook_event_name":"Stop","session_id":"session-1"}');
    writeFileSync(join(spool, '99-0.Stop.json'), '');
    const shown = await runCli(sandbox, ['results']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Your latest turn is still being built; below is the newest sent one.');
    const waited = await runCli(sandbox, ['results', '--wait', '--timeout', '1']);
    expect(waited.code).not.toBe(0);
    expect(waited.stderr).toContain('Gave up after 1 s: your latest turn is still being built.');
  });
});

describe('results --wait for a turn being sent', () => {
  it('sees its history line when the worker writes it, however long it waited before', async () => {
    resetEvaluations();
    const sandbox = await initSandbox();
    await sentTrace(sandbox, 1);
    // Turn 2 is built and waits in the outbox (no worker runs in this sandbox).
    const { outbox } = spoolPaths(sandbox.env);
    mkdirSync(outbox, { recursive: true });
    writeFileSync(
      join(outbox, 'session-1~turn-2.json'),
      JSON.stringify({ key: 'session-1~turn-2', builtAtMs: Date.now() }),
    );
    const waiting = runCli(sandbox, ['results', '--wait', '--timeout', '30', '--json']);
    // Long enough for it to have read the history and be waiting on it (it reads again once it changes).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // Sent: its history line comes before its outbox entry goes (here: not at all).
    const { key } = await sentTrace(sandbox, 2);
    const waited = await waiting;
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject([{ key, evaluationStatus: 'ready' }]);
  });
});

describe('polling pace', () => {
  it('asks at most once every 3 s per trace', async () => {
    resetEvaluations({ notReadyPolls: 3 });
    const sandbox = await initSandbox();
    const { key, traceId } = await sentTrace(sandbox);
    let clock = Date.now();
    const pollTimes: number[] = [];
    const sleep = async (ms: number) => {
      clock += ms;
    };
    const polled = await pollEvaluations(sandbox.env, {
      giveUpAfterMs: 60_000,
      linger: true,
      now: () => clock,
      sleep,
      onChange: () => pollTimes.push(clock),
    });
    expect(polled).toBe(true);
    expect(readEvaluation(spoolPaths(sandbox.env), key)?.status).toBe('ready');
    expect(standIn.evaluationPolls.get(traceId)).toBe(4);
    for (let i = 1; i < pollTimes.length; i += 1) {
      expect((pollTimes[i] as number) - (pollTimes[i - 1] as number)).toBeGreaterThanOrEqual(3_000);
    }
  });
});
