// How costs are shown: the history/view cell, the notes its marks need, `history show`'s sentence and
// status's total of today's turns.
import { describe, expect, it } from 'vitest';
import {
  costCell,
  costNotes,
  costToday,
  describeCost,
  describeCostToday,
  formatUsd,
} from '../../../src/cli/cost';
import type { TaskData } from '../../../src/infinium/task-data';
import type { HistoryRecord } from '../../../src/spool';

const record = (time: string, extra: Partial<HistoryRecord>): HistoryRecord => ({
  time,
  key: `k-${time}`,
  status: 'sent',
  project: 'demo',
  agentId: 'a',
  sessionId: 's',
  turn: 't',
  turnNumber: 1,
  steps: 1,
  duration: 1,
  attempts: 1,
  ...extra,
});

describe('cost cells', () => {
  it('formats USD to a readable precision', () => {
    expect([0, 0.0004, 0.0074, 0.0319, 0.5, 1.234, 12].map(formatUsd)).toEqual([
      '$0',
      '<$0.001',
      '$0.007',
      '$0.032',
      '$0.500',
      '$1.23',
      '$12.00',
    ]);
  });

  it('marks API-equivalent costs, lower bounds, unpriced turns and turns without requests', () => {
    expect(costCell({ cost: 0.0074, costBasis: 'api' })).toBe('$0.007');
    expect(costCell({ cost: 0.0074, costBasis: 'plan-included' })).toBe('~$0.007');
    expect(costCell({ cost: 0.0152, costBasis: 'api', unpricedModels: ['gpt-5.5-mini'] })).toBe('$0.015+');
    expect(costCell({ costBasis: 'api', unpricedModels: ['my-model'] })).toBe('?');
    expect(costCell({})).toBe('-');
    expect(
      costNotes([
        { cost: 1, costBasis: 'plan-included' },
        { costBasis: 'api', unpricedModels: ['my-model'] },
      ]),
    ).toEqual([
      '~ API-equivalent: the session ran on a ChatGPT plan, whose requests are not billed one by one.',
      '+ and ? leave out requests on models the price table does not know (my-model).',
    ]);
    expect(costNotes([{ cost: 1, costBasis: 'api' }])).toEqual([]);
  });

  it('says how a trace was priced, for `history show` and `view`', () => {
    const data = (cost: number | undefined, basis: 'api' | 'plan-included', unpriced?: string[]) =>
      ({
        llm_usage: { cost },
        environment: {
          agent: 'codex-cli',
          pricing: {
            table: '@pydantic/genai-prices',
            table_version: '0.1.8',
            basis,
            unpriced_models: unpriced,
          },
        },
      }) as TaskData;
    expect(describeCost(data(0.0074, 'api'))).toBe('$0.007 at API prices (@pydantic/genai-prices 0.1.8)');
    expect(describeCost(data(0.0074, 'plan-included'))).toBe(
      '$0.007 API-equivalent: a ChatGPT plan, not billed per request (@pydantic/genai-prices 0.1.8)',
    );
    expect(describeCost(data(undefined, 'api', ['my-model']))).toBe(
      'not priced: my-model not in the price table (@pydantic/genai-prices 0.1.8)',
    );
    expect(describeCost(data(0.0152, 'api', ['gpt-5.5-mini']))).toBe(
      '$0.015 at API prices, without gpt-5.5-mini (not in the price table) (@pydantic/genai-prices 0.1.8)',
    );
    expect(describeCost({ environment: { agent: 'codex-cli' } } as TaskData)).toBeUndefined();
  });
});

describe("today's cost", () => {
  const now = new Date(2026, 11, 7, 15, 0, 0).getTime();
  const at = (hour: number, day = 7) => new Date(2026, 11, day, hour, 0, 0).toISOString();

  it('adds up the turns handled since local midnight, API and plan apart', () => {
    const today = costToday(
      [
        record(at(14), { cost: 0.25, costBasis: 'api' }),
        record(at(9), { cost: 0.125, costBasis: 'plan-included' }),
        record(at(8), { costBasis: 'api', unpricedModels: ['my-model'] }),
        record(at(1), {}),
        record(at(23, 6), { cost: 5, costBasis: 'api' }),
      ],
      now,
    );
    expect(today).toEqual({ turns: 4, apiUsd: 0.25, planUsd: 0.125, unpricedTurns: 1 });
    expect(describeCostToday(today)).toBe(
      '$0.250 at API prices, ~$0.125 API-equivalent on a ChatGPT plan (not billed), 1 turn with models the price table does not know, over 4 turns',
    );
  });

  it('says so when nothing was traced today', () => {
    const today = costToday([record(at(23, 6), { cost: 5, costBasis: 'api' })], now);
    expect(describeCostToday(today)).toBe('no turns traced yet');
    expect(describeCostToday({ turns: 2, apiUsd: 0, planUsd: 0, unpricedTurns: 0 })).toBe(
      '$0 at API prices, over 2 turns',
    );
  });
});
