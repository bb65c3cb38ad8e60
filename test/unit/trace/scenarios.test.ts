// composeTurnTrace on the real Codex 0.169 scenario fixtures, in both capture modes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeTaskData, type TaskData } from '../../../src/infinium/task-data';
import { composeTurnTrace } from '../../../src/worker/compose';
import { CODEX_VERSIONS, type CodexVersion, context, scenarioTurn, stageScenario } from './helpers';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'codex-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function trace(
  name: string,
  capture: 'lean' | 'full' = 'lean',
  version: CodexVersion = '0.169.0',
): Promise<TaskData> {
  const turn = scenarioTurn(stageScenario(name, home, version), capture);
  const { taskData } = await composeTurnTrace(turn, context({ capture }), undefined);
  serializeTaskData(taskData);
  return taskData;
}

const tools = (data: TaskData) =>
  (data.steps ?? []).filter((s) => s.action === 'tool_call').map((s) => [s.tool_name, s.status, s.exit_code]);

const SCENARIO_NAMES = [
  'apply-patch',
  'compaction',
  'failing-command',
  'interrupt',
  'mcp-call',
  'subagent',
  'subagent-v2',
  'ten-commands',
];

describe('real scenarios', () => {
  it.each(SCENARIO_NAMES)('%s: lean and full capture give the same trace', async (name) => {
    const lean = await trace(name, 'lean');
    const full = await trace(name, 'full');
    expect(lean.environment?.capture_mode).toBe('lean');
    expect(full.environment?.capture_mode).toBe('full');
    // The capture mode is recorded in the environment; everything else is identical.
    expect({ ...full, environment: { ...full.environment, capture_mode: 'lean' } }).toEqual(lean);
    // The audit of what Codex writes: every line and item type of a real turn is read or left out on
    // purpose (docs/traced-events.md), so the drift sentinel has nothing to count.
    expect(lean.environment).not.toHaveProperty('unread_rollout_lines');
  });

  it('apply-patch: files touched, exit codes and per-turn tokens', async () => {
    const data = await trace('apply-patch');
    const patches = data.steps?.filter((s) => s.tool_name === 'apply_patch') ?? [];
    expect(patches.map((s) => [s.description, s.status, s.exit_code])).toEqual([
      ['Applied a patch to notes/todo.txt, hello.py', 'success', 0],
      ['Applied a patch to hello.py', 'success', 0],
    ]);
    expect(patches[0]?.input).toContain('*** Add File: notes/todo.txt');
    expect(patches[1]?.output).toContain('M hello.py');
    expect(data.llm_usage).toMatchObject({ total_tokens: 5180, api_calls_count: 3 });
    expect(data.errors).toEqual([]);
  });

  it('interrupt: a command that died of the kill before Codex wrote its abort is incomplete too', async () => {
    const payloads = stageScenario('interrupt', home);
    const rollout = payloads[0]?.transcript_path as string;
    // What Codex writes when the killed command's own exit wins the race with the interrupt.
    writeFileSync(
      rollout,
      readFileSync(rollout, 'utf8')
        .replace('"exit_code":-1', '"exit_code":137')
        .replace('aborted by user', 'started'),
    );
    const { taskData } = await composeTurnTrace(scenarioTurn(payloads, 'lean'), context(), undefined);
    expect(tools(taskData)).toEqual([['exec_command', 'incomplete', 137]]);
    expect(taskData.errors?.map((e) => e.error_type)).toEqual(['tool_incomplete', 'turn_interrupted']);
  });

  it('failing-command: a command killed by a signal in a turn that was not interrupted is a failure', async () => {
    const payloads = stageScenario('failing-command', home);
    const rollout = payloads[0]?.transcript_path as string;
    writeFileSync(rollout, readFileSync(rollout, 'utf8').replaceAll('"exit_code":3', '"exit_code":137'));
    const { taskData } = await composeTurnTrace(scenarioTurn(payloads, 'lean'), context(), undefined);
    expect(tools(taskData)).toEqual([['exec_command', 'failure', 137]]);
  });

  it('mcp-call: the tool search and the MCP call with its result', async () => {
    const data = await trace('mcp-call');
    expect(tools(data)).toEqual([
      ['tool_search', 'success', undefined],
      ['mcp__fixture__lookup', 'success', undefined],
    ]);
    const mcp = data.steps?.find((s) => s.tool_name === 'mcp__fixture__lookup');
    expect(mcp).toMatchObject({ description: 'MCP call fixture/lookup', output: 'value of abc: cba' });
    expect(mcp?.input).toBe('{"key":"abc"}');
    expect(data.llm_usage?.total_tokens).toBe(3412);
  });

  it('compaction: one compaction step with its summary; its request counted once', async () => {
    const data = await trace('compaction');
    expect(data.steps?.map((s) => s.action)).toEqual([
      'user_prompt',
      'tool_call',
      'compaction',
      'tool_call',
      'assistant_message',
    ]);
    expect(data.steps?.[2]?.output).toBe('Summary: ran echo before-compaction.');
    expect(data.output_summary).toBe('Both commands ran.');
    expect(data.llm_usage).toMatchObject({ total_tokens: 6505, api_calls_count: 4 });
  });

  it.each(['subagent', 'subagent-v2'])(
    '%s: the sub-agent thread is nested with its own tokens',
    async (name) => {
      const data = await trace(name);
      const sub = data.steps?.find((s) => s.action === 'subagent');
      expect(sub?.steps?.map((s) => [s.action, s.tool_name, s.input])).toEqual([
        ['tool_call', 'exec_command', 'echo from-child'],
        ['assistant_message', undefined, undefined],
      ]);
      expect(sub?.output).toBe('It printed from-child.');
      expect(sub?.agent_id).toBeTruthy();
      const parent = (data.steps ?? []).filter((s) => s.action === 'tool_call').map((s) => s.tool_name);
      expect(parent).toContain('spawn_agent');
      expect(parent).toContain('wait_agent');
      // The spawn comes before the sub-agent's work, the wait after it started.
      const names = data.steps?.map((s) => s.tool_name ?? s.action);
      expect(names?.indexOf('spawn_agent')).toBeLessThan(names?.indexOf('subagent') ?? -1);
      expect(data.output_summary).toBe('The helper printed from-child.');
      const childTokens = 722 + 769;
      const parentTokens = name === 'subagent' ? 8403 : undefined;
      if (parentTokens) expect(data.llm_usage?.total_tokens).toBe(parentTokens + childTokens);
    },
  );
});

/** The scenarios recorded from every Codex version in test/fixtures (0.169.0 has more, above). */
const SHARED_SCENARIOS = ['failing-command', 'interrupt', 'ten-commands'];

describe.each(CODEX_VERSIONS)('real scenarios of Codex %s', (version) => {
  it.each(SHARED_SCENARIOS)('%s: lean and full capture give the same trace', async (name) => {
    const lean = await trace(name, 'lean', version);
    const full = await trace(name, 'full', version);
    expect({ ...full, environment: { ...full.environment, capture_mode: 'lean' } }).toEqual(lean);
    expect(lean.environment?.codex_version).toBe(version);
    // The audit: every line and item type this version wrote is read or left out on purpose.
    expect(lean.environment).not.toHaveProperty('unread_rollout_lines');
  });

  it('failing-command: a failed step and a command_failed error', async () => {
    const data = await trace('failing-command', 'lean', version);
    expect(tools(data)).toEqual([['exec_command', 'failure', 3]]);
    const failed = data.steps?.find((s) => s.status === 'failure');
    expect(failed?.output).toContain('No such file or directory');
    expect(data.errors).toEqual([
      expect.objectContaining({ error_type: 'command_failed', step_number: failed?.step_number }),
    ]);
    expect(data.errors?.[0]?.message).toContain('exited with code 3');
  });

  it('interrupt: the cut command is incomplete and the turn is marked interrupted', async () => {
    const data = await trace('interrupt', 'lean', version);
    expect(tools(data)).toEqual([['exec_command', 'incomplete', -1]]);
    expect(data.errors?.map((e) => e.error_type)).toEqual(['tool_incomplete', 'turn_interrupted']);
    expect(data.output_summary).toBeUndefined();
    expect(data.duration).toBeGreaterThan(0);
  });

  it('ten-commands: ten exec steps in order', async () => {
    const data = await trace('ten-commands', 'lean', version);
    const execs = data.steps?.filter((s) => s.tool_name === 'exec_command') ?? [];
    expect(execs.map((s) => s.input)).toEqual(Array.from({ length: 10 }, (_, i) => `echo step-${i + 1}`));
    expect(execs.every((s) => s.status === 'success' && s.exit_code === 0)).toBe(true);
  });
});

describe('real scenarios without their rollout (full capture: hooks carry the turn)', () => {
  async function hooksOnly(name: string, withoutChildRollouts = false): Promise<TaskData> {
    const payloads = stageScenario(name, home);
    if (withoutChildRollouts) {
      for (const p of payloads) if (p.agent_transcript_path) rmSync(p.agent_transcript_path, { force: true });
    }
    const turn = scenarioTurn(payloads, 'full');
    const { taskData } = await composeTurnTrace(
      { ...turn, transcriptPath: null },
      context({ capture: 'full' }),
      undefined,
    );
    serializeTaskData(taskData);
    expect(taskData.environment?.tool_detail).toBe('hooks');
    return taskData;
  }

  it('apply-patch: both patches with their files and exit codes', async () => {
    const data = await hooksOnly('apply-patch');
    expect(
      data.steps?.filter((s) => s.action === 'tool_call').map((s) => [s.description, s.status, s.exit_code]),
    ).toEqual([
      ['Applied a patch to notes/todo.txt, hello.py', 'success', 0],
      ['Applied a patch to hello.py', 'success', 0],
    ]);
    expect(data.output_summary).toBe('Created notes/todo.txt and hello.py, then edited hello.py.');
  });

  it('mcp-call: the MCP result text', async () => {
    const data = await hooksOnly('mcp-call');
    expect(tools(data)).toEqual([['mcp__fixture__lookup', 'success', undefined]]);
    expect(data.steps?.[1]?.output).toBe('value of abc: cba');
  });

  it('interrupt: the command never finished', async () => {
    const data = await hooksOnly('interrupt');
    expect(tools(data)).toEqual([['Bash', 'incomplete', undefined]]);
    expect(data.errors?.map((e) => e.error_type)).toEqual(['tool_incomplete', 'turn_interrupted']);
  });

  it('subagent: nested from its own rollout, or from its hook events when that is gone too', async () => {
    const fromRollout = await hooksOnly('subagent');
    const nested = (data: TaskData) =>
      data.steps?.find((s) => s.action === 'subagent')?.steps?.map((s) => [s.tool_name, s.input, s.output]);
    expect(nested(fromRollout)).toEqual([
      ['exec_command', 'echo from-child', 'from-child\n'],
      [undefined, undefined, 'It printed from-child.'],
    ]);
    const fromHooks = await hooksOnly('subagent', true);
    const sub = fromHooks.steps?.find((s) => s.action === 'subagent');
    expect(nested(fromHooks)).toEqual([
      ['Bash', 'echo from-child', 'from-child\n'],
      [undefined, undefined, 'It printed from-child.'],
    ]);
    expect(sub?.input).toBe('Run `echo from-child` and report what it printed.');
  });
});

describe('real scenarios in metadata content mode', () => {
  it.each(SCENARIO_NAMES)('%s: no prompt, command, output or message text anywhere', async (name) => {
    const payloads = stageScenario(name, home);
    const texts = payloads
      .flatMap((p) => [p.prompt, p.last_assistant_message])
      .filter((t): t is string => !!t);
    const turn = scenarioTurn(payloads, 'full');
    const { taskData } = await composeTurnTrace(
      turn,
      context({ capture: 'full' }, { contentMode: 'metadata' }),
      undefined,
    );
    serializeTaskData(taskData);
    const body = JSON.stringify(taskData);
    expect(body).not.toMatch(/"(input|output|input_summary|output_summary)":/);
    for (const text of texts) expect(body).not.toContain(text);
    expect(body).not.toContain('echo ');
    expect(taskData.steps?.length).toBeGreaterThan(1);
  });
});
