// `infinium-codex history` and `history show <key>`: what was sent (or given up on), from the worker's
// history. The table fits about 110 columns, the prompt's first line cut to what is left: times relative
// to now in the local zone, one row per turn (a turn sent after it was dead shows as sent), the agent when
// several appear, a short key on every row for `history show`, a dead turn's reason shortened on the line
// below it. `--json` keeps every record as stored, with ISO times.
import type { TaskData } from '../infinium/task-data';
import { findHistory, type HistoryRecord, readHistory, spoolPaths } from '../spool';
import { evaluationOf } from '../spool/evaluations';
import { historyPrompt } from '../spool/history';
import type { CliContext } from './context';
import { costCell, costNotes, describeCost } from './cost';
import { UserError } from './errors';
import { shortVerdict } from './evaluation-format';
import { outcomeCell } from './outcome-format';
import { inertLine } from './terminal-text';
import { readPayload } from './view/data';

export interface HistoryOptions {
  limit?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 20;
const WIDTH = 110;
/** The prompt keeps at least this much of a line, however many columns the others take. */
const PROMPT_MIN = 16;

function parseLimit(text: string | undefined): number {
  const limit = text === undefined ? DEFAULT_LIMIT : Number(text);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UserError(`--limit must be a whole number of 1 or more (got "${text}").`, undefined, 2);
  }
  return limit;
}

/** "just now", "2 min ago", "3 h ago", "yesterday 14:02", else the local date and time. */
export function relativeTime(iso: string, nowMs: number): string {
  const then = new Date(iso);
  const seconds = Math.round((nowMs - then.getTime()) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 6 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(then.getHours())}:${pad(then.getMinutes())}`;
  const today = new Date(nowMs);
  const dayStart = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((dayStart(today) - dayStart(then)) / 86_400_000);
  if (days === 0) return `today ${clock}`;
  if (days === 1) return `yesterday ${clock}`;
  return `${then.getFullYear()}-${pad(then.getMonth() + 1)}-${pad(then.getDate())} ${clock}`;
}

/**
 * The newest record of each turn: a turn re-sent after it was dead (`retry --dead`) has both records in the
 * history, and only the outcome that stands is shown. Input and output are newest first.
 */
export function latestPerTurn(records: HistoryRecord[]): HistoryRecord[] {
  const seen = new Set<string>();
  return records.filter((record) => {
    if (seen.has(record.key)) return false;
    seen.add(record.key);
    return true;
  });
}

/**
 * The shortest tail (at least 8 characters) of each record's key that no other record shares; `history
 * show` takes it. Turn ids end in random digits (UUIDv7), so 8 almost always do.
 */
export function shortKeys(records: HistoryRecord[]): Map<string, string> {
  const keys = [...new Set(records.map((record) => record.key))];
  const short = new Map<string, string>();
  for (const key of keys) {
    let length = Math.min(8, key.length);
    while (length < key.length && keys.some((other) => other !== key && other.endsWith(key.slice(-length))))
      length += 1;
    short.set(key, key.slice(-length));
  }
  return short;
}

/** One cell of a line, cut to `width`: outside text escaped first, so it stays one line of that width. */
function shorten(text: string, width: number): string {
  const shown = inertLine(text);
  return shown.length <= width ? shown : `${shown.slice(0, width - 1)}…`;
}

export async function history(options: HistoryOptions, ctx: CliContext, nowMs = Date.now()): Promise<void> {
  const { out } = ctx;
  const limit = parseLimit(options.limit);
  const paths = spoolPaths(ctx.env);
  if (options.json) {
    out.json(
      readHistory(ctx.env, { limit }).map(({ payloadPath: _path, ...record }) => {
        const evaluation = evaluationOf(paths, record);
        return evaluation
          ? { ...record, evaluationStatus: evaluation.status, evaluation: evaluation.evaluation ?? null }
          : record;
      }),
    );
    return;
  }
  // Read a little further back, so that turns shown once each still fill the limit.
  const records = latestPerTurn(readHistory(ctx.env, { limit: limit * 2 })).slice(0, limit);
  if (records.length === 0) {
    out.line('No traces yet: they appear here once a Codex turn has been sent.');
    return;
  }
  const keys = shortKeys(records);
  // Two agents' turns of one project look alike but for the agent.
  const agents = new Set(records.map((record) => record.agentId)).size > 1;
  const rows = [
    [
      'WHEN',
      ...(agents ? ['AGENT'] : []),
      'PROJECT',
      'TURN',
      'STATUS',
      'STEPS',
      'TOKENS',
      'COST',
      'TIME',
      'OUTCOME',
      'VERDICT',
      'KEY',
    ],
    ...records.map((record) => [
      relativeTime(record.time, nowMs),
      ...(agents ? [shorten(record.agentId, 14)] : []),
      shorten(record.project, 12),
      `#${record.turnNumber}`,
      record.unknownOutcomes ? `${record.status}*` : record.status,
      String(record.steps),
      record.tokens === undefined ? '-' : String(record.tokens),
      costCell(record),
      `${record.duration.toFixed(1)}s`,
      outcomeCell(record.outcome),
      shortVerdict(evaluationOf(paths, record)),
      keys.get(record.key) ?? record.key,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((r) => (r[column] ?? '').length))) ?? [];
  // The prompt last, in what the other columns leave of the width: it tells turns apart that match in all
  // else (an imported turn next to the live one, two sessions started the same way).
  const promptWidth = Math.max(PROMPT_MIN, WIDTH - widths.reduce((sum, width) => sum + width + 2, 0));
  rows[0]?.push('PROMPT');
  for (const [index, record] of records.entries())
    rows[index + 1]?.push(shorten(promptCell(record), promptWidth));
  for (const [index, cells] of rows.entries()) {
    const text = cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
    const record = index === 0 ? undefined : records[index - 1];
    if (!record) out.line(out.bold(text));
    else if (record.status === 'dead') {
      out.line(out.red(text));
      out.line(out.dim(shorten(`  └ ${record.reason ?? 'given up on'}`, WIDTH)));
    } else out.line(text);
  }
  for (const note of costNotes(records)) out.line(out.dim(note));
  out.line(
    out.dim("`infinium-codex history show <key>` prints a trace, its trace id and a dead one's reason."),
  );
  if (records.some((record) => record.unknownOutcomes)) {
    out.line(
      '* an earlier send was cut short (a crash, a timeout, a lost connection) and may have arrived as well: ' +
        'Infinium may hold this trace more than once (`--json` gives the count in unknownOutcomes).',
    );
  }
}

/** The prompt's first line, from the record or (records written before 0.2) the body kept for it. */
function promptCell(record: HistoryRecord): string {
  const { prompt, imported } =
    record.prompt !== undefined || record.payloadPath === undefined
      ? record
      : historyPrompt(readPayload(record.payloadPath));
  return `${imported ? '[imported] ' : ''}${prompt || '-'}`;
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cached_tokens?: number;
}

/**
 * Our figures next to Codex's. Codex prints "tokens used" as its blended total: input not served from the
 * cache plus output (codex-rs TokenUsage::blended_total, over the session's total_token_usage), while the
 * trace's prompt_tokens counts all input, cached included, summed over the turn's model responses.
 */
export function explainTokens(usage: Usage): string[] {
  const prompt = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  const cached = usage.cached_tokens ?? 0;
  return [
    `Tokens:   ${prompt} prompt (${cached} of them cached) + ${completion} completion = ${prompt + completion}`,
    `          Codex's "tokens used" leaves cached input out: ${prompt} - ${cached} + ${completion} = ${prompt - cached + completion}`,
    '          (for this turn; after a resume Codex counts the whole session)',
  ];
}

function describeStatus(record: HistoryRecord): string {
  if (record.status === 'dead') return `dead: ${record.reason ?? 'given up on'}`;
  if (record.status === 'local')
    return 'kept locally, not sent (`init --local`): `infinium-codex retry` sends it once an agent is set up';
  return `sent, trace id ${record.traceId ?? '(none returned)'}`;
}

export interface HistoryShowOptions {
  id: string;
  json?: boolean;
}

export async function historyShow(options: HistoryShowOptions, ctx: CliContext): Promise<void> {
  const { out } = ctx;
  const found = findHistory(ctx.env, options.id);
  if (!found) {
    throw new UserError(
      `No trace ${options.id} in the history.`,
      'Run `infinium-codex history` to see the keys.',
    );
  }
  const { record, payload } = found;
  if (options.json) {
    if (payload === null) {
      throw new UserError(
        record.status === 'dead'
          ? `Trace ${options.id} was never sent: ${record.reason ?? 'it failed'}.`
          : `The payload of ${options.id} is no longer kept (only the newest ones are).`,
      );
    }
    out.line(JSON.stringify(JSON.parse(payload), null, 2));
    return;
  }
  out.line(`Key:      ${record.key}`);
  out.line(`Project:  ${record.project}, turn #${record.turnNumber}, agent ${record.agentId}`);
  out.line(`Status:   ${describeStatus(record)}`);
  out.line(`When:     ${record.time}`);
  if (payload === null) {
    out.line(
      record.status === 'dead'
        ? 'Body:     not kept for a dead trace; `infinium-codex retry --dead` sends it again once the cause is fixed.'
        : 'Body:     no longer kept (only the newest 500 are).',
    );
    return;
  }
  const body = JSON.parse(payload) as TaskData;
  if (body.llm_usage) for (const line of explainTokens(body.llm_usage)) out.line(line);
  const cost = describeCost(body);
  if (cost) out.line(`Cost:     ${cost}`);
  out.line('Body (exactly as sent; `--json` prints only this):');
  out.line(JSON.stringify(body, null, 2));
}
