// Field-by-field checks of a trace received by the stand-in, against what the scenario made Codex do.
import { expect } from 'vitest';
import type { Step, TaskData } from '../../../src/infinium/task-data';
import type { ReceivedTrace } from '../../support/infinium-stand-in';
import { codexVersionText, scriptedModel } from './codex';
import type { Agent } from './connector';
import type { ModelReply, ModelScript } from './model-server';
import { sumUsage } from './turns';
import type { World } from './world';

export interface ExpectedTool {
  /** Tool name as the trace reports it (e.g. a shell command's, `apply_patch`, `mcp__fixture__lookup`). */
  tool?: string | RegExp;
  input?: string | RegExp;
  output?: string | RegExp;
  status: Step['status'];
  exitCode?: number;
}

export interface ExpectedTurn {
  agent: Agent;
  prompt: string;
  /** Every model reply of the turn (sub-agents' included): their usage must add up in llm_usage. */
  replies: ModelReply[];
  tools: ExpectedTool[];
  finalMessage?: string;
  errorTypes?: string[];
}

export function taskData(trace: ReceivedTrace | undefined): TaskData {
  if (!trace) throw new Error('expected a trace, found none');
  return trace.body as unknown as TaskData;
}

function matches(actual: string | undefined, expected: string | RegExp | undefined): boolean {
  if (expected === undefined) return true;
  if (actual === undefined) return false;
  return typeof expected === 'string' ? actual.includes(expected) : expected.test(actual);
}

/** The steps of the root turn, sub-agent steps included (as nested under `subagent`), in order. */
export function toolSteps(steps: Step[]): Step[] {
  return steps.filter((step) => step.action === 'tool_call');
}

export function expectTurnTrace(trace: ReceivedTrace | undefined, expected: ExpectedTurn): TaskData {
  const data = taskData(trace);
  expect(trace?.agentId).toBe(expected.agent.id);
  expect(data.name).toContain(expected.prompt.slice(0, 60));
  expect(data.input_summary).toContain(expected.prompt);
  expect(data.duration).toBeGreaterThan(0);
  expect(Date.parse(data.time_tracking?.end_time ?? '')).toBeGreaterThan(
    Date.parse(data.time_tracking?.start_time ?? ''),
  );

  const steps = data.steps ?? [];
  expect(steps.map((step) => step.step_number)).toEqual(steps.map((_, index) => index + 1));
  expect(steps[0]?.action).toBe('user_prompt');
  expect(steps[0]?.input).toContain(expected.prompt);
  const tools = toolSteps(steps);
  expect(tools).toHaveLength(expected.tools.length);
  expected.tools.forEach((want, index) => {
    const got = tools[index] as Step;
    const where = `tool step ${index + 1} ${JSON.stringify(got)}`;
    expect(matches(got.tool_name, want.tool), `${where}: tool name ${String(want.tool)}`).toBe(true);
    expect(matches(got.input, want.input), `${where}: input ${String(want.input)}`).toBe(true);
    expect(matches(got.output, want.output), `${where}: output ${String(want.output)}`).toBe(true);
    expect(got.status, where).toBe(want.status);
    if (want.exitCode !== undefined) expect(got.exit_code, where).toBe(want.exitCode);
    if (want.status !== 'incomplete') expect(got.duration_ms, where).toBeGreaterThanOrEqual(0);
    expect(Date.parse(got.started_at ?? ''), where).toBeGreaterThan(0);
  });
  if (expected.finalMessage !== undefined) {
    const last = steps.at(-1);
    expect(last?.action).toBe('assistant_message');
    expect(last?.output).toBe(expected.finalMessage);
    expect(data.output_summary).toBe(expected.finalMessage);
  }
  expect((data.errors ?? []).map((error) => error.error_type).sort()).toEqual(
    [...(expected.errorTypes ?? [])].sort(),
  );

  const usage = sumUsage(expected.replies);
  expect(data.llm_usage).toMatchObject({
    model: scriptedModel(),
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    cached_tokens: usage.cached,
    reasoning_tokens: usage.reasoning,
    api_calls_count: expected.replies.length,
  });
  // Priced per reply at the model's published list prices, worked out here, not by the connector's code.
  // The trace keeps costs to the micro-dollar, so it may differ by half of one (plus float noise).
  const price = listPrice(scriptedModel(), expected.replies);
  expect(
    Math.abs((data.llm_usage?.cost ?? Number.NaN) - price),
    `cost ${data.llm_usage?.cost} vs ${price}`,
  ).toBeLessThanOrEqual(5.000001e-7);
  expect(data.environment).toMatchObject({
    agent: 'codex-cli',
    codex_version: codexVersionText(),
    model: scriptedModel(),
    pricing: { table: '@pydantic/genai-prices', basis: 'api' },
  });
  return data;
}

/** USD per million tokens: input, cached input, output (OpenAI's list prices below 272K input). */
const LIST_PRICES: Record<string, [number, number, number]> = {
  'gpt-5.5': [5, 0.5, 30],
  'gpt-5.4': [2.5, 0.25, 15],
};

function listPrice(model: string, replies: ModelReply[]): number {
  const [input, cached, output] = LIST_PRICES[model] ?? [Number.NaN, Number.NaN, Number.NaN];
  return replies.reduce(
    (sum, { usage }) =>
      sum +
      ((usage.input - (usage.cached ?? 0)) * input + (usage.cached ?? 0) * cached + usage.output * output) /
        1e6,
    0,
  );
}

/**
 * One `codex exec` turn in the world, then its trace: exactly one arrives, and it passes expectTurnTrace.
 */
export async function execAndExpectTurn(
  world: World,
  prompt: string,
  script: ModelScript,
  expected: Omit<ExpectedTurn, 'agent' | 'prompt'>,
  runOptions: Parameters<World['exec']>[2] = {},
): Promise<TaskData> {
  await world.exec(prompt, script, runOptions);
  const [trace, ...extra] = await world.nextTraces(1);
  expect(extra).toEqual([]);
  return expectTurnTrace(trace, { agent: world.agent, prompt, ...expected });
}

/** The trace with every field that depends on the clock or on ids removed, to compare two captures. */
export function withoutTiming(data: TaskData | undefined): unknown {
  const volatile = new Set([
    'current_datetime',
    'duration',
    'duration_ms',
    'started_at',
    'occurred_at',
    'time_tracking',
    'session_id',
    'turn_id',
    'capture_mode',
    'agent_id',
    'description',
  ]);
  return JSON.parse(
    JSON.stringify(data, (key, value) => (volatile.has(key) ? undefined : value)).replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      '<uuid>',
    ),
  );
}
