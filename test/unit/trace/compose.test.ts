import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeTaskData } from '../../../src/infinium/task-data';
import type { ClosedTurn } from '../../../src/worker/closed-turn';
import { composeTurnTrace } from '../../../src/worker/compose';
import { context, FIXTURES, fixturePayloads, spooled } from './helpers';

let dir: string;
let rollout: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const sessions = join(dir, 'sessions/2026/11/25');
  mkdirSync(sessions, { recursive: true });
  rollout = join(sessions, 'rollout-2026-11-25T11-32-55-01a2127a-ec4e-7450-ae94-ecf921fe396d.jsonl');
  copyFileSync(join(FIXTURES, 'rollout-two-turns-resume.jsonl'), rollout);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function realTurns(transcriptPath: string | null): ClosedTurn[] {
  const payloads = fixturePayloads().map((p) => ({ ...p, transcript_path: transcriptPath }));
  const first = payloads.slice(0, 5);
  const second = payloads.slice(6, 11);
  return [first, second].map((events, index) => ({
    sessionId: '01a2127a-ec4e-7450-ae94-ecf921fe396d',
    turnId: events[1]?.turn_id ?? null,
    cwd: '/home/dev/project',
    transcriptPath,
    events: spooled(events, Date.parse('2026-11-25T11:32:55.600Z') + index * 4000, 500),
    ending: 'stop',
    turnNumber: index + 1,
  }));
}

describe('composeTurnTrace on the real two-turn rollout', () => {
  it('builds each turn with its prompt, command, final message and per-turn tokens', async () => {
    const [first, second] = realTurns(rollout);
    const one = await composeTurnTrace(first as ClosedTurn, context(), undefined);
    serializeTaskData(one.taskData);
    expect(one.taskData.input_summary).toBe('first prompt');
    expect(one.taskData.output_summary).toBe('All done (fake model).');
    expect(one.taskData.duration).toBeCloseTo(3.184);
    expect(one.taskData.steps?.map((s) => [s.action, s.tool_name, s.status, s.exit_code])).toEqual([
      ['user_prompt', undefined, 'success', undefined],
      ['tool_call', 'exec_command', 'success', 0],
      ['assistant_message', undefined, 'success', undefined],
    ]);
    expect(one.taskData.steps?.[1]).toMatchObject({
      input: 'echo hello-from-fake-model',
      output: 'hello-from-fake-model\n',
      duration_ms: 1254,
    });
    expect(one.taskData.llm_usage).toEqual({
      model: 'gpt-5.5',
      provider: 'fake',
      prompt_tokens: 2300,
      completion_tokens: 70,
      total_tokens: 2370,
      cached_tokens: 1200,
      reasoning_tokens: 15,
      api_calls_count: 2,
    });
    expect(one.taskData.environment).toMatchObject({ codex_version: '0.169.0', tool_detail: 'rollout' });
    expect(JSON.stringify(one.cursor)).not.toContain('prompt');

    const two = await composeTurnTrace(second as ClosedTurn, context(), one.cursor);
    expect(two.taskData.input_summary).toBe('second prompt');
    expect(two.taskData.llm_usage?.total_tokens).toBe(2370);
    expect(two.cursor?.offset).toBeGreaterThan(one.cursor?.offset ?? 0);
  });
});
