// Token usage of one turn, by the rules in codex-hooks.md:
// - newest builds write one token_usage_record per model response: sum `usage` for the turn, counting each
//   response_id once (the same record can be written twice);
// - older builds write event_msg token_count lines with the thread's cumulative total; they repeat with an
//   unchanged total, so a line counts only when the total advanced past the previous one;
// - a turn with any token_usage_record uses only those, so no response is counted from both kinds;
// - forked and sub-agent files replay their parent's lines first: records carry the parent's turn ids and
//   are not the turn's, and replayed token_count totals only raise the baseline the turn starts from.
import type { RolloutRecord, TokenCounts } from '../codex/rollout';

export interface TurnUsage extends TokenCounts {
  /** Model responses counted. */
  responses: number;
}

/** One model response of the turn: what it used, and when its usage line was written. */
export interface ModelRequest {
  atMs: number;
  usage: TokenCounts;
  /**
   * The model in force when the request was recorded: the latest turn_context before it in the turn;
   * undefined before the turn's first one (the model of the turn before: a compaction Codex runs on the
   * previous model after a /model switch).
   */
  model?: string;
}

export const ZERO_USAGE: TurnUsage = { input: 0, cached: 0, output: 0, reasoning: 0, total: 0, responses: 0 };

/** `cacheWrite` only where some was written, as Codex builds before 0.171 never report it. */
const withCacheWrite = <T extends TokenCounts>(counts: T, cacheWrite: number): T =>
  cacheWrite > 0 ? { ...counts, cacheWrite } : counts;

export function addUsage(a: TurnUsage, b: TokenCounts, responses = 1): TurnUsage {
  return withCacheWrite(
    {
      input: a.input + b.input,
      cached: a.cached + b.cached,
      output: a.output + b.output,
      reasoning: a.reasoning + b.reasoning,
      total: a.total + b.total,
      responses: a.responses + responses,
    },
    (a.cacheWrite ?? 0) + (b.cacheWrite ?? 0),
  );
}

function difference(now: TokenCounts, before: TokenCounts): TokenCounts {
  return withCacheWrite(
    {
      input: now.input - before.input,
      cached: now.cached - before.cached,
      output: now.output - before.output,
      reasoning: now.reasoning - before.reasoning,
      total: now.total - before.total,
    },
    (now.cacheWrite ?? 0) - (before.cacheWrite ?? 0),
  );
}

/** The sum of the requests' usage; undefined for undefined (no usage lines at all). */
export function sumRequests(requests: readonly ModelRequest[] | undefined): TurnUsage | undefined {
  return requests?.reduce((sum, request) => addUsage(sum, request.usage), ZERO_USAGE);
}

/**
 * The model requests of the turn whose records are given, one per response. `turnId` filters
 * token_usage_record lines (undefined: keep records without an id, as older builds write); `baseline` is
 * the cumulative token_count total before the turn's first line. Returns undefined when the turn has no
 * usage lines at all.
 */
export function turnRequests(
  records: readonly RolloutRecord[],
  turnId: string | undefined,
  baseline: TokenCounts | undefined,
): ModelRequest[] | undefined {
  const fromRecords: ModelRequest[] = [];
  const seen = new Set<string>();
  let model: string | undefined;
  for (const record of records) {
    if (record.kind === 'turn_context' && record.model) model = record.model;
    if (record.kind !== 'token_usage') continue;
    if (record.turnId !== undefined && turnId !== undefined && record.turnId !== turnId) continue;
    if (record.responseId !== undefined) {
      if (seen.has(record.responseId)) continue;
      seen.add(record.responseId);
    }
    fromRecords.push({ atMs: record.atMs, usage: record.usage, ...(model ? { model } : {}) });
  }
  if (fromRecords.length > 0) return fromRecords;

  const fromCounts: ModelRequest[] = [];
  let previous = baseline;
  model = undefined;
  for (const record of records) {
    if (record.kind === 'turn_context' && record.model) model = record.model;
    if (record.kind !== 'token_count' || !record.total) continue;
    const total = record.total;
    if (previous && total.total <= previous.total) {
      // A smaller total means the thread's counter restarted (a fork starting afresh): count this line's
      // own usage and start again from its total. An equal total is a repeated line.
      if (total.total < previous.total && record.last)
        fromCounts.push({ atMs: record.atMs, usage: record.last, ...(model ? { model } : {}) });
      previous = total;
      continue;
    }
    const usage = previous ? difference(total, previous) : total;
    fromCounts.push({ atMs: record.atMs, usage, ...(model ? { model } : {}) });
    previous = total;
  }
  return fromCounts.length > 0 ? fromCounts : undefined;
}

/** The turn's usage: the sum of turnRequests. */
export function turnUsage(
  records: readonly RolloutRecord[],
  turnId: string | undefined,
  baseline: TokenCounts | undefined,
): TurnUsage | undefined {
  return sumRequests(turnRequests(records, turnId, baseline));
}
