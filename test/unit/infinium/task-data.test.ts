import { describe, expect, it } from 'vitest';
import {
  isIsoDateTime,
  LIMITS,
  serializeTaskData,
  type TaskData,
  TaskDataInvalid,
  taskDataProblems,
} from '../../../src/infinium/task-data';

const valid: TaskData = {
  name: 'Codex turn 1: fix the build',
  description: 'Codex CLI turn in project demo',
  current_datetime: '2026-11-25T11:32:58.824Z',
  duration: 3.184,
};

const share = {
  prompt_tokens: 1,
  completion_tokens: 1,
  total_tokens: 2,
  cached_tokens: 0,
  reasoning_tokens: 0,
  api_calls_count: 1,
};

describe('taskDataProblems', () => {
  it('accepts a minimal valid body', () => {
    expect(taskDataProblems(valid)).toEqual([]);
  });

  it.each([
    ['empty name', { name: '' }, 'name must be 1..500 characters'],
    ['name over 500', { name: 'x'.repeat(LIMITS.nameMax + 1) }, 'name must be 1..500 characters'],
    ['empty description', { description: '' }, 'description must be 1..10000 characters'],
    [
      'description over 10,000',
      { description: 'd'.repeat(10_001) },
      'description must be 1..10000 characters',
    ],
    ['datetime without zone', { current_datetime: '2026-11-25T11:32:58' }, 'current_datetime must be'],
    ['datetime not a date', { current_datetime: '2026-13-45T99:00:00Z' }, 'current_datetime must be'],
    ['negative duration', { duration: -1 }, 'duration must be'],
    ['duration over a day', { duration: 86_400.5 }, 'duration must be'],
    ['NaN duration', { duration: Number.NaN }, 'duration must be'],
    ['fractional token count', { llm_usage: { prompt_tokens: 1.5 } }, 'llm_usage.prompt_tokens'],
    ['negative token count', { llm_usage: { cached_tokens: -3 } }, 'llm_usage.cached_tokens'],
    [
      'a fractional count in one model share',
      { llm_usage: { by_model: [{ model: 'm', ...share, completion_tokens: 0.5 }] } },
      'llm_usage.by_model[0].completion_tokens',
    ],
    ['bad time_tracking', { time_tracking: { start_time: 'yesterday', end_time: 'now' } }, 'time_tracking'],
    ['null field', { output_summary: null }, 'omitted, not null'],
  ])('rejects %s', (_label, patch, expected) => {
    const problems = taskDataProblems({ ...valid, ...(patch as Partial<TaskData>) });
    expect(problems.join('\n')).toContain(expected);
  });

  it('accepts the limits themselves', () => {
    expect(
      taskDataProblems({
        ...valid,
        name: 'n'.repeat(LIMITS.nameMax),
        description: 'd'.repeat(LIMITS.descriptionMax),
        duration: LIMITS.durationMaxSeconds,
      }),
    ).toEqual([]);
    expect(taskDataProblems({ ...valid, duration: 0 })).toEqual([]);
  });

  it('reports every problem at once', () => {
    expect(taskDataProblems({ ...valid, name: '', duration: -1 })).toHaveLength(2);
  });
});

describe('isIsoDateTime', () => {
  it.each(['2026-11-25T11:32:58Z', '2026-11-25T11:32:58.824Z', '2026-11-25T12:32:58+01:00'])(
    'accepts %s',
    (v) => {
      expect(isIsoDateTime(v)).toBe(true);
    },
  );
  it.each(['2026-11-25', '11:32:58Z', '2026-11-25 11:32:58Z', 1_795_606_378])('rejects %s', (v) => {
    expect(isIsoDateTime(v)).toBe(false);
  });
});

describe('serializeTaskData', () => {
  it('writes snake_case keys and omits absent optional fields', () => {
    const json = JSON.parse(
      serializeTaskData({
        ...valid,
        input_summary: 'fix the build',
        output_summary: undefined,
        llm_usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, model: 'gpt-5.5' },
      }),
    );
    expect(Object.keys(json).sort()).toEqual(
      ['current_datetime', 'description', 'duration', 'input_summary', 'llm_usage', 'name'].sort(),
    );
    expect(json.llm_usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 2,
      total_tokens: 12,
      model: 'gpt-5.5',
    });
  });

  it('refuses a body over 1 MB', () => {
    const big = { ...valid, input_summary: 'x'.repeat(LIMITS.bodyMaxBytes) };
    expect(() => serializeTaskData(big)).toThrow(TaskDataInvalid);
    expect(() => serializeTaskData(big)).toThrow(/over the 1000000 limit/);
  });

  it('counts bytes, not characters, against the cap', () => {
    // 350,000 three-byte characters: 1.05 MB on the wire, fewer than a million characters.
    const big = { ...valid, input_summary: '€'.repeat(350_000) };
    expect(() => serializeTaskData(big)).toThrow(/bytes, over/);
  });

  it('lists the problems in the error', () => {
    try {
      serializeTaskData({ ...valid, name: '' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TaskDataInvalid);
      expect((error as TaskDataInvalid).problems).toEqual(['name must be 1..500 characters']);
    }
  });
});
