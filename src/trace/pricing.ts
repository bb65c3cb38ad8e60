// What a turn's model requests cost, in USD, from the offline price table shipped in ./price-table.json
// (written by scripts/update-prices.mjs from @pydantic/genai-prices, whose rules this follows; a unit test
// checks every model of the table against that package). Pure: the table is data, each request's time
// comes in with it. Each request is priced on its own: a long-context tier applies to the request whose
// input crossed it, and the prices are those in force when the request was made.
import type { RolloutRecord, TokenCounts } from '../codex/rollout';
import type { Pricing } from '../infinium/task-data';
import TABLE from './price-table.json';
import { addUsage, type ModelRequest, type TurnUsage, ZERO_USAGE } from './tokens';

type Match =
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string }
  | { or: Match[] }
  | { and: Match[] };

/** USD per million tokens (per thousand requests); tiered on the request's whole input. */
type Price = number | { base: number; tiers: { start: number; price: number }[] };

interface ModelPrices {
  input_mtok: Price;
  output_mtok: Price;
  cache_read_mtok?: Price;
  cache_write_mtok?: Price;
  requests_kcount?: Price;
}

interface TableModel {
  id: string;
  match: Match;
  /** Dated prices, oldest first; an entry without `start_date` holds before the first dated one. */
  prices: { start_date?: string; prices: ModelPrices }[];
}

interface TableProvider {
  id: string;
  provider_match?: Match;
  model_match?: Match;
  /** Providers whose models this one also serves at their prices. */
  fallback: string[];
  models: TableModel[];
}

export interface PriceTable {
  table: string;
  version: string;
  providers: TableProvider[];
}

export const PRICE_TABLE = TABLE as PriceTable;

/** Codex providers that run the model on the user's machine: no API price exists. */
const LOCAL_PROVIDERS = new Set(['oss', 'ollama', 'lmstudio']);

function matches(rule: Match, id: string): boolean {
  if ('or' in rule) return rule.or.some((inner) => matches(inner, id));
  if ('and' in rule) return rule.and.every((inner) => matches(inner, id));
  if ('equals' in rule) return id === rule.equals.toLowerCase();
  if ('starts_with' in rule) return id.startsWith(rule.starts_with.toLowerCase());
  if ('ends_with' in rule) return id.endsWith(rule.ends_with.toLowerCase());
  if ('contains' in rule) return id.includes(rule.contains.toLowerCase());
  return new RegExp(rule.regex).test(id);
}

/**
 * The table's provider for Codex's `model_provider` id: the provider of that id (or whose name it
 * contains, as "openai-proxy"); for a provider the table does not know (a gateway, a test server), the
 * provider whose models the name belongs to; none for a local one.
 */
function providerFor(table: PriceTable, codexProvider: string | undefined, model: string) {
  const id = codexProvider?.toLowerCase().trim();
  if (id !== undefined && LOCAL_PROVIDERS.has(id)) return undefined;
  if (id !== undefined && id !== '') {
    const named =
      table.providers.find((provider) => provider.id === id) ??
      table.providers.find((provider) => provider.provider_match && matches(provider.provider_match, id));
    if (named) return named;
  }
  return table.providers.find((provider) => provider.model_match && matches(provider.model_match, model));
}

function findIn(table: PriceTable, provider: TableProvider, model: string): TableModel | undefined {
  const own = provider.models.find((info) => matches(info.match, model));
  if (own) return own;
  for (const id of provider.fallback) {
    const other = table.providers.find((candidate) => candidate.id === id);
    const found = other?.models.find((info) => matches(info.match, model));
    if (found) return found;
  }
  return undefined;
}

/** A dated model id ("gpt-5-20250807") is also looked up as "gpt-5-2025-08-07", as the table spells it. */
function datedSpelling(model: string): string {
  return model.replace(/-(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g, '-$1-$2-$3');
}

function pricesAt(model: TableModel, atMs: number): ModelPrices | undefined {
  for (let i = model.prices.length - 1; i >= 0; i -= 1) {
    const entry = model.prices[i];
    if (entry && (entry.start_date === undefined || atMs >= Date.parse(entry.start_date)))
      return entry.prices;
  }
  return model.prices[0]?.prices;
}

/** The rate of a price for a request whose input is `input` tokens: the last tier it passed. */
function rate(price: Price | undefined, input: number): number | undefined {
  if (price === undefined || typeof price === 'number') return price;
  let value = price.base;
  for (const tier of price.tiers) if (input > tier.start) value = tier.price;
  return value;
}

function requestCost(prices: ModelPrices, usage: TokenCounts): number | undefined {
  const input = rate(prices.input_mtok, usage.input) ?? 0;
  const cacheRead = rate(prices.cache_read_mtok, usage.input);
  const cacheWrite = rate(prices.cache_write_mtok, usage.input);
  // Cached and cache-written tokens are parts of the input: without a price of their own they are input.
  const read = cacheRead === undefined ? 0 : usage.cached;
  const written = cacheWrite === undefined ? 0 : (usage.cacheWrite ?? 0);
  const uncached = usage.input - read - written;
  if (uncached < 0 || usage.output < 0) return undefined;
  const perRequest = rate(prices.requests_kcount, usage.input);
  return (
    (uncached * input +
      read * (cacheRead ?? 0) +
      written * (cacheWrite ?? 0) +
      usage.output * (rate(prices.output_mtok, usage.input) ?? 0)) /
      1e6 +
    (perRequest === undefined ? 0 : perRequest / 1e3)
  );
}

/**
 * The price in USD of one model request made at `atMs` on `model` through Codex's provider
 * `codexProvider`; undefined when the table does not know the model (it is never guessed).
 */
export function priceRequest(
  table: PriceTable,
  codexProvider: string | undefined,
  model: string,
  usage: TokenCounts,
  atMs: number,
): number | undefined {
  const info = modelOf(table, codexProvider, model);
  const prices = info && pricesAt(info, atMs);
  return prices && requestCost(prices, usage);
}

/** Each table's lookups, by provider and model: a turn asks for the same one or two models again and again. */
const lookups = new WeakMap<PriceTable, Map<string, TableModel | undefined>>();

function modelOf(table: PriceTable, codexProvider: string | undefined, model: string) {
  const key = `${codexProvider ?? ''}\n${model}`;
  const known = lookups.get(table) ?? new Map<string, TableModel | undefined>();
  lookups.set(table, known);
  if (known.has(key)) return known.get(key);
  const id = model.toLowerCase().trim();
  const provider = providerFor(table, codexProvider, id);
  const info = provider && (findIn(table, provider, id) ?? findIn(table, provider, datedSpelling(id)));
  known.set(key, info);
  return info;
}

/** Costs are kept to the micro-dollar: sums of float products otherwise end in ...0000000004. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** One model's share of a trace: its usage, the price of its priced requests, how many were not priced. */
export interface ModelShare {
  usage: TurnUsage;
  cost: number;
  unpriced: number;
}

/** `share` with the requests added, each priced on `model` at its own time (none without a model). */
export function addRequests(
  share: ModelShare | undefined,
  requests: readonly ModelRequest[],
  model: string | undefined,
  codexProvider: string | undefined,
  table: PriceTable = PRICE_TABLE,
): ModelShare {
  let next = share ?? { usage: ZERO_USAGE, cost: 0, unpriced: 0 };
  for (const request of requests) {
    const usd =
      model === undefined
        ? undefined
        : priceRequest(table, codexProvider, model, request.usage, request.atMs);
    next = {
      usage: addUsage(next.usage, request.usage),
      cost: next.cost + (usd ?? 0),
      unpriced: next.unpriced + (usd === undefined ? 1 : 0),
    };
  }
  return next;
}

/** A model's cost when every one of its requests was priced. */
export const shareCost = (share: ModelShare): number | undefined =>
  share.unpriced === 0 ? roundUsd(share.cost) : undefined;

/** The cost of every fully priced model together; undefined when none was. */
export function totalCost(shares: Iterable<ModelShare>): number | undefined {
  let total: number | undefined;
  for (const share of shares) {
    const cost = shareCost(share);
    if (cost !== undefined) total = (total ?? 0) + share.cost;
  }
  return total === undefined ? undefined : roundUsd(total);
}

/** What the model was named in `unpriced_models` when Codex did not record it. */
const UNRECORDED_MODEL = '(model not recorded)';

/**
 * environment.pricing: which table priced the trace, and whether the session's account pays per request
 * ("api") or runs on a ChatGPT plan, whose requests the cost prices at API rates but which are not billed
 * ("plan-included"). Undefined when the trace has no model requests.
 */
export function pricingFacts(
  byModel: ReadonlyMap<string | undefined, ModelShare>,
  records: Iterable<readonly RolloutRecord[]>,
  table: PriceTable = PRICE_TABLE,
): Pricing | undefined {
  if (byModel.size === 0) return undefined;
  const unpriced = [...byModel]
    .filter(([, share]) => share.unpriced > 0)
    .map(([model]) => model ?? UNRECORDED_MODEL);
  return {
    table: table.table,
    table_version: table.version,
    basis: onPlan(records) ? 'plan-included' : 'api',
    ...(unpriced.length > 0 ? { unpriced_models: unpriced } : {}),
  };
}

/** The rollout names a ChatGPT plan (rate_limits.plan_type): API-key sessions have none. */
function onPlan(records: Iterable<readonly RolloutRecord[]>): boolean {
  for (const list of records) {
    if (list.some((record) => record.kind === 'token_count' && record.planType !== undefined)) return true;
  }
  return false;
}
