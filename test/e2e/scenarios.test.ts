// Issue 6, scenarios 1-8 and 13: real `codex exec` sessions against the scripted model, our connector
// installed by `infinium-codex init --yes`, traces checked field by field at the stand-in Infinium.
// Every scenario runs in both capture modes, each in a world of its own (an open turn one scenario leaves
// on an older Codex must not stall the next: codex-matrix H2); scenario 13 then checks lean and full
// traces are the same. Scenarios that need a newer Codex than the one under test skip, saying why.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { TaskData } from '../../src/infinium/task-data';
import { codexVersionText, mcpStyle, needsCodex } from './support/codex';
import type { CaptureMode } from './support/connector';
import { execAndExpectTurn, taskData, toolSteps, withoutTiming } from './support/expect-trace';
import { conversation } from './support/model-server';
import { applyPatchTurn, failingCommandTurn, interruptTurn } from './support/scenarios';
import {
  COMPACT_TOKEN_LIMIT,
  compaction,
  MCP_CONFIG,
  mcpCall,
  oneCommand,
  subagentSpawnAndWait,
  sumUsage,
} from './support/turns';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');
const compared: Record<CaptureMode, Map<string, TaskData>> = { lean: new Map(), full: new Map() };

describe.skipIf(skipReason !== '').each(['lean', 'full'] as const)('real Codex, capture %s', (capture) => {
  let opened: World | undefined;
  const fresh = async (): Promise<World> => {
    opened = await startWorld({ capture, tables: MCP_CONFIG });
    return opened;
  };
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  it('1. one prompt, one shell command, one answer', async () => {
    const world = await fresh();
    const replies = oneCommand('one');
    const data = await execAndExpectTurn(world, 'Say hello with one command.', conversation(replies), {
      replies,
      tools: [{ input: 'echo hello-one', output: 'hello-one', status: 'success', exitCode: 0 }],
      finalMessage: 'Printed hello-one.',
    });
    compared[capture].set('one command', data);
  });

  it('2. two turns in one session: two traces, tokens per turn', async () => {
    const world = await fresh();
    const turn = (marker: string) => ({
      replies: oneCommand(marker),
      tools: [
        { input: `echo hello-${marker}`, output: `hello-${marker}`, status: 'success' as const, exitCode: 0 },
      ],
      finalMessage: `Printed hello-${marker}.`,
    });
    const first = turn('first');
    const second = turn('second');
    const one = await execAndExpectTurn(world, 'First turn prompt.', conversation(first.replies), first);
    const two = await execAndExpectTurn(world, 'Second turn prompt.', conversation(second.replies), second, {
      resume: true,
    });
    expect(two.environment?.session_id).toBe(one.environment?.session_id);
    expect(two.environment?.turn_id).not.toBe(one.environment?.turn_id);
    compared[capture].set('two turns', two);
  });

  it('3. a failing command: failure step and error', async () => {
    compared[capture].set('failing command', await failingCommandTurn(await fresh()));
  });

  it('4. apply_patch creating and editing files', async () => {
    compared[capture].set('apply_patch', await applyPatchTurn(await fresh()));
  });

  it('5. an MCP tool call', async (context) => {
    const style = mcpStyle();
    if (style === null) {
      context.skip(`how Codex ${codexVersionText()} offers MCP tools is untested (0.130-0.144)`);
      return;
    }
    const world = await fresh();
    const replies = mcpCall(style);
    await world.exec('Look up abc.', conversation(replies));
    const [trace] = await world.nextTraces(1);
    const data = taskData(trace);
    // Codex 0.145+ defers MCP tools behind tool_search (no hook fires for it): whether that lookup shows as
    // a step is the builder's choice; the MCP call itself must be there, exactly once, named the same on
    // every version.
    const mcpSteps = toolSteps(data.steps ?? []).filter((step) => step.tool_name !== 'tool_search');
    expect(mcpSteps).toHaveLength(1);
    expect(mcpSteps[0]).toMatchObject({ tool_name: 'mcp__fixture__lookup', status: 'success' });
    expect(mcpSteps[0]?.input).toContain('abc');
    expect(mcpSteps[0]?.output).toContain('value of abc: cba');
    expect(data.output_summary).toBe('The lookup returned cba.');
    expect(data.errors ?? []).toEqual([]);
    const usage = sumUsage(replies);
    expect(data.llm_usage).toMatchObject({
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      api_calls_count: replies.length,
    });
  });

  it('6. a sub-agent spawn and wait', async (context) => {
    const tooOld = needsCodex(
      'toolSearch',
      'the scripted sub-agent (multi_agent_v1 tools found with tool_search)',
    );
    if (tooOld) context.skip(tooOld);
    const world = await fresh();
    const { script, replies, childReplies } = subagentSpawnAndWait();
    await world.exec('Spawn a helper and wait for it.', script);
    const traces = await world.nextTraces(1);
    expect(traces).toHaveLength(1);
    const data = taskData(traces[0]);
    const rootTools = toolSteps(data.steps ?? []).filter((step) => step.tool_name !== 'tool_search');
    expect(rootTools.map((step) => step.tool_name)).toEqual([
      expect.stringContaining('spawn_agent'),
      expect.stringContaining('wait_agent'),
    ]);
    expect(rootTools.every((step) => step.status === 'success')).toBe(true);
    const sub = (data.steps ?? []).find((step) => step.action === 'subagent');
    expect(sub).toBeDefined();
    expect(sub?.agent_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sub?.input).toContain('echo from-child');
    expect(sub?.output).toBe('It printed from-child.');
    expect(sub?.steps?.filter((step) => step.action === 'tool_call')).toEqual([
      expect.objectContaining({
        input: expect.stringContaining('echo from-child'),
        output: expect.stringContaining('from-child'),
        status: 'success',
        exit_code: 0,
      }),
    ]);
    // The sub-agent's model calls belong to the turn that spawned it, counted once.
    const usage = sumUsage([...replies, ...childReplies]);
    expect(data.llm_usage).toMatchObject({
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      cached_tokens: usage.cached,
      api_calls_count: replies.length + childReplies.length,
    });
    expect(data.output_summary).toBe('The helper printed from-child.');
  });

  it('7. interrupt mid-command: the turn is delivered, marked interrupted', async () => {
    await interruptTurn(await fresh());
  });

  it('8. forced compaction', async () => {
    const world = await fresh();
    const { script, replies } = compaction();
    const data = await execAndExpectTurn(
      world,
      'Run two commands in a long conversation.',
      script,
      {
        replies,
        tools: [
          { input: 'echo before-compaction', output: 'before-compaction', status: 'success', exitCode: 0 },
          { input: 'echo after-compaction', output: 'after-compaction', status: 'success', exitCode: 0 },
        ],
        finalMessage: 'Both commands ran.',
      },
      { extraArgs: ['-c', `model_auto_compact_token_limit=${COMPACT_TOKEN_LIMIT}`] },
    );
    const actions = (data.steps ?? []).map((step) => step.action);
    const compactionAt = actions.indexOf('compaction');
    expect(compactionAt).toBeGreaterThan(actions.indexOf('tool_call'));
    expect(compactionAt).toBeLessThan(actions.lastIndexOf('tool_call'));
  });
});

describe.skipIf(skipReason !== '')('13. both capture modes', () => {
  it('scenarios 1-4 give the same traces in lean and full mode (timing fields aside)', () => {
    expect([...compared.full.keys()].sort()).toEqual([...compared.lean.keys()].sort());
    expect(compared.lean.size).toBe(4);
    for (const [name, lean] of compared.lean) {
      expect(withoutTiming(compared.full.get(name)), name).toEqual(withoutTiming(lean));
    }
  });
});
