// The field cases recorded with the real Codex 0.171.0 (test/fixtures/field/<case>/, each README says how),
// replayed through the real path: init, the hook commands it wrote, the detached worker, the stand-in.
// Each asserts its README's right values. Token figures: input / output / cached, calls.
import { describe, expect, it } from 'vitest';
import type { Step, TaskData } from '../../src/infinium/task-data';
import { replayFieldCase } from '../support/field-replay';

const tokens = (trace: TaskData) => {
  const usage = trace.llm_usage;
  return [usage?.prompt_tokens, usage?.completion_tokens, usage?.cached_tokens, usage?.api_calls_count];
};

/** Each step as [action, tool or input, status]. */
const outline = (steps: readonly Step[] | undefined) =>
  (steps ?? []).map((step) => [step.action, step.tool_name ?? step.input, step.status]);

async function onlyTrace(name: string, plan?: string): Promise<TaskData> {
  const traces = await replayFieldCase(name, plan ? { plan } : {});
  expect(traces).toHaveLength(1);
  return traces[0] as TaskData;
}

describe.concurrent('field cases recorded with Codex 0.171 through the real path', () => {
  it('failed-turn-error-in-task-complete: a turn that failed with no Stop hook is a failed turn carrying Codex’s error', async () => {
    const trace = await onlyTrace('failed-turn-error-in-task-complete');
    expect(outline(trace.steps)).toEqual([
      ['user_prompt', 'Find the first error in logs/app.log', 'success'],
      ['tool_call', 'exec_command', 'success'],
    ]);
    expect(trace.steps?.[1]?.input).toBe('grep -n -m1 ERROR logs/app.log');
    // Codex's message and code; no step blamed; no final message invented.
    expect(trace.errors).toEqual([
      {
        error_type: 'model_error',
        message:
          "Model request failed (context_window_exceeded): Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
        occurred_at: '2026-12-07T16:15:15.022Z',
      },
    ]);
    expect(trace.output_summary).toBeUndefined();
    expect(trace.environment?.turn_status).toBe('failed');
    expect(tokens(trace)).toEqual([9000, 40, 0, 1]);
    expect(trace.duration * 1000).toBe(707);
  });

  it('failed-turn-error-in-task-complete (TUI): the next prompt, with no Stop or SessionEnd, gets the failed turn traced', async () => {
    const traces = await replayFieldCase('failed-turn-error-in-task-complete', {
      plan: 'plan-tui-next-prompt.jsonl',
      settle: 'hooks',
    });
    expect(traces).toHaveLength(1);
    const trace = traces[0] as TaskData;
    expect(trace.input_summary).toBe('Find the first error in logs/app.log');
    expect(trace.environment?.turn_status).toBe('failed');
    expect(trace.errors?.map((error) => error.error_type)).toEqual(['model_error']);
    expect(tokens(trace)).toEqual([9000, 40, 0, 1]);
  });

  it('write-stdin-poll-exit: the exit a poll reports is the build’s; a write Codex refused is a failed step', async () => {
    const trace = await onlyTrace('write-stdin-poll-exit');
    expect(outline(trace.steps)).toEqual([
      ['user_prompt', 'Run the build and tell me if it passes', 'success'],
      ['tool_call', 'exec_command', 'failure'],
      ['tool_call', 'write_stdin', 'success'],
      ['tool_call', 'write_stdin', 'failure'],
      ['assistant_message', undefined, 'success'],
    ]);
    const [, build, poll, ctrlC] = trace.steps ?? [];
    expect(build).toMatchObject({ exit_code: 3, output: 'compiled 12 files\nerror: missing symbol\n' });
    expect(build?.duration_ms).toBeGreaterThanOrEqual(2000);
    expect(build?.duration_ms).toBeLessThan(2100);
    expect(poll?.exit_code).toBeUndefined();
    expect(ctrlC?.output).toBe('write_stdin failed: Unknown process id 5978');
    expect(trace.errors?.map((error) => [error.error_type, error.step_number, error.message])).toEqual([
      [
        'command_failed',
        2,
        "Command exited with code 3: sleep 2; echo 'compiled 12 files'; echo 'error: missing symbol' >&2; exit 3",
      ],
      ['tool_failed', 4, 'write_stdin failed: Unknown process id 5978'],
    ]);
    expect(trace.output_summary).toBe('The build failed with exit code 3 (missing symbol).');
    expect(tokens(trace)).toEqual([8600, 105, 5700, 4]);
    expect(trace.llm_usage?.model).toBe('gpt-5.5');
    expect(trace.duration).toBe(3.311);
    expect(trace.environment?.turn_status).toBe('completed');
  });

  it('plan-mode-proposed-plan: the Plan item is one plan step with its text, never a tool call; no message twice', async () => {
    const trace = await onlyTrace('plan-mode-proposed-plan');
    expect(outline(trace.steps)).toEqual([
      ['user_prompt', 'Plan how to add retries to fetchUser', 'success'],
      ['tool_call', 'exec_command', 'success'],
      ['plan', undefined, 'success'],
      ['assistant_message', undefined, 'success'],
    ]);
    const plan = trace.steps?.[2]?.output ?? '';
    expect(plan).toMatch(/^# Add retries to fetchUser\n/);
    expect(plan).toContain('3. Add tests in test/api.test.ts for retry and give-up.');
    expect(trace.steps?.[3]?.output?.trim()).toBe('fetchUser has no retry today.');
    expect(JSON.stringify(trace)).not.toContain('proposed_plan');
    // The proposed plan is the turn's answer.
    expect(trace.output_summary).toMatch(/^fetchUser has no retry today\.\n\n# Add retries to fetchUser\n/);
    expect(trace.errors).toEqual([]);
    expect(tokens(trace)).toEqual([6400, 130, 2900, 2]);
    expect(trace.llm_usage?.model).toBe('gpt-6-sol');
    expect(trace.duration).toBe(0.879);
    expect(trace.environment?.unread_rollout_lines).toBeUndefined();
  });

  it.each([
    ['plan.jsonl', 'Compare this screenshot with mock.png'],
    ['plan-image-only.jsonl', '[image] screenshot.png'],
  ])(
    'image-input-and-view-image (%s): images are attachments (name, type, size), never bytes',
    async (plan, prompt) => {
      const trace = await onlyTrace('image-input-and-view-image', plan);
      expect(trace.name).toBe(`demo: ${prompt}`);
      expect(trace.input_summary).toBe(prompt);
      expect(outline(trace.steps)).toEqual([
        ['user_prompt', prompt, 'success'],
        ['tool_call', 'view_image', 'success'],
        ['assistant_message', undefined, 'success'],
      ]);
      expect(trace.steps?.[0]?.attachments).toEqual([
        { name: 'screenshot.png', type: 'image/png', size_bytes: 168 },
      ]);
      expect(trace.steps?.[1]?.attachments).toEqual([
        { name: 'mock.png', type: 'image/png', size_bytes: 168 },
      ]);
      expect(JSON.stringify(trace)).not.toContain('iVBORw0KGgo');
      expect(trace.output_summary).toBe('Both images are a plain red square.');
      expect(trace.errors).toEqual([]);
      expect(tokens(trace)).toEqual([6500, 50, 2800, 2]);
      expect(trace.duration).toBe(1.094);
    },
  );

  it('web-search-and-open-page: a search and a page open, each a step', async () => {
    const trace = await onlyTrace('web-search-and-open-page');
    expect(trace.steps?.map((step) => [step.action, step.input ?? step.output, step.status])).toEqual([
      ['user_prompt', 'What is the default Codex hook timeout? Search the docs.', 'success'],
      ['tool_call', 'codex cli hooks.json Stop hook timeout default', 'success'],
      ['tool_call', 'https://developers.openai.com/codex/hooks', 'success'],
      ['assistant_message', 'The default hook timeout is 600 seconds.', 'success'],
    ]);
    expect(trace.errors).toEqual([]);
    expect(tokens(trace)).toEqual([3000, 60, 0, 1]);
    expect(trace.duration).toBe(0.6);
  });

  it('mcp-error-timeout-structured: an isError result and a timeout are failed calls with the reason', async () => {
    const trace = await onlyTrace('mcp-error-timeout-structured');
    expect(outline(trace.steps).slice(1, 4)).toEqual([
      ['tool_call', 'mcp__fixture__lookup', 'success'],
      ['tool_call', 'mcp__fixture__deploy', 'failure'],
      ['tool_call', 'mcp__fixture__slow', 'failure'],
    ]);
    expect(trace.steps?.[1]?.output).toBe('abc -> cba');
    expect(trace.steps?.[2]?.output).toBe('deploy api failed: permission denied for role ci-bot');
    expect(trace.steps?.[3]?.output).toMatch(/timed out/);
    expect(trace.errors?.map((error) => [error.error_type, error.step_number])).toEqual([
      ['tool_failed', 3],
      ['tool_failed', 4],
    ]);
    expect(tokens(trace)).toEqual([8700, 120, 5700, 4]);
    expect(trace.duration).toBe(2.347);
  });

  it('auto-compaction-mid-turn: the compaction is a step with its summary; its request is counted', async () => {
    const trace = await onlyTrace('auto-compaction-mid-turn');
    expect(outline(trace.steps)).toEqual([
      ['user_prompt', 'Count the lines in src', 'success'],
      ['tool_call', 'exec_command', 'success'],
      ['tool_call', 'exec_command', 'success'],
      ['compaction', undefined, 'success'],
      ['assistant_message', undefined, 'success'],
    ]);
    expect(trace.steps?.[3]?.output).toBe('SUMMARY: earlier work in this turn.');
    expect(trace.output_summary).toBe('src has a.ts with 3 lines.');
    expect(trace.errors).toEqual([]);
    expect(tokens(trace)).toEqual([20500, 140, 6000, 4]);
    expect(trace.duration).toBe(1.866);
  });

  it('exec-review-mode: one trace for the review, completed, with the findings', async () => {
    const trace = await onlyTrace('exec-review-mode');
    expect(trace.input_summary).toBe(
      'Review the current code changes (staged, unstaged, and untracked files) and provide prioritized findings.',
    );
    expect(outline(trace.steps).slice(1, 2)).toEqual([['tool_call', 'exec_command', 'success']]);
    expect(trace.steps?.[1]?.input).toBe('git diff');
    expect(trace.output_summary).toContain('[P1] Division by zero when count is 0');
    expect(trace.errors).toEqual([]);
    expect(trace.environment?.turn_status).toBe('completed');
    expect(tokens(trace)).toEqual([11000, 160, 4800, 2]);
    expect([0.806, 0.846]).toContain(trace.duration);
  });

  it('code-mode-exec-nested-tools: the exec script and its two nested commands, one error on the failing one', async () => {
    const trace = await onlyTrace('code-mode-exec-nested-tools');
    expect(outline(trace.steps)).toEqual([
      ['user_prompt', 'Run the tests and the linter', 'success'],
      ['tool_call', 'exec', 'success'],
      ['tool_call', 'exec_command', 'failure'],
      ['tool_call', 'exec_command', 'success'],
      ['assistant_message', undefined, 'success'],
    ]);
    expect(trace.steps?.[2]?.exit_code).toBe(1);
    expect(trace.errors?.map((error) => [error.error_type, error.step_number])).toEqual([
      ['command_failed', 3],
    ]);
    expect(trace.output_summary).toBe('2 tests fail; lint is clean.');
    expect(tokens(trace)).toEqual([6400, 100, 2900, 2]);
    expect(trace.llm_usage?.model).toBe('gpt-6-sol');
    expect(trace.duration).toBe(1.312);
    // The additional_tools line is Codex's tool list for the model, a known line.
    expect(trace.environment?.unread_rollout_lines).toBeUndefined();
  });

  it('archived-before-read: a rollout archived before the worker read it is found; unarchived and resumed, each turn once', async () => {
    const [first] = await replayFieldCase('archived-before-read');
    const both = await replayFieldCase('archived-before-read', { plan: 'plan-unarchive-resume.jsonl' });
    expect(both).toHaveLength(2);
    for (const trace of [first, both[0]] as TaskData[]) {
      expect(outline(trace.steps)).toEqual([
        ['user_prompt', 'What is the last commit?', 'success'],
        ['tool_call', 'exec_command', 'success'],
        ['assistant_message', undefined, 'success'],
      ]);
      expect(trace.steps?.[1]?.output).toBe('5b568d8 init\n');
      expect(trace.environment?.tool_detail).toBe('rollout');
      expect(tokens(trace)).toEqual([4200, 45, 1800, 2]);
      expect(trace.duration).toBe(1.478);
    }
    const second = both[1] as TaskData;
    expect(second.steps?.[1]?.input).toBe('git status --short');
    expect(second.output_summary).toBe('The work tree is clean.');
    expect(tokens(second)).toEqual([5400, 42, 4500, 2]);
    expect(second.duration).toBe(1.118);
  });
});
