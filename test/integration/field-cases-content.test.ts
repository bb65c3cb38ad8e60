// What a turn's trace says, through the real path (init, the hook commands it wrote, the detached worker,
// the stand-in): errors only the rollout knows, a sub-agent's model and usage, cuts that keep emoji whole.
// The field cases rejected-tool-call, turn-failed-usage-limit, subagent-other-model and emoji-cut-in-name
// (test/fixtures/field/), each with its README's right values, and our own drift-unknown-lines (the drift
// sentinel, shown by status and doctor). Token figures: input / output / cached, calls.
import { describe, expect, it } from 'vitest';
import type { TaskData } from '../../src/infinium/task-data';
import { runCli } from '../support/cli-sandbox';
import { replayFieldCase } from '../support/field-replay';

const tokens = (trace: TaskData) => {
  const usage = trace.llm_usage;
  return [usage?.prompt_tokens, usage?.completion_tokens, usage?.cached_tokens, usage?.api_calls_count];
};

async function onlyTrace(name: string): Promise<TaskData> {
  const traces = await replayFieldCase(name);
  expect(traces).toHaveLength(1);
  return traces[0] as TaskData;
}

describe.concurrent('field cases through the real path: what the trace says', () => {
  it('rejected-tool-call: the call Codex rejected fails with one error on its step', async () => {
    const trace = await onlyTrace('rejected-tool-call');
    expect(trace.steps?.map((step) => [step.action, step.tool_name ?? step.input, step.status])).toEqual([
      ['user_prompt', 'Check that the staging deploy is healthy', 'success'],
      ['tool_call', 'no_such_tool', 'failure'],
      ['tool_call', 'exec_command', 'success'],
      ['assistant_message', undefined, 'success'],
    ]);
    expect(trace.steps?.[2]?.input).toBe('npm run healthcheck');
    expect(trace.output_summary).toBe('Staging is healthy: npm run healthcheck reports ok.');
    expect(trace.errors?.map((error) => [error.error_type, error.step_number, error.tool_name])).toEqual([
      ['tool_rejected', 2, 'no_such_tool'],
    ]);
    expect(tokens(trace)).toEqual([3850, 85, 2200, 3]);
    expect(trace.duration).toBe(0.16);
  });

  it('turn-failed-usage-limit: a turn that died on a usage limit carries a model_error', async () => {
    const trace = await onlyTrace('turn-failed-usage-limit');
    expect(trace.errors?.map((error) => [error.error_type, error.message])).toEqual([
      [
        'model_error',
        "Model request failed (usage_limit_exceeded): You've hit your usage limit. Upgrade to Pro or try again at 3:05 PM.",
      ],
    ]);
    expect(trace.description).toMatch(
      /^Refactor the date helpers in src\/dates\.ts\n\n.*1 failed model request/,
    );
    expect(trace.output_summary).toBeUndefined();
    expect(tokens(trace)).toEqual([4000, 60, 0, 1]);
  });

  it('subagent-other-model: the sub-agent step names gpt-5.5-mini; no token is priced as gpt-5.5 that was not', async () => {
    const trace = await onlyTrace('subagent-other-model');
    const sub = trace.steps?.find((step) => step.action === 'subagent');
    expect(sub?.model).toBe('gpt-5.5-mini');
    expect(sub?.steps?.map((step) => step.input ?? step.output)).toEqual([
      'du -a src | sort -rn | head -3',
      'src/big.ts, src/mid.ts, src/small.ts',
    ]);
    expect(trace.llm_usage?.model).toBe('gpt-5.5');
    expect(tokens(trace)).toEqual([4300, 90, 2000, 2]);
    expect(
      trace.llm_usage?.by_model?.map((share) => [
        share.model,
        share.prompt_tokens,
        share.completion_tokens,
        share.cached_tokens,
        share.api_calls_count,
      ]),
    ).toEqual([
      ['gpt-5.5', 4300, 90, 2000, 2],
      ['gpt-5.5-mini', 6200, 200, 2900, 2],
    ]);
  });

  it('emoji-cut-in-name: the name and the step description are cut before the emoji, never inside it', async () => {
    const trace = await onlyTrace('emoji-cut-in-name');
    expect(trace.name).toMatch(/headings\.\.\.\.\.…$/);
    expect(trace.steps?.[1]?.description).toMatch(/xxx…`$/);
    const strings = JSON.stringify(trace).match(/"(?:[^"\\]|\\.)*"/g) ?? [];
    // A lone surrogate would come back from the stand-in's JSON as one: every string is well-formed.
    for (const text of strings) {
      expect((JSON.parse(text) as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true);
    }
  });

  it('drift-unknown-lines: unknown line types are counted in the trace and shown by status and doctor', async () => {
    const shown: string[] = [];
    const traces = await replayFieldCase('drift-unknown-lines', {
      inspect: async (sandbox) => {
        shown.push((await runCli(sandbox, ['status'])).stdout, (await runCli(sandbox, ['doctor'])).stdout);
      },
    });
    expect(traces).toHaveLength(1);
    const trace = traces[0] as TaskData;
    // Parsing degrades gracefully: the turn is whole, the unknown lines are no error.
    expect(trace.steps?.map((step) => step.status)).toEqual(['success', 'failure', 'success', 'success']);
    expect(trace.errors?.map((error) => error.error_type)).toEqual(['tool_rejected']);
    expect(trace.environment?.unread_rollout_lines).toEqual({
      'event_msg:turn_plan_updated': 2,
      'response_item:future_call': 1,
    });
    expect(JSON.stringify(trace)).not.toContain('check staging');
    const sentence =
      'Codex 0.171.0 wrote 2 kinds of lines we do not read: event_msg:turn_plan_updated (2), response_item:future_call (1)';
    for (const output of shown) expect(output).toContain(sentence);
  });
});
