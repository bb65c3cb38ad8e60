// The field cases (test/fixtures/field/<case>/, from public reports of people who trace Codex sessions)
// replayed through the real path: init, the hook commands it wrote, the detached worker, the stand-in. Each
// row asserts the case's right values from its README. Token figures: input / output / cached, calls.
import { describe, expect, it } from 'vitest';
import type { Step, TaskData } from '../../src/infinium/task-data';
import { replayFieldCase } from '../support/field-replay';

interface RightValues {
  tokens: [input: number, output: number, cached: number, calls: number];
  /** The tool calls' commands and statuses, in order. */
  commands: [command: string, status: Step['status']][];
  durationSeconds: number;
  finalMessage: string;
  /** error_type of every error, in order. */
  errors: string[];
}

function expectRightValues(trace: TaskData, right: RightValues): void {
  const usage = trace.llm_usage;
  expect([
    usage?.prompt_tokens,
    usage?.completion_tokens,
    usage?.cached_tokens,
    usage?.api_calls_count,
  ]).toEqual(right.tokens);
  const calls = (trace.steps ?? []).filter((step) => step.action === 'tool_call');
  expect(calls.map((step) => [step.input, step.status])).toEqual(right.commands);
  expect(trace.duration).toBe(right.durationSeconds);
  expect(trace.output_summary).toBe(right.finalMessage);
  expect((trace.errors ?? []).map((error) => error.error_type)).toEqual(right.errors);
  expect(trace.environment?.tool_detail).toBe('rollout');
}

describe.concurrent('field cases through the real path', () => {
  it('merged-torn-rollout-line: a half-written line glued to the next is skipped, the turn is whole', async () => {
    const traces = await replayFieldCase('merged-torn-rollout-line');
    expect(traces).toHaveLength(1);
    expectRightValues(traces[0] as TaskData, {
      tokens: [1500, 30, 600, 2],
      commands: [['du -sh build/', 'success']],
      durationSeconds: 0.12,
      finalMessage: 'build/ takes 412 MB.',
      errors: [],
    });
  });

  it.each(['plan-stop-only.jsonl'])(
    'transcript-path-null (%s): the rollout is found by session id',
    async (plan) => {
      const traces = await replayFieldCase('transcript-path-null', { plan });
      expect(traces).toHaveLength(1);
      expectRightValues(traces[0] as TaskData, {
        tokens: [3300, 90, 1900, 3],
        commands: [
          ['npm run lint', 'failure'],
          ["sed -i '4d' src/x.ts && npm run lint", 'success'],
        ],
        durationSeconds: 0.4,
        finalMessage: 'Removed the unused variable in src/x.ts; lint is clean.',
        errors: ['command_failed'],
      });
    },
  );
});
