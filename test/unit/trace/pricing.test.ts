// The cost of model requests: the engine against the package its table comes from, hand-checked prices on
// real rollouts (expected values worked out here from the published per-million rates), a model the table
// does not know, a ChatGPT-plan session, a long-context request and a dated price change.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRolloutLine } from '../../../src/codex/rollout';
import { serializeTaskData, type TaskData, taskDataProblems } from '../../../src/infinium/task-data';
import { buildSessionTrace, buildTurnTrace } from '../../../src/trace/build';
import { PRICE_TABLE, priceRequest } from '../../../src/trace/pricing';
import { composeTurnTrace } from '../../../src/worker/compose';
import { RolloutWriter } from '../codex/rollout-writer';
import { type CodexVersion, context, input, scenarioTurn, stageScenario } from './helpers';

const DEC_2026 = Date.parse('2026-12-01T12:00:00Z');
const tokens = (input: number, cached: number, output: number, cacheWrite = 0) => ({
  input,
  cached,
  output,
  reasoning: 0,
  total: input + output,
  ...(cacheWrite > 0 ? { cacheWrite } : {}),
});
/** USD from token counts and per-million rates. */
const usd = (counts: [tokens: number, perMillion: number][]) =>
  counts.reduce((sum, [count, rate]) => sum + count * rate, 0) / 1e6;

describe('priceRequest agrees with @pydantic/genai-prices on every model of the shipped table', () => {
  // Every id a model's rule names, each priced at each of its price dates (and just before), with and
  // without cached and cache-written input, below and above a long-context tier.
  const ids = (rule: unknown): string[] => {
    if (typeof rule !== 'object' || rule === null) return [];
    const r = rule as Record<string, unknown>;
    if (typeof r.equals === 'string') return [r.equals];
    return [...(Array.isArray(r.or) ? r.or : [])].flatMap(ids);
  };
  // Ids the package resolves to that model (a rule such as `starts_with: "ft:gpt-4o:"` names none).
  const resolves = (provider: string, model: string, id: string) =>
    calcPrice({ input_tokens: 1 }, id, { providerId: provider })?.model.id === model;
  const cases = PRICE_TABLE.providers.flatMap((provider) =>
    provider.models.flatMap((model) =>
      [...new Set([model.id, ...ids(model.match)])]
        .filter((id) => resolves(provider.id, model.id, id))
        .map((id) => ({ provider: provider.id, model: model.id, id })),
    ),
  );
  it('covers every model whose rule names an id', () => {
    const covered = new Set(cases.map((c) => `${c.provider}/${c.model}`));
    const named = PRICE_TABLE.providers.flatMap((p) =>
      p.models.filter((m) => ids(m.match).length > 0).map((m) => `${p.id}/${m.id}`),
    );
    expect(named.filter((key) => !covered.has(key))).toEqual([]);
    expect(named.length).toBeGreaterThan(50);
  });
  it.each(cases)('$provider $id', ({ provider, model, id }) => {
    const info = PRICE_TABLE.providers.find((p) => p.id === provider)?.models.find((m) => m.id === model);
    const dates = [DEC_2026, Date.parse('2020-01-01T00:00:00Z')];
    for (const entry of info?.prices ?? []) {
      if (entry.start_date) dates.push(Date.parse(entry.start_date), Date.parse(entry.start_date) - 1);
    }
    for (const atMs of dates) {
      for (const [input, cached, output, cacheWrite] of [
        [1_000, 0, 50, 0],
        [12_345, 10_000, 678, 1_000],
        [300_000, 250_000, 4_000, 20_000],
      ] as const) {
        const ours = priceRequest(PRICE_TABLE, provider, id, tokens(input, cached, output, cacheWrite), atMs);
        const theirs = calcPrice(
          {
            input_tokens: input,
            cache_read_tokens: cached,
            cache_write_tokens: cacheWrite,
            output_tokens: output,
          },
          id,
          { providerId: provider, timestamp: new Date(atMs) },
        );
        expect(theirs?.model.id).toBe(model);
        expect(ours).toBeCloseTo(theirs?.total_price ?? Number.NaN, 12);
      }
    }
  });
});

describe('priceRequest', () => {
  it('prices gpt-5.5 at $5 input, $0.50 cached input, $30 output per million', () => {
    expect(priceRequest(PRICE_TABLE, 'openai', 'gpt-5.5', tokens(10_000, 4_000, 500), DEC_2026)).toBeCloseTo(
      usd([
        [6_000, 5],
        [4_000, 0.5],
        [500, 30],
      ]),
      12,
    );
  });

  it('prices the long-context tier per request: a request over 272K input pays $10 / $1 / $45 on all of it', () => {
    expect(
      priceRequest(PRICE_TABLE, 'openai', 'gpt-5.5', tokens(300_000, 100_000, 2_000), DEC_2026),
    ).toBeCloseTo(
      usd([
        [200_000, 10],
        [100_000, 1],
        [2_000, 45],
      ]),
      12,
    );
    // OpenAI's line is "272K input tokens and above": 271,999 pays base rates, 272,000 the tier.
    expect(priceRequest(PRICE_TABLE, 'openai', 'gpt-5.5', tokens(271_999, 0, 0), DEC_2026)).toBeCloseTo(
      usd([[271_999, 5]]),
      12,
    );
    expect(priceRequest(PRICE_TABLE, 'openai', 'gpt-5.5', tokens(272_000, 0, 0), DEC_2026)).toBeCloseTo(
      usd([[272_000, 10]]),
      12,
    );
  });

  it('takes the prices in force when the request was made (gpt-5.6-sol was cut on 2026-08-21)', () => {
    const usage = tokens(100_000, 20_000, 1_000, 10_000);
    // Before: $5 input, $0.50 cached, $6.25 cache write, $30 output; from 2026-08-21: $4, $0.40, $5, $20.
    expect(
      priceRequest(PRICE_TABLE, 'openai', 'gpt-5.6-sol', usage, Date.parse('2026-08-20T23:59:59.999Z')),
    ).toBeCloseTo(
      usd([
        [70_000, 5],
        [20_000, 0.5],
        [10_000, 6.25],
        [1_000, 30],
      ]),
      12,
    );
    expect(
      priceRequest(PRICE_TABLE, 'openai', 'gpt-5.6-sol', usage, Date.parse('2026-08-21T00:00:00.000Z')),
    ).toBeCloseTo(
      usd([
        [70_000, 4],
        [20_000, 0.4],
        [10_000, 5],
        [1_000, 20],
      ]),
      12,
    );
  });

  it('leaves a model the table does not know unpriced, and a local provider too', () => {
    expect(
      priceRequest(PRICE_TABLE, 'openai', 'gpt-9-ultra', tokens(1_000, 0, 10), DEC_2026),
    ).toBeUndefined();
    expect(priceRequest(PRICE_TABLE, 'fake', 'my-finetune', tokens(1_000, 0, 10), DEC_2026)).toBeUndefined();
    expect(priceRequest(PRICE_TABLE, 'oss', 'gpt-5.5', tokens(1_000, 0, 10), DEC_2026)).toBeUndefined();
    expect(
      priceRequest(PRICE_TABLE, 'ollama', 'gpt-oss:20b', tokens(1_000, 0, 10), DEC_2026),
    ).toBeUndefined();
  });

  it('prices a gateway or test provider by the model, and a dated id as the table spells it', () => {
    const list = usd([
      [1_000, 5],
      [10, 30],
    ]);
    for (const provider of ['fake', 'openai-proxy', undefined]) {
      expect(priceRequest(PRICE_TABLE, provider, 'gpt-5.5', tokens(1_000, 0, 10), DEC_2026)).toBeCloseTo(
        list,
        12,
      );
    }
    expect(
      priceRequest(PRICE_TABLE, 'openai', 'GPT-5.5-20260423', tokens(1_000, 0, 10), DEC_2026),
    ).toBeCloseTo(list, 12);
  });

  it('refuses counts that cannot be (more cached than input)', () => {
    expect(priceRequest(PRICE_TABLE, 'openai', 'gpt-5.5', tokens(100, 200, 10), DEC_2026)).toBeUndefined();
  });

  it('reads cache-written input from the rollout', () => {
    const record = parseRolloutLine(
      JSON.stringify({
        timestamp: '2026-12-01T00:00:00Z',
        type: 'token_usage_record',
        payload: {
          turn_id: 't',
          response_id: 'r',
          usage: {
            input_tokens: 5000,
            cached_input_tokens: 1000,
            cache_write_input_tokens: 3000,
            output_tokens: 10,
            reasoning_output_tokens: 0,
            total_tokens: 5010,
          },
        },
      }),
      0,
    );
    expect(record).toMatchObject({ kind: 'token_usage', usage: { cached: 1000, cacheWrite: 3000 } });
  });
});

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pricing-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** A real scenario's trace; `edit` rewrites the staged rollout first. */
async function scenarioTrace(
  name: string,
  version: CodexVersion,
  edit?: (text: string) => string,
): Promise<TaskData> {
  const payloads = stageScenario(name, home, version);
  const path = payloads.find((p) => p.transcript_path)?.transcript_path as string;
  if (edit) writeFileSync(path, edit(readFileSync(path, 'utf8')));
  const { taskData } = await composeTurnTrace(scenarioTurn(payloads, 'lean'), context(), undefined);
  serializeTaskData(taskData);
  return taskData;
}

describe('the cost in the trace, on real rollouts', () => {
  it('codex 0.171.0 ten-commands: 11 responses on gpt-5.5', async () => {
    const data = await scenarioTrace('ten-commands', '0.171.0');
    // Per response: input, cached, output (from the rollout's token_usage_record lines).
    const responses = [
      [1100, 50, 11],
      [1200, 100, 12],
      [1300, 150, 13],
      [1400, 200, 14],
      [1500, 250, 15],
      [1600, 300, 16],
      [1700, 350, 17],
      [1800, 400, 18],
      [1900, 450, 19],
      [2000, 500, 20],
      [2200, 500, 12],
    ];
    const expected = responses.reduce(
      (sum, [input = 0, cached = 0, output = 0]) =>
        sum +
        usd([
          [input - cached, 5],
          [cached, 0.5],
          [output, 30],
        ]),
      0,
    );
    expect(data.llm_usage?.cost).toBeCloseTo(expected, 6);
    expect(data.environment?.pricing).toEqual({
      table: '@pydantic/genai-prices',
      table_version: PRICE_TABLE.version,
      basis: 'api',
    });
  });

  it('codex 0.169.0 apply-patch and 0.171.0 failing-command', async () => {
    const patch = await scenarioTrace('apply-patch', '0.169.0');
    // 1500 in, 90 out; 1700 in (1400 cached), 60 out; 1800 in (1600 cached), 30 out.
    expect(patch.llm_usage?.cost).toBeCloseTo(
      usd([
        [1500 + 300 + 200, 5],
        [1400 + 1600, 0.5],
        [90 + 60 + 30, 30],
      ]),
      6,
    );
    const failing = await scenarioTrace('failing-command', '0.171.0');
    // 900 in, 30 out; then 1000 in (800 cached), 20 out.
    expect(failing.llm_usage?.cost).toBeCloseTo(
      usd([
        [900, 5],
        [30, 30],
        [200, 5],
        [800, 0.5],
        [20, 30],
      ]),
      6,
    );
  });

  it('a ChatGPT-plan session: the same cost, said to be API-equivalent, not billed', async () => {
    const plan = (text: string) =>
      text.replaceAll(
        '"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null',
        '"primary":{"used_percent":12.0,"window_minutes":300,"resets_at":1796000000},"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":"plus"',
      );
    const onApi = await scenarioTrace('failing-command', '0.171.0');
    const onPlan = await scenarioTrace('failing-command', '0.171.0', plan);
    expect(onPlan.llm_usage?.cost).toBe(onApi.llm_usage?.cost);
    expect(onPlan.environment?.pricing?.basis).toBe('plan-included');
    expect(onApi.environment?.pricing?.basis).toBe('api');
  });

  it('a long-context tier is decided per request, not per turn', () => {
    // Two requests of 200K input each: the turn's 400K crosses 272K, neither request does.
    const w = new RolloutWriter().sessionMeta().startTurn('t1', 'read it all');
    w.usage('t1', 'r1', { input: 200_000, output: 1_000 }).usage('t1', 'r2', {
      input: 200_000,
      output: 1_000,
    });
    w.complete('t1', 1000, 'done');
    const data = buildTurnTrace(input(w), { ...options, nowMs: DEC_2026 });
    expect(data.llm_usage?.prompt_tokens).toBe(400_000);
    expect(data.llm_usage?.cost).toBeCloseTo(
      usd([
        [400_000, 5],
        [2_000, 30],
      ]),
      6,
    );
  });

  it("older builds' token_count totals: each advance is one request, priced and tiered on its own", () => {
    const w = new RolloutWriter().sessionMeta().oldTurn('read it all', 'gpt-5.5');
    w.tokenCount({ input: 100_000, output: 1_000 }, { input: 100_000, output: 1_000 })
      // The same total again: not a new request.
      .tokenCount({ input: 100_000, output: 1_000 }, { input: 100_000, output: 1_000 })
      .tokenCount(
        { input: 400_000, cached: 50_000, output: 3_000 },
        { input: 300_000, cached: 50_000, output: 2_000 },
      );
    const data = buildTurnTrace(input(w, { turnId: null }), options);
    expect(data.llm_usage?.api_calls_count).toBe(2);
    // The second request alone crosses 272K: $10 / $1 / $45 on all of its tokens.
    expect(data.llm_usage?.cost).toBeCloseTo(
      usd([
        [100_000, 5],
        [1_000, 30],
        [250_000, 10],
        [50_000, 1],
        [2_000, 45],
      ]),
      6,
    );
  });

  it('a per-session trace costs what its turns cost together', () => {
    const turn = (id: string, inputTokens: number) => {
      const w = new RolloutWriter().sessionMeta().startTurn(id, 'hi');
      w.usage(id, `r-${id}`, { input: inputTokens, output: 100 }).complete(id, 1000, 'done');
      return input(w, { turnId: id });
    };
    const data = buildSessionTrace([turn('t1', 1_000), turn('t2', 3_000)], options);
    expect(data.llm_usage?.cost).toBeCloseTo(
      usd([
        [4_000, 5],
        [200, 30],
      ]),
      9,
    );
    expect(data.environment?.pricing?.basis).toBe('api');
  });

  it('requests whose model Codex did not record are not priced as any model', () => {
    const w = new RolloutWriter().sessionMeta().event({ type: 'user_message', message: 'hi', kind: 'plain' });
    w.tokenCount({ input: 1_000, output: 10 }, { input: 1_000, output: 10 });
    const data = buildTurnTrace(input(w, { turnId: null }), options);
    expect(data.llm_usage?.prompt_tokens).toBe(1_000);
    expect(data.llm_usage).not.toHaveProperty('cost');
    expect(data.environment?.pricing?.unpriced_models).toEqual(['(model not recorded)']);
  });

  it('a model the table does not know: tokens counted, no cost, named in unpriced_models', () => {
    const w = new RolloutWriter().sessionMeta().startTurn('t1', 'hi', 'gpt-9-ultra');
    w.usage('t1', 'r1', { input: 1_000, output: 10 }).complete('t1', 1000, 'done');
    const data = buildTurnTrace(input(w), options);
    expect(data.llm_usage?.prompt_tokens).toBe(1_000);
    expect(data.llm_usage).not.toHaveProperty('cost');
    expect(data.environment?.pricing).toMatchObject({ basis: 'api', unpriced_models: ['gpt-9-ultra'] });
  });

  it('a turn without model requests carries no cost and no pricing', () => {
    const w = new RolloutWriter().sessionMeta().startTurn('t1', 'hi').complete('t1', 10, 'done');
    const data = buildTurnTrace(input(w), options);
    expect(data.llm_usage).not.toHaveProperty('cost');
    expect(data.environment).not.toHaveProperty('pricing');
  });

  it('the body check refuses a cost that is not a number of USD, or one without its pricing', () => {
    const body = (extra: Partial<TaskData>): TaskData => ({
      name: 'n',
      description: 'd',
      current_datetime: '2026-12-01T00:00:00Z',
      duration: 1,
      ...extra,
    });
    expect(taskDataProblems(body({ llm_usage: { cost: -1 } }))).toContain(
      'llm_usage.cost must be a number of USD >= 0',
    );
    expect(taskDataProblems(body({ llm_usage: { cost: 1 } }))).toContain(
      'llm_usage.cost needs environment.pricing to say how it was priced',
    );
    expect(
      taskDataProblems(
        body({
          environment: {
            agent: 'codex-cli',
            pricing: { table: 't', table_version: '1', basis: 'billed' as 'api' },
          },
        }),
      ),
    ).toContain('environment.pricing.basis must be "api" or "plan-included"');
  });
});

const options = {
  contentMode: 'redacted' as const,
  redactPatterns: [],
  capture: 'lean' as const,
  nowMs: DEC_2026,
};
