// Issue 22 kind 1 with the real Codex: a turn that dies on a model error (the context window) fires no Stop
// hook; Codex 0.171 writes the failure inside task_complete. The turn is still traced, once, as failed, with
// Codex's message and code, no final message made up and no error blamed on the command that ran.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { taskData } from './support/expect-trace';
import { conversation, execCommand, type ModelReply } from './support/model-server';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('real Codex: a turn that fails on a model error', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('is traced as failed with Codex’s message and code (no Stop hook)', async () => {
    world = await startWorld({ capture: 'lean' });
    const replies: ModelReply[] = [
      { items: [execCommand('ctx_call_1', 'echo first-error')], usage: { input: 9000, output: 40 } },
      {
        items: [],
        usage: { input: 0, output: 0 },
        fail: {
          code: 'context_length_exceeded',
          message: 'Your input exceeds the context window of this model.',
        },
      },
    ];
    const run = await world.exec('Find the first error in the logs.', conversation(replies), {
      expectExit: 1,
    });
    expect(run.code).toBe(1);
    const [trace, ...extra] = await world.nextTraces(1);
    expect(extra).toEqual([]);
    const data = taskData(trace);
    expect(data.input_summary).toBe('Find the first error in the logs.');
    expect(data.environment?.turn_status).toBe('failed');
    expect(data.output_summary).toBeUndefined();
    expect(data.steps?.map((step) => [step.action, step.input, step.status])).toEqual([
      ['user_prompt', 'Find the first error in the logs.', 'success'],
      ['tool_call', 'echo first-error', 'success'],
    ]);
    expect(data.errors).toHaveLength(1);
    expect(data.errors?.[0]).toMatchObject({ error_type: 'model_error' });
    expect(data.errors?.[0]?.step_number).toBeUndefined();
    expect(data.errors?.[0]?.message).toMatch(
      /^Model request failed \(context_window_exceeded\): .*context window/,
    );
    expect(data.llm_usage?.prompt_tokens).toBe(9000);
  });
});
