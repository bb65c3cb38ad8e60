// The whole capture pipeline with real processes: Codex's hook payloads (recorded from Codex 0.169.0) are
// fed to the built hook front-ends, which start the built detached worker, which sends to the stand-in
// Infinium server. Temp HOME / CODEX_HOME / INFINIUM_CODEX_HOME throughout.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeSecret } from '../../src/config/credentials';
import { listDead, listOutbox, readHistory, spoolStats } from '../../src/spool';
import { spoolPaths } from '../../src/spool/layout';
import {
  codexSession,
  type EventSequence,
  FRONT_ENDS,
  type FrontEnd,
  feed,
  hookCommand,
  makeSandbox,
  type Sandbox,
  spoolNames,
  storeAgentSecret,
  waitFor,
  waitForWorkerIdle,
  writeProjectConfig,
} from '../support/capture-harness';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { LEAN, loadScenario, rolloutPath, runWorkerProcess } from '../support/scenario';
import { RolloutWriter } from '../unit/codex/rollout-writer';

const AGENT = '3f1f0c2e-0000-4000-8000-00000000c0de';
const SECRET = 'ik_live_integration_secret_0123456789';
let server: StandIn;
let box: Sandbox;
let env: Record<string, string>;

beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
  env = { ...box.env };
  // A session started with its own secret is the 401 case below.
  storeAgentSecret(box, { [AGENT]: SECRET });
});
afterEach(async () => {
  await waitForWorker();
  await server.close();
  box.cleanup();
});

/** Feeds events through a front-end; every hook run must exit 0 and print nothing. */
async function replay(frontEnd: FrontEnd, events: EventSequence, runEnv = env) {
  const runs = await feed(frontEnd, events, runEnv);
  for (const run of runs) expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
}

function lockFile() {
  return spoolPaths(env).lock;
}

const waitForWorker = () => waitForWorkerIdle(box.state);

async function waitForTraces(count: number) {
  await waitFor(() => server.traces.length >= count, 20_000, `${count} traces`);
  await waitForWorker();
}

const steps = (i: number) =>
  (server.traces[i]?.body.steps ?? []) as { action: string; status: string; agent_id?: string }[];
const errorTypes = (i: number) =>
  ((server.traces[i]?.body.errors ?? []) as { error_type: string }[]).map((e) => e.error_type);

describe('capture pipeline (hook -> worker -> Infinium)', () => {
  // The Node front-end's way through the pipeline is in the tests below.
  it.each(FRONT_ENDS.filter((frontEnd) => frontEnd !== 'node'))(
    'sends one trace per turn of a real session, once, and cleans the spool (%s front-end, lean hooks)',
    async (frontEnd) => {
      const scenario = loadScenario('ten-commands', box);
      await replay(
        frontEnd,
        scenario.events.filter(([event]) => LEAN.has(event)),
      );
      await waitForTraces(1);
      const toolCalls = steps(0).filter((s) => s.action === 'tool_call');
      expect(toolCalls).toHaveLength(10);
      expect(toolCalls.every((s) => s.status === 'success')).toBe(true);
      expect(server.traces[0]?.rawBody).not.toContain(SECRET);
      // The raw payloads are gone, both links of each.
      expect(spoolNames(box.state)).toEqual([]);
      expect(readdirSync(join(box.state, 'spool', 'tmp'))).toEqual([]);
      expect(listOutbox(env)).toEqual([]);
      const [record] = readHistory(env);
      expect(record).toMatchObject({
        status: 'sent',
        traceId: server.traces[0]?.traceId,
        sessionId: scenario.sessionId,
      });
      expect(JSON.parse(readFileSync(record?.payloadPath as string, 'utf8'))).toEqual(server.traces[0]?.body);
      await runWorkerProcess(env);
      expect(server.traces).toHaveLength(1);
    },
  );

  it('keeps two concurrent sessions apart (one through each front-end, full hooks)', async () => {
    const a = loadScenario('ten-commands', box);
    const b = loadScenario('failing-command', box);
    await Promise.all([replay('sh', a.events), replay('node', b.events)]);
    await waitForTraces(2);
    await runWorkerProcess(env);
    expect(server.traces).toHaveLength(2);
    const bySession = new Map(readHistory(env).map((r) => [r.sessionId, r]));
    expect([...bySession.keys()].sort()).toEqual([a.sessionId, b.sessionId].sort());
    expect(spoolNames(box.state)).toEqual([]);
  });

  it('traces an interrupted turn, with the PreToolUse that never got its PostToolUse as incomplete', async () => {
    const scenario = loadScenario('interrupt', box);
    expect(scenario.events.map(([e]) => e)).toEqual([
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'Interrupt',
      'SessionEnd',
    ]);
    await replay('sh', scenario.events);
    await waitForTraces(1);
    await runWorkerProcess(env);
    expect(server.traces).toHaveLength(1);
    expect(errorTypes(0)).toContain('turn_interrupted');
    expect(steps(0).some((s) => s.action === 'tool_call' && s.status === 'incomplete')).toBe(true);
  });

  it("puts a sub-agent's events into its parent's turn: one trace, with the sub-agent as a step", async () => {
    const scenario = loadScenario('subagent', box);
    expect(scenario.events.some(([, p]) => p.includes('"agent_id"'))).toBe(true);
    // The scenario's rollout is written whole before the hooks run, so a worker that SessionStart starts
    // would find the turn already over in it before the sub-agent's hooks arrive; in a real session Codex
    // runs SubagentStop before the parent turn ends in the rollout. Replay from the prompt on.
    await replay(
      'node',
      scenario.events.filter(([event]) => event !== 'SessionStart'),
    );
    await waitForTraces(1);
    await runWorkerProcess(env);
    expect(server.traces).toHaveLength(1);
    expect(steps(0).some((s) => s.action === 'subagent')).toBe(true);
  });

  it('keeps the trace while Infinium is down and delivers it once when it is back', async () => {
    server.goDown();
    const scenario = loadScenario('ten-commands', box);
    await replay(
      'sh',
      scenario.events.filter(([event]) => LEAN.has(event)),
    );
    await waitFor(() => (listOutbox(env)[0]?.attempts ?? 0) >= 1, 20_000, 'a failed attempt');
    await waitForWorker();
    expect(listOutbox(env)[0]?.lastError).toContain('HTTP 503');
    server.recover();
    await runWorkerProcess(env);
    expect(server.traces).toHaveLength(0);
    await runWorkerProcess(env, ['--retry']);
    await runWorkerProcess(env, ['--retry']);
    expect(server.traces).toHaveLength(1);
    expect(listOutbox(env)).toEqual([]);
    expect(readHistory(env)).toMatchObject([{ status: 'sent', attempts: 2 }]);
  });

  it('parks the trace in dead/ with the reason when Infinium answers 401', async () => {
    const scenario = loadScenario('ten-commands', box);
    await replay(
      'sh',
      scenario.events.filter(([event]) => LEAN.has(event)),
      {
        ...env,
        INFINIUM_AGENT_SECRET: 'ik_live_wrong_secret',
      },
    );
    await waitFor(() => listDead(env).length === 1, 20_000, 'a dead trace');
    await waitForWorker();
    expect(listDead(env)[0]?.reason).toMatch(/HTTP 401.*update-credentials/);
    expect(listOutbox(env)).toEqual([]);
    expect(server.traces).toHaveLength(0);
    const everything = readdirSync(spoolPaths(env).dead)
      .map((n) => readFileSync(join(spoolPaths(env).dead, n), 'utf8'))
      .join();
    expect(everything).not.toContain('ik_live_wrong_secret');
  });

  it('loses and duplicates nothing when the worker is SIGKILLed mid-run and run again', async () => {
    const scenario = loadScenario('ten-commands', box);
    // The turn's end is not on disk yet: the worker waits for it (rollout settle time), and is killed there.
    const rollout = rolloutPath(scenario);
    const text = readFileSync(rollout, 'utf8');
    truncateSync(rollout, Buffer.byteLength(text.slice(0, text.indexOf('"task_complete"'))) - 60);
    writeFileSync(rollout, `${readFileSync(rollout, 'utf8').replace(/\n[^\n]*$/, '')}\n`);
    await replay(
      'sh',
      scenario.events.filter(([event]) => LEAN.has(event)),
    );
    await waitFor(() => lockPid() !== null, 10_000, 'the worker to start');
    process.kill(lockPid() as number, 'SIGKILL');
    expect(server.traces).toHaveLength(0);
    expect(spoolNames(box.state).length).toBeGreaterThan(0);
    writeFileSync(rollout, text);
    await runWorkerProcess(env);
    await runWorkerProcess(env);
    // On a loaded machine the SessionEnd hook's worker may take the lock the killed one freed, and the runs
    // above then only leave it a rerun request: whichever worker builds the turn, it arrives once.
    await waitForTraces(1);
    expect(server.traces).toHaveLength(1);
    expect(steps(0).filter((s) => s.action === 'tool_call')).toHaveLength(10);
    expect(spoolNames(box.state)).toEqual([]);
  });

  it('resends a trace whose send was cut short by SIGKILL, and the history says it may be a duplicate', async () => {
    server.failNext(1, { kind: 'slow', delayMs: 1_500 });
    const scenario = loadScenario('ten-commands', box);
    await replay(
      'sh',
      scenario.events.filter(([event]) => LEAN.has(event)),
    );
    await waitFor(() => server.requests.length === 1 && lockPid() !== null, 20_000, 'the send to start');
    process.kill(lockPid() as number, 'SIGKILL');
    await runWorkerProcess(env);
    // The stand-in drops a request whose client went away; a real server might have kept it.
    expect(server.traces).toHaveLength(1);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(readHistory(env)).toMatchObject([{ status: 'sent', attempts: 2, unknownOutcomes: 1 }]);
  });

  it('skips and counts a corrupt spool entry, and keeps the rest of the turn', async () => {
    const scenario = loadScenario('ten-commands', box);
    const events = scenario.events.map(([event, payload], i): [string, string] =>
      event === 'PostToolUse' && i === 5 ? [event, payload.slice(0, 40)] : [event, payload],
    );
    await replay('sh', events);
    await waitForTraces(1);
    expect(spoolStats(env)).toMatchObject({ corruptSkipped: 1, spooledEvents: 0, outbox: 0 });
    expect(readdirSync(spoolPaths(env).corrupt)).toHaveLength(1);
    expect(steps(0).filter((s) => s.action === 'tool_call')).toHaveLength(10);
  });

  it('runs the worker detached with --detach (the shell hook on systems without setsid)', async () => {
    const scenario = loadScenario('ten-commands', box);
    await replay(
      'sh',
      scenario.events.filter(([event]) => event === 'UserPromptSubmit'),
    );
    await replay(
      'node',
      scenario.events.filter(([event]) => event === 'PreToolUse' || event === 'PostToolUse'),
    );
    const stop = scenario.events.find(([event]) => event === 'Stop') as [string, string];
    // A Stop spooled without a hook run, so that only the detached worker can send the turn.
    await replay('sh', [['PostToolUse', stop[1]]]);
    expect(await runWorkerProcess(env, ['--detach'])).toBe(0);
    await waitForTraces(1);
    expect(steps(0).filter((s) => s.action === 'tool_call')).toHaveLength(10);
  });

  // Codex kills only the hook process, and only on a timeout; a runner that kills the hook's whole group
  // as it returns is the harsher case. The Node and native front-ends' worker has left the group before
  // the hook exits. The shell front-end's has left it a moment later (hook.sh says why): a kill in that
  // moment must lose nothing, the turn waiting in the spool for the next worker run.
  it.each(FRONT_ENDS)(
    '%s: a group kill the moment the hook returns loses nothing; the worker normally survives it',
    async (frontEnd) => {
      const scenario = loadScenario('ten-commands', box);
      const lean = scenario.events.filter(([event]) => LEAN.has(event));
      await replay(
        frontEnd,
        lean.filter(([event]) => event === 'UserPromptSubmit'),
      );
      const stop = lean.find(([event]) => event === 'Stop') as [string, string];
      const [command, args] = hookCommand(frontEnd, 'Stop', {});
      // detached: the hook leads its own process group, as a runner that kills the group on return would have it.
      const hook = spawn(command, args, { env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      hook.stdin.end(stop[1]);
      await new Promise((resolve) => hook.on('close', resolve));
      try {
        process.kill(-(hook.pid as number), 'SIGKILL');
      } catch {
        // nothing left in the group: the worker is in a session of its own
      }
      if (frontEnd === 'sh') {
        await waitForTraces(1).catch(async () => {
          expect(server.traces).toHaveLength(0);
          expect(spoolNames(box.state).some((name) => name.endsWith('.Stop.json'))).toBe(true);
          expect(await runWorkerProcess(env)).toBe(0);
        });
      }
      await waitForTraces(1);
      expect(server.traces).toHaveLength(1);
      expect(steps(0).filter((s) => s.action === 'tool_call')).toHaveLength(10);
    },
  );
});

function lockPid(): number | null {
  try {
    return (JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

// agent-secret-in-trace: a turn that prints the stored agent secret (the credential file, the env variable,
// a curl line with our header, the final message) reaches Infinium and the history without it.
describe('agent-secret-in-trace', () => {
  it.each(['redacted', 'full'] as const)(
    'the stored agent secret is scrubbed from the trace and the history (%s content)',
    async (contentMode) => {
      const secret = 'secret-abcdef-123456';
      const standIn = await startStandIn({ [AGENT]: secret });
      try {
        const sandbox = makeSandbox({ agentId: AGENT, baseUrl: standIn.url });
        writeProjectConfig(sandbox, { agentId: AGENT, baseUrl: standIn.url, contentMode });
        const sandboxEnv = sandbox.env;
        expect(
          (await storeSecret(AGENT, standIn.url, secret, { env: sandboxEnv, noKeyring: true })).source,
        ).toBe('file');
        const turn = JSON.parse(
          readFileSync(join(import.meta.dirname, '../fixtures/secrets/agent-secret-turn.json'), 'utf8')
            .split('AGENT_SECRET')
            .join(secret),
        ) as { prompt: string; commands: { cmd: string; output: string; exit: number }[]; final: string };
        const sessionId = '01a2f000-0000-7000-8000-0000000a9e17';
        const turnId = '01a2f000-1111-7000-8000-0000000a9e17';
        const transcript = join(
          sandbox.env.CODEX_HOME as string,
          'sessions/2026/11/30',
          'rollout-secret.jsonl',
        );
        mkdirSync(join(transcript, '..'), { recursive: true });
        const w = new RolloutWriter(sessionId, Date.now() - 60_000).sessionMeta({ cwd: sandbox.project });
        w.startTurn(turnId, turn.prompt);
        turn.commands.forEach((c, i) => {
          w.exec(turnId, `call_${i}`, c.cmd, { output: c.output, exitCode: c.exit });
        });
        w.agentMessage(turnId, turn.final).complete(turnId, 1_500, turn.final);
        writeFileSync(transcript, w.text());
        const session = codexSession(sessionId, sandbox.project, transcript);
        const events: EventSequence = [
          ['SessionStart', session.sessionStart()],
          ['UserPromptSubmit', session.prompt(turnId, turn.prompt)],
          ['Stop', session.stop(turnId, turn.final)],
          ['SessionEnd', session.sessionEnd()],
        ];
        for (const run of await feed('sh', events, sandboxEnv))
          expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
        await waitFor(() => standIn.traces.length >= 1, 20_000, 'the trace');
        await waitForWorkerIdle(sandbox.state);
        const body = standIn.traces[0]?.rawBody ?? '';
        expect(body).toContain('[REDACTED:agent-secret]');
        expect(body).not.toContain(secret);
        expect(body).toContain('cat ~/.infinium-codex/credentials.json');
        const [record] = readHistory(sandboxEnv);
        expect(readFileSync(record?.payloadPath as string, 'utf8')).not.toContain(secret);
        sandbox.cleanup();
      } finally {
        await standIn.close();
      }
    },
    60_000,
  );
});
