import { describe, expect, it } from 'vitest';
import { parseRolloutLine, type RolloutRecord, UNPARSEABLE } from '../../../src/codex/rollout';
import { turnUsage } from '../../../src/trace/tokens';
import { RolloutWriter } from '../codex/rollout-writer';

function records(writer: RolloutWriter): RolloutRecord[] {
  return writer.lines
    .map((line) => parseRolloutLine(line, 0))
    .filter((r): r is RolloutRecord => r !== null && r !== UNPARSEABLE);
}

const T = 'turn-1';

describe('turnUsage', () => {
  it('sums token_usage_record per turn, each response once, cached and reasoning kept', () => {
    const w = new RolloutWriter()
      .usage(T, 'resp_1', { input: 1000, cached: 200, output: 50, reasoning: 10 })
      .usage(T, 'resp_1', { input: 1000, cached: 200, output: 50, reasoning: 10 })
      .usage(T, 'resp_2', { input: 1300, cached: 1000, output: 20, reasoning: 5 });
    expect(turnUsage(records(w), T, undefined)).toEqual({
      input: 2300,
      cached: 1200,
      output: 70,
      reasoning: 15,
      total: 2370,
      responses: 2,
    });
  });

  it('ignores records of other turns (a fork replaying its parent history)', () => {
    const w = new RolloutWriter()
      .usage('parent-turn', 'resp_p', { input: 5000, output: 500 })
      .usage(T, 'resp_1', { input: 100, output: 10 });
    expect(turnUsage(records(w), T, undefined)?.total).toBe(110);
  });

  it('never counts token_count lines when the turn has token_usage_record lines', () => {
    const w = new RolloutWriter()
      .usage(T, 'resp_1', { input: 100, output: 10 })
      .tokenCount({ input: 100, output: 10 }, { input: 100, output: 10 });
    expect(turnUsage(records(w), T, undefined)).toMatchObject({ total: 110, responses: 1 });
  });

  it('old builds: counts token_count only when the cumulative total advances', () => {
    const w = new RolloutWriter()
      .tokenCount({ input: 1000, output: 50 }, { input: 1000, output: 50 })
      .tokenCount({ input: 1000, output: 50 }, { input: 1000, output: 50 })
      .tokenCount({ input: 1000, output: 50 }, { input: 1000, output: 50 })
      .tokenCount({ input: 2300, cached: 1000, output: 70 }, { input: 1300, cached: 1000, output: 20 })
      .tokenCount({ input: 2300, cached: 1000, output: 70 }, { input: 1300, cached: 1000, output: 20 });
    expect(turnUsage(records(w), undefined, undefined)).toEqual({
      input: 2300,
      cached: 1000,
      output: 70,
      reasoning: 0,
      total: 2370,
      responses: 2,
    });
  });

  it('old builds: a resumed turn counts from the total before it, not from zero', () => {
    const w = new RolloutWriter()
      .tokenCount({ input: 4600, output: 140 }, { input: 1300, output: 20 })
      .tokenCount({ input: 5600, output: 190 }, { input: 1000, output: 50 });
    expect(
      turnUsage(records(w), undefined, { input: 3300, cached: 0, output: 120, reasoning: 0, total: 3420 }),
    ).toEqual({ input: 2300, cached: 0, output: 70, reasoning: 0, total: 2370, responses: 2 });
  });

  it('old builds: files without total_tokens count input + output', () => {
    const w = new RolloutWriter().tokenCount({ input: 900, output: 100 }, { input: 900, output: 100 }, false);
    expect(turnUsage(records(w), undefined, undefined)?.total).toBe(1000);
  });

  it('a total that goes down (a thread counting afresh) counts that line once', () => {
    const w = new RolloutWriter()
      .tokenCount({ input: 100, output: 10 }, { input: 100, output: 10 })
      .tokenCount({ input: 100, output: 10 }, { input: 100, output: 10 });
    const baseline = { input: 9000, cached: 0, output: 900, reasoning: 0, total: 9900 };
    expect(turnUsage(records(w), undefined, baseline)).toMatchObject({ total: 110, responses: 1 });
  });

  it('returns undefined for a turn without usage lines', () => {
    expect(turnUsage([], T, undefined)).toBeUndefined();
  });
});
