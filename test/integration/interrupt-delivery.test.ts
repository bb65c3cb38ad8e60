// Codex before 0.150 has no Interrupt hook: an interrupted turn leaves only its UserPromptSubmit, and the
// rollout's turn_aborted. The turn is built as soon as any worker runs (codex-matrix F8): `retry` and
// `status` run one too, so it does not wait for the next prompt.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexSession, waitFor, waitForWorkerIdle } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { runRegisteredHook } from '../support/field-replay';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { RolloutWriter } from '../unit/codex/rollout-writer';

const AGENT = 'agent-interrupt';
const SECRET = 'sk-interrupt-secret-2718';
let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

/** An init'ed sandbox (Codex 0.145) where a turn was interrupted: its prompt hook ran, no other. */
async function interruptedTurn(sessionId: string): Promise<Sandbox> {
  const sandbox = makeSandbox('0.145.0');
  expect((await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
  const rollout = join(
    sandbox.codexHome,
    'sessions/2026/11/30',
    `rollout-2026-11-30T10-00-00-${sessionId}.jsonl`,
  );
  mkdirSync(join(rollout, '..'), { recursive: true });
  const writer = new RolloutWriter(sessionId, Date.now() - 5_000).sessionMeta({ cwd: sandbox.project });
  writer
    .startTurn('t1', 'Run the slow migration')
    .usage('t1', 'r1', { input: 900, output: 20 })
    .exec('t1', 'c1', 'npm run migrate', null)
    .wait(2_000)
    .aborted('t1');
  writeFileSync(rollout, writer.lines.map((line) => `${line}\n`).join(''));
  const hook = await runRegisteredHook(
    sandbox,
    'UserPromptSubmit',
    codexSession(sessionId, sandbox.project, rollout).prompt('t1', 'Run the slow migration'),
  );
  expect(hook).toEqual({ code: 0, output: '' });
  return sandbox;
}

const forSession = (sessionId: string) =>
  standIn.traces.filter((t) => (t.body.environment as { session_id?: string }).session_id === sessionId);

describe('an interrupted turn without an Interrupt hook', () => {
  it('is built and sent by `retry`', async () => {
    const sessionId = '01a21000-0000-7000-8000-00000000f801';
    const sandbox = await interruptedTurn(sessionId);
    expect(forSession(sessionId)).toHaveLength(0);
    const retry = await runCli(sandbox, ['retry']);
    expect(retry.stdout).toContain('Sent 1;');
    const [trace] = forSession(sessionId);
    expect(((trace?.body.errors ?? []) as { error_type: string }[]).map((e) => e.error_type)).toEqual([
      'tool_incomplete',
      'turn_interrupted',
    ]);
    expect(trace?.body.llm_usage).toMatchObject({ prompt_tokens: 900, api_calls_count: 1 });
  });

  it('is built by the worker `status` starts', async () => {
    const sessionId = '01a21000-0000-7000-8000-00000000f802';
    const sandbox = await interruptedTurn(sessionId);
    expect((await runCli(sandbox, ['status'])).code).toBe(0);
    await waitFor(() => forSession(sessionId).length === 1, 60_000, 'the interrupted turn');
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    expect(forSession(sessionId)).toHaveLength(1);
  });
});
