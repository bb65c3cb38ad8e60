// The trace side of the field cases (test/fixtures/field/<case>/, copied from the shared cases): each
// case's rollouts staged at the paths its plan names, its hook events closed as one turn, and the trace
// checked against the case README's right values. The same cases run through the real path (hooks,
// spool, worker, stand-in) in test/integration.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HookPayload, parseHookPayload } from '../../../src/codex/hook-payload';
import { serializeTaskData, type TaskData } from '../../../src/infinium/task-data';
import { PRICE_TABLE } from '../../../src/trace/pricing';
import type { ClosedTurn } from '../../../src/worker/closed-turn';
import { composeTurnTrace } from '../../../src/worker/compose';
import { context, isWellFormed, spooled, strings } from './helpers';

const FIELD = join(import.meta.dirname, '../../fixtures/field');
const RECORDED_HOME = '/home/dev';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'field-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/**
 * Stages a field case in `home` (every rollout whole, at the path its plan appends it to) and closes its
 * root turn from the plan's hook events: at the root Stop, else at SessionEnd.
 */
function stageFieldCase(name: string): ClosedTurn {
  const plan = readFileSync(join(FIELD, name, 'plan.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line.split(RECORDED_HOME).join(home)));
  const payloads: HookPayload[] = [];
  for (const op of plan) {
    if (op.append) {
      mkdirSync(dirname(op.as), { recursive: true });
      copyFileSync(join(FIELD, name, op.append), op.as);
    }
    if (op.hook) payloads.push(parseHookPayload(op.payload) as HookPayload);
  }
  const first = payloads[0] as HookPayload;
  const stop = payloads.some((p) => p.hook_event_name === 'Stop' && !p.agent_id);
  return {
    sessionId: first.session_id,
    turnId: first.turn_id ?? null,
    cwd: first.cwd,
    transcriptPath: first.transcript_path,
    events: spooled(payloads, Date.parse('2026-11-30T10:00:00.000Z'), 5),
    ending: stop ? 'stop' : 'session_end',
    turnNumber: 1,
  };
}

async function fieldTrace(name: string): Promise<TaskData> {
  const { taskData } = await composeTurnTrace(stageFieldCase(name), context(), undefined);
  serializeTaskData(taskData);
  return taskData;
}

const usage = (data: TaskData) => {
  const u = data.llm_usage;
  return [u?.prompt_tokens, u?.completion_tokens, u?.cached_tokens, u?.api_calls_count];
};

describe('field cases: the trace builder', () => {
  it('rejected-tool-call: the call Codex rejected is a failed step with one tool_rejected error', async () => {
    const data = await fieldTrace('rejected-tool-call');
    expect(data.steps?.map((s) => [s.action, s.tool_name, s.status])).toEqual([
      ['user_prompt', undefined, 'success'],
      ['tool_call', 'no_such_tool', 'failure'],
      ['tool_call', 'exec_command', 'success'],
      ['assistant_message', undefined, 'success'],
    ]);
    expect(data.steps?.[2]?.input).toBe('npm run healthcheck');
    expect(data.steps?.[3]?.output).toBe('Staging is healthy: npm run healthcheck reports ok.');
    expect(data.errors).toEqual([
      expect.objectContaining({ error_type: 'tool_rejected', step_number: 2, tool_name: 'no_such_tool' }),
    ]);
    expect(data.errors?.[0]?.message).toContain('unsupported call: no_such_tool');
    expect(usage(data)).toEqual([3850, 85, 2200, 3]);
    expect(data.duration).toBe(0.16);
    expect(data.description).toMatch(/1 failed or unfinished/);
  });

  it('turn-failed-usage-limit: the provider error is a model_error and the turn is not a clean one', async () => {
    const data = await fieldTrace('turn-failed-usage-limit');
    expect(data.errors).toEqual([
      {
        error_type: 'model_error',
        message:
          "Model request failed (usage_limit_exceeded): You've hit your usage limit. Upgrade to Pro or try again at 3:05 PM.",
        occurred_at: '2026-11-30T10:00:02.073Z',
      },
    ]);
    expect(data.output_summary).toBeUndefined();
    expect(data.description).toContain('1 failed model request');
    expect(data.steps?.filter((s) => s.action === 'tool_call').map((s) => s.status)).toEqual(['success']);
    expect(usage(data)).toEqual([4000, 60, 0, 1]);
  });

  it('subagent-other-model: the sub-agent step names its model; usage is split by model', async () => {
    const data = await fieldTrace('subagent-other-model');
    const sub = data.steps?.find((s) => s.action === 'subagent');
    expect(sub?.model).toBe('gpt-5.5-mini');
    expect(sub?.description).toContain('on gpt-5.5-mini');
    expect(sub?.steps?.map((s) => s.input ?? s.output)).toEqual([
      'du -a src | sort -rn | head -3',
      'src/big.ts, src/mid.ts, src/small.ts',
    ]);
    // Never 10500 / 290 all as gpt-5.5: the counters are gpt-5.5's own, by_model has each model's share.
    expect(data.llm_usage).toMatchObject({
      model: 'gpt-5.5',
      prompt_tokens: 4300,
      completion_tokens: 90,
      cached_tokens: 2000,
      api_calls_count: 2,
    });
    expect(data.llm_usage?.by_model).toEqual([
      {
        model: 'gpt-5.5',
        prompt_tokens: 4300,
        completion_tokens: 90,
        total_tokens: 4390,
        cached_tokens: 2000,
        reasoning_tokens: 0,
        api_calls_count: 2,
        // gpt-5.5 at $5 / $0.50 cached / $30 per million: 2300 uncached, 2000 cached in, 90 out.
        cost: (2300 * 5 + 2000 * 0.5 + 90 * 30) / 1e6,
      },
      {
        // The table has no gpt-5.5-mini: unpriced, never guessed.
        model: 'gpt-5.5-mini',
        prompt_tokens: 6200,
        completion_tokens: 200,
        total_tokens: 6400,
        cached_tokens: 2900,
        reasoning_tokens: 0,
        api_calls_count: 2,
      },
    ]);
    expect(data.llm_usage?.cost).toBe(0.0152);
    expect(data.environment?.pricing).toEqual({
      table: '@pydantic/genai-prices',
      table_version: PRICE_TABLE.version,
      basis: 'api',
      unpriced_models: ['gpt-5.5-mini'],
    });
  });

  it('emoji-cut-in-name: cuts fall before a surrogate pair, never inside it', async () => {
    const data = await fieldTrace('emoji-cut-in-name');
    expect(data.name).toMatch(/headings\.\.\.\.\.…$/);
    expect(data.steps?.[1]?.description).toMatch(/xxx…`$/);
    expect(data.description.startsWith('Write the changelog entry')).toBe(true);
    for (const text of strings(data)) expect(isWellFormed(text), text).toBe(true);
  });
});
