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
    // The cost, through the real path: gpt-5.5 at $5 input, $0.50 cached, $30 output per million, per
    // response (700 in, 20 out; 800 in of which 600 cached, 10 out).
    expect(traces[0]?.llm_usage?.cost).toBeCloseTo(
      (700 * 5 + 20 * 30 + 200 * 5 + 600 * 0.5 + 10 * 30) / 1e6,
      9,
    );
    expect(traces[0]?.environment?.pricing).toMatchObject({ table: '@pydantic/genai-prices', basis: 'api' });
  });

  it.each(['plan.jsonl', 'plan-stop-only.jsonl', 'plan-prompt-only.jsonl'])(
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

  it('stop-continuation: a Stop hook that blocks continues the same turn; one trace holds both parts', async () => {
    const traces = await replayFieldCase('stop-continuation');
    expect(traces).toHaveLength(1);
    const trace = traces[0] as TaskData;
    expectRightValues(trace, {
      tokens: [5300, 180, 3500, 4],
      commands: [
        ['npm test', 'failure'],
        ["sed -i 's/if (!s)/if (s === undefined)/' src/parser.ts && npm test", 'success'],
      ],
      durationSeconds: 3.2,
      finalMessage: 'Fixed the empty-input case in src/parser.ts; all 4 tests pass now.',
      errors: ['command_failed'],
    });
    // The hook's continuation is a prompt-like step between the two parts, never a tool call.
    expect(trace.steps?.map((step) => step.action)).toEqual([
      'user_prompt',
      'tool_call',
      'assistant_message',
      'hook_prompt',
      'tool_call',
      'assistant_message',
    ]);
    expect(trace.steps?.[3]).toMatchObject({
      input: 'npm test still fails. Keep going until it passes.',
      started_at: '2026-11-30T10:00:00.082Z',
    });
  });

  it.each(['plan.jsonl', 'plan-slow-stop.jsonl'])(
    'steer-mid-turn (%s): a prompt with the open turn_id is a second prompt step of that turn',
    async (plan) => {
      const traces = await replayFieldCase('steer-mid-turn', { plan });
      expect(traces).toHaveLength(1);
      const trace = traces[0] as TaskData;
      expectRightValues(trace, {
        tokens: [3300, 90, 1800, 3],
        commands: [
          ['head -3 data/sales-2025.csv', 'success'],
          ['head -3 data/sales-2026.csv', 'success'],
        ],
        durationSeconds: 0.7,
        finalMessage: 'For 2026: January 1300, February 1400 (up 30% on 2025).',
        errors: [],
      });
      const prompts = trace.steps?.filter((step) => step.action === 'user_prompt');
      expect(prompts?.map((step) => step.input)).toEqual([
        'Summarise the sales CSV in data/',
        'Use data/sales-2026.csv, not the 2025 file',
      ]);
    },
  );
});
