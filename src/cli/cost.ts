// What turns cost, as `history`, `view` and `status` show it: the trace's llm_usage.cost (USD, priced per
// model request from the offline price table, see src/trace/pricing.ts) and how it was priced. A cost on
// a ChatGPT plan is what the requests would cost on the API, not what was billed: it is shown with `~`. A
// cost that leaves out requests on a model the table does not know is a lower bound: shown with `+`.
import type { TaskData } from '../infinium/task-data';
import type { HistoryRecord } from '../spool';

/** "$1.23", "$0.042", "<$0.001", "$0". */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  if (usd >= 0.001) return `$${usd.toFixed(3)}`;
  return '<$0.001';
}

type CostShown = Pick<HistoryRecord, 'cost' | 'costBasis' | 'unpricedModels'>;

/**
 * One turn's cost in a cell: "-" when it made no model request (or predates costs), "?" when none of its
 * requests could be priced, `~` before an API-equivalent cost, `+` after a lower bound.
 */
export function costCell(facts: CostShown): string {
  if (facts.costBasis === undefined) return '-';
  if (facts.cost === undefined) return '?';
  const plan = facts.costBasis === 'plan-included' ? '~' : '';
  return `${plan}${formatUsd(facts.cost)}${facts.unpricedModels?.length ? '+' : ''}`;
}

/** The notes a table of cost cells needs, for the marks its cells use. */
export function costNotes(facts: readonly CostShown[]): string[] {
  const notes: string[] = [];
  if (facts.some((f) => f.costBasis === 'plan-included' && f.cost !== undefined)) {
    notes.push(
      '~ API-equivalent: the session ran on a ChatGPT plan, whose requests are not billed one by one.',
    );
  }
  const unpriced = [...new Set(facts.flatMap((f) => f.unpricedModels ?? []))];
  if (unpriced.length > 0) {
    notes.push(
      `+ and ? leave out requests on models the price table does not know (${unpriced.join(', ')}).`,
    );
  }
  return notes;
}

/** Cost of the turns handled today (local time), apart by basis. */
export interface CostToday {
  turns: number;
  /** USD at API prices (API-key sessions). */
  apiUsd: number;
  /** USD API-equivalent of turns on a ChatGPT plan (not billed). */
  planUsd: number;
  /** Turns with requests the table could not price (their cost is partial or absent). */
  unpricedTurns: number;
}

/** `records`: one per turn (the latest), newest first. */
export function costToday(records: readonly HistoryRecord[], nowMs: number): CostToday {
  const now = new Date(nowMs);
  const dayStart = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const today: CostToday = { turns: 0, apiUsd: 0, planUsd: 0, unpricedTurns: 0 };
  for (const record of records) {
    const at = Date.parse(record.time);
    if (!(at >= dayStart && at <= nowMs)) continue;
    today.turns += 1;
    if (record.costBasis === 'plan-included') today.planUsd += record.cost ?? 0;
    else today.apiUsd += record.cost ?? 0;
    if (record.unpricedModels?.length) today.unpricedTurns += 1;
  }
  // Sums of floats: kept to the micro-dollar, as each trace's cost is.
  today.apiUsd = Math.round(today.apiUsd * 1e6) / 1e6;
  today.planUsd = Math.round(today.planUsd * 1e6) / 1e6;
  return today;
}

const turns = (n: number) => `${n} turn${n === 1 ? '' : 's'}`;

/** status's line: "$0.250 at API prices, ~$0.125 API-equivalent on a ChatGPT plan ..., over 3 turns". */
export function describeCostToday(today: CostToday): string {
  if (today.turns === 0) return 'no turns traced yet';
  const parts: string[] = [];
  if (today.apiUsd > 0 || today.planUsd === 0) parts.push(`${formatUsd(today.apiUsd)} at API prices`);
  if (today.planUsd > 0)
    parts.push(`~${formatUsd(today.planUsd)} API-equivalent on a ChatGPT plan (not billed)`);
  if (today.unpricedTurns > 0)
    parts.push(`${turns(today.unpricedTurns)} with models the price table does not know`);
  return `${parts.join(', ')}, over ${turns(today.turns)}`;
}

/**
 * One trace's cost in a sentence: "$0.042 at API prices (@pydantic/genai-prices 0.1.8)"; undefined when
 * the trace has no model requests (or predates costs).
 */
export function describeCost(data: TaskData): string | undefined {
  const pricing = data.environment?.pricing;
  if (!pricing) return undefined;
  const cost = data.llm_usage?.cost;
  const table = `${pricing.table} ${pricing.table_version}`;
  const missing = pricing.unpriced_models?.join(', ');
  if (cost === undefined) return `not priced: ${missing} not in the price table (${table})`;
  const basis =
    pricing.basis === 'plan-included'
      ? 'API-equivalent: a ChatGPT plan, not billed per request'
      : 'at API prices';
  return `${formatUsd(cost)} ${basis}${missing ? `, without ${missing} (not in the price table)` : ''} (${table})`;
}
