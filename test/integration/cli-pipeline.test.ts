// status, history, retry and doctor reflect what the worker did. The set-up is a user's: `init`, then
// Codex's hook payloads (recorded from Codex 0.169.0) are fed to the exact commands init wrote into
// hooks.json, run the way Codex runs them (`sh -c`, another cwd, a minimal PATH); the detached worker
// they start sends to the stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolStats } from '../../src/spool';
import { spoolPaths } from '../../src/spool/layout';
import { tryLock } from '../../src/spool/lock';
import { waitFor, waitForWorkerIdle } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { feed, readDeadCount, readOutboxCount, secondTurnAt, twoTurns } from '../support/recorded-turns';
import { runWorkerProcess } from '../support/scenario';

const AGENT = 'agent-pipeline';
const SECRET = 'sk-pipeline-secret-31337';
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

/** Waits for what the worker did, then for the worker to be done altogether. */
async function workerDid(sandbox: Sandbox, check: () => boolean, what: string): Promise<void> {
  await waitFor(check, 60_000, what);
  await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
}

async function json<T>(sandbox: Sandbox, args: string[]): Promise<T> {
  const result = await runCli(sandbox, [...args, '--json']);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as T;
}

interface Status {
  outbox: number;
  dead: number;
  lastSent: { traceId?: string } | null;
  costToday: { turns: number; apiUsd: number; planUsd: number; unpricedTurns: number };
}
// Each turn of the two-turn fixture: gpt-5.5 at $5 input, $0.50 cached, $30 output per million, per
// response (1000 in of which 200 cached, 50 out; 1300 in of which 1000 cached, 20 out).
const TURN_USD = (800 * 5 + 200 * 0.5 + 50 * 30 + 300 * 5 + 1000 * 0.5 + 20 * 30) / 1e6;
interface HistoryRow {
  status: string;
  traceId?: string;
  reason?: string;
  project: string;
}

async function initSandbox(): Promise<Sandbox> {
  const sandbox = makeSandbox();
  const init = await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET });
  expect(init.code).toBe(0);
  return sandbox;
}

describe('status, history and retry show what the worker did', () => {
  it('a sent turn, then a turn held in the outbox while Infinium is down, sent by `retry`', async () => {
    const sandbox = await initSandbox();
    const events = twoTurns(sandbox);
    const secondTurn = secondTurnAt(events);
    const sentBefore = standIn.traces.length;

    await feed(sandbox, events.slice(0, secondTurn));
    await workerDid(sandbox, () => standIn.traces.length > sentBefore, 'the first trace');
    const first = standIn.traces.at(-1);
    expect(first?.agentId).toBe(AGENT);

    const history = await json<HistoryRow[]>(sandbox, ['history']);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ status: 'sent', traceId: first?.traceId, project: 'demo' });
    const shown = await runCli(sandbox, ['history', 'show', first?.traceId ?? '', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(JSON.parse(first?.rawBody ?? '{}'));
    expect(await json<Status>(sandbox, ['status'])).toMatchObject({
      outbox: 0,
      dead: 0,
      lastSent: { traceId: first?.traceId },
      costToday: { turns: 1, apiUsd: TURN_USD, planUsd: 0, unpricedTurns: 0 },
    });
    // The table shows each turn's short key (the end of its session~turn key), which `history show` takes.
    const table = await runCli(sandbox, ['history']);
    expect(table.stdout).toMatch(/WHEN +PROJECT +TURN +STATUS/);
    expect(table.stdout).toMatch(/demo +#1 +sent +3 +2370 +\$0\.008 /);

    standIn.goDown({ kind: 'status', status: 503 });
    try {
      await feed(sandbox, events.slice(secondTurn));
      await workerDid(sandbox, () => readOutboxCount(sandbox) === 1, 'the second turn to wait in the outbox');
      expect(await json<Status>(sandbox, ['status'])).toMatchObject({ outbox: 1, dead: 0 });
      const stillDown = await runCli(sandbox, ['retry']);
      expect(stillDown.code).toBe(1);
      expect(stillDown.stdout).toContain('1 will be retried later');
      // No timer retries it: status says what will (first-run N11).
      const waiting = await runCli(sandbox, ['status']);
      expect(waiting.code).toBe(0);
      expect(waiting.stdout).toMatch(
        /\nNext try: {2}with the first Codex turn that ends in \d+ s or later, or now with `infinium-codex retry`\n/,
      );
      expect((await runCli(sandbox, ['doctor'])).stdout).toMatch(
        /Nothing to do if it passes: next try with the first Codex turn that ends in \d+ s or later, or now with `infinium-codex retry`\./,
      );
    } finally {
      standIn.recover();
    }
    const retried = await runCli(sandbox, ['retry']);
    expect(retried.stdout).toContain('Sent 1');
    expect(retried.code).toBe(0);
    expect(await json<Status>(sandbox, ['status'])).toMatchObject({
      outbox: 0,
      lastSent: { traceId: standIn.traces.at(-1)?.traceId },
      costToday: { turns: 2, apiUsd: 2 * TURN_USD, planUsd: 0, unpricedTurns: 0 },
    });
    expect((await json<HistoryRow[]>(sandbox, ['history'])).map((row) => row.status)).toEqual([
      'sent',
      'sent',
    ]);
  }, 180_000);

  it('`retry` while a worker is sending waits for it and says what it sent (first-run N18)', async () => {
    const sandbox = await initSandbox();
    const events = twoTurns(sandbox);
    const sentBefore = standIn.traces.length;
    const requestsBefore = standIn.requests.length;
    standIn.failNext(1, { kind: 'slow', delayMs: 5_000 });
    await feed(sandbox, events.slice(0, secondTurnAt(events)));
    await waitFor(
      () => standIn.requests.slice(requestsBefore).some((request) => request.path.endsWith('/trace')),
      60_000,
      'the worker to be sending',
    );
    const retried = await runCli(sandbox, ['retry']);
    expect(retried.stdout).toBe('Waited for a send in progress: 1 sent.\nNothing else in the outbox.\n');
    expect(retried.code).toBe(0);
    expect(standIn.traces.length).toBe(sentBefore + 1);
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
  }, 180_000);

  it('a trace answered by a web page instead of Infinium waits; status and doctor say what came instead', async () => {
    const sandbox = await initSandbox();
    const events = twoTurns(sandbox);
    const secondTurn = secondTurnAt(events);
    // The trace endpoint alone answers 200 with a portal's page: the health check still passes.
    standIn.failNext(1, {
      kind: 'status',
      status: 200,
      body: '<html><body>Sign in to the guest network</body></html>',
      contentType: 'text/html; charset=utf-8',
    });
    await feed(sandbox, events.slice(0, secondTurn));
    await workerDid(sandbox, () => readOutboxCount(sandbox) === 1, 'the turn to wait in the outbox');
    const unexpected = `The server at ${standIn.url} did not answer like Infinium (HTTP 200, the answer to a trace: not JSON (text/html))`;
    expect(await json<Status & { outboxFailures: unknown[] }>(sandbox, ['status'])).toMatchObject({
      outbox: 1,
      outboxFailures: [{ kind: 'not_infinium', count: 1, lastError: expect.stringContaining(unexpected) }],
    });
    const status = await runCli(sandbox, ['status']);
    expect(status.stdout).toContain(`Failing:   1 waiting trace: ${unexpected}`);
    expect(status.stdout).toContain('Run `infinium-codex doctor` for the fix.');
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✓ api: Infinium answered`);
    expect(doctor.stdout).toContain(`✗ outbox: 1 trace waits: ${unexpected}`);
    expect(doctor.stdout).toContain('Something other than Infinium answers at the base URL');

    expect((await runCli(sandbox, ['retry'])).code).toBe(0);
    expect(await json<Status & { outboxFailures: unknown[] }>(sandbox, ['status'])).toMatchObject({
      outbox: 0,
      outboxFailures: [],
    });
    expect((await runCli(sandbox, ['status'])).stdout).not.toContain('Failing:');
  }, 180_000);

  it('a turn sent again after a connection lost mid-send is marked in the history as maybe held twice', async () => {
    const sandbox = await initSandbox();
    const events = twoTurns(sandbox);
    const secondTurn = secondTurnAt(events);
    standIn.failNext(1, { kind: 'drop' });
    await feed(sandbox, events.slice(0, secondTurn));
    await workerDid(sandbox, () => readOutboxCount(sandbox) === 1, 'the turn to wait in the outbox');
    expect((await runCli(sandbox, ['retry'])).code).toBe(0);
    const history = await json<(HistoryRow & { unknownOutcomes?: number })[]>(sandbox, ['history']);
    expect(history).toEqual([expect.objectContaining({ status: 'sent', unknownOutcomes: 1 })]);
    const table = await runCli(sandbox, ['history']);
    expect(table.stdout).toMatch(/#1 +sent\* /);
    expect(table.stdout).toContain('Infinium may hold this trace more than once');
  }, 180_000);

  it('a trace rejected for bad credentials is dead; doctor says so; new credentials and `retry --dead` send it', async () => {
    const sandbox = await initSandbox();
    standIn.agents.set(AGENT, 'sk-rotated-secret');
    try {
      const events = twoTurns(sandbox);
      const secondTurn = secondTurnAt(events);
      await feed(sandbox, events.slice(0, secondTurn));
      await workerDid(sandbox, () => readDeadCount(sandbox) === 1, 'the trace to be dead');
      const history = await json<HistoryRow[]>(sandbox, ['history']);
      expect(history[0]).toMatchObject({ status: 'dead' });
      expect(history[0]?.reason).toContain('rejected the credentials');
      expect(await json<Status>(sandbox, ['status'])).toMatchObject({ dead: 1 });

      const doctor = await runCli(sandbox, ['doctor']);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toContain('✗ api: Infinium rejected the credentials');
      expect(doctor.stdout).toContain('! dead: 1 trace could not be sent');

      const update = await runCli(sandbox, ['update-credentials', '--agent-secret-stdin'], {
        input: 'sk-rotated-secret',
      });
      expect(update.code).toBe(0);
      const sentBefore = standIn.traces.length;
      const retried = await runCli(sandbox, ['retry', '--dead']);
      expect(retried.stdout).toContain('Re-queued 1 dead trace.');
      expect(retried.code).toBe(0);
      expect(standIn.traces.length).toBe(sentBefore + 1);
      expect((await json<Status>(sandbox, ['status'])).dead).toBe(0);
    } finally {
      standIn.agents.set(AGENT, SECRET);
    }
  }, 180_000);
});

describe('recovery after fixing the agent id or base URL (queued-traces-keep-old-agent-and-url)', () => {
  it('a trace dead for a mistyped agent id goes to the corrected agent on `retry --dead`, and retry says so', async () => {
    const sandbox = makeSandbox();
    expect(
      (await runCli(sandbox, initArgs('wrongid', standIn.url, '--offline'), { input: SECRET })).code,
    ).toBe(0);
    const events = twoTurns(sandbox);
    const secondTurn = secondTurnAt(events);
    await feed(sandbox, events.slice(0, secondTurn));
    await workerDid(sandbox, () => readDeadCount(sandbox) === 1, 'the trace to be dead');
    const update = await runCli(
      sandbox,
      ['update-credentials', '--agent-id', AGENT, '--agent-secret-stdin'],
      {
        input: SECRET,
      },
    );
    expect(update.code).toBe(0);
    const sentBefore = standIn.traces.length;
    const retried = await runCli(sandbox, ['retry', '--dead']);
    expect(retried.stdout).toContain('Re-queued 1 dead trace.');
    expect(retried.stdout).toContain(
      `Re-targeted 1 trace from agent wrongid to agent ${AGENT}, as now configured for their project.`,
    );
    expect(retried.stdout).toContain('Sent 1;');
    expect(retried.code).toBe(0);
    expect(standIn.traces.slice(sentBefore).map((t) => t.agentId)).toEqual([AGENT]);
  }, 180_000);

  it('a trace dead for a wrong base URL goes to the corrected URL after `doctor --fix`', async () => {
    const sandbox = makeSandbox();
    const wrongUrl = `${standIn.url}/wrong/prefix`;
    expect((await runCli(sandbox, initArgs(AGENT, wrongUrl, '--offline'), { input: SECRET })).code).toBe(0);
    const events = twoTurns(sandbox);
    const secondTurn = secondTurnAt(events);
    await feed(sandbox, events.slice(0, secondTurn));
    await workerDid(sandbox, () => readDeadCount(sandbox) === 1, 'the trace to be dead');
    expect((await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
    const doctor = await runCli(sandbox, ['doctor', '--fix']);
    expect(doctor.stdout).toContain('Fixed: re-queued 1 dead trace');
    expect(doctor.stdout).toContain(
      `Fixed: re-targeted 1 trace from ${wrongUrl} to ${standIn.url}, as now configured for their project`,
    );
    const sentBefore = standIn.traces.length;
    const retried = await runCli(sandbox, ['retry']);
    expect(retried.stdout).toContain('Sent 1;');
    expect(standIn.traces.length).toBe(sentBefore + 1);
  }, 180_000);
});

describe('pause is judged at the time of the turn (pause-checked-at-build-time)', () => {
  it('a turn made between `pause` and `resume` is dropped though built after the resume; the one before is sent', async () => {
    const sandbox = await initSandbox();
    const events = twoTurns(sandbox);
    const secondTurn = secondTurnAt(events);
    // A worker busy the whole time (as one stuck on a slow send): the hooks leave it rerun requests.
    const busy = tryLock(spoolPaths({ INFINIUM_CODEX_HOME: sandbox.stateDir }).lock);
    const sentBefore = standIn.traces.length;
    try {
      await feed(sandbox, events.slice(0, secondTurn));
      expect((await runCli(sandbox, ['pause'])).code).toBe(0);
      await feed(sandbox, events.slice(secondTurn));
      expect((await runCli(sandbox, ['resume'])).code).toBe(0);
    } finally {
      busy?.release();
    }
    expect(await runWorkerProcess(sandbox.env)).toBe(0);
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    const sent = standIn.traces.slice(sentBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body.input_summary).toBe(
      JSON.parse(events.find(({ event }) => event === 'UserPromptSubmit')?.payload ?? '{}').prompt,
    );
    expect(spoolStats({ INFINIUM_CODEX_HOME: sandbox.stateDir }).turnsDropped).toBe(1);
  }, 180_000);
});
