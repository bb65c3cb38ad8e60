// `infinium-codex history` and `history show <id>`: what was sent (or given up on), from the worker's
// history; `show` prints the exact body that was sent.
import { findHistory, type HistoryRecord, readHistory, spoolPaths } from '../spool';
import { type EvaluationState, evaluationOf } from '../spool/evaluations';
import type { CliContext } from './context';
import { UserError } from './errors';
import { shortVerdict } from './evaluation-format';

export interface HistoryOptions {
  limit?: string;
  json?: boolean;
}

function parseLimit(text: string | undefined): number {
  const limit = Number(text ?? '20');
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UserError(`--limit must be a whole number of 1 or more (got "${text}").`, undefined, 2);
  }
  return limit;
}

function row(record: HistoryRecord, evaluation: EvaluationState | null): string[] {
  return [
    record.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    record.project,
    `#${record.turnNumber}`,
    record.unknownOutcomes ? `${record.status}*` : record.status,
    String(record.steps),
    record.tokens === undefined ? '-' : String(record.tokens),
    `${record.duration.toFixed(1)}s`,
    shortVerdict(evaluation),
    record.traceId ?? (record.reason ? `(${record.reason})` : '-'),
  ];
}

export async function history(options: HistoryOptions, ctx: CliContext): Promise<void> {
  const records = readHistory(ctx.env, { limit: parseLimit(options.limit) });
  const paths = spoolPaths(ctx.env);
  const evaluations = records.map((record) => evaluationOf(paths, record));
  if (options.json) {
    ctx.out.json(
      records.map(({ payloadPath: _path, ...record }, index) => {
        const evaluation = evaluations[index];
        return evaluation
          ? { ...record, evaluation_status: evaluation.status, evaluation: evaluation.evaluation ?? null }
          : record;
      }),
    );
    return;
  }
  if (records.length === 0) {
    ctx.out.line('No traces yet: they appear here once a Codex turn has been sent.');
    return;
  }
  const rows = [
    ['TIME', 'PROJECT', 'TURN', 'STATUS', 'STEPS', 'TOKENS', 'DURATION', 'VERDICT', 'TRACE ID'],
    ...records.map((record, index) => row(record, evaluations[index] ?? null)),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((r) => (r[column] ?? '').length))) ?? [];
  for (const [index, cells] of rows.entries()) {
    const text = cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
    ctx.out.line(index === 0 ? ctx.out.bold(text) : cells[3]?.startsWith('dead') ? ctx.out.red(text) : text);
  }
  if (records.some((record) => record.unknownOutcomes)) {
    ctx.out.line(
      '* an earlier send was cut short (a crash, a timeout, a lost connection) and may have arrived as well: ' +
        'Infinium may hold this trace more than once (`--json` gives the count in unknownOutcomes).',
    );
  }
}

export async function historyShow(options: { id: string }, ctx: CliContext): Promise<void> {
  const found = findHistory(ctx.env, options.id);
  if (!found) {
    throw new UserError(
      `No trace ${options.id} in the history.`,
      'Run `infinium-codex history` to see the trace ids.',
    );
  }
  if (found.payload === null) {
    throw new UserError(
      found.record.status === 'dead'
        ? `Trace ${options.id} was never sent: ${found.record.reason ?? 'it failed'}.`
        : `The payload of ${options.id} is no longer kept (only the newest ones are).`,
    );
  }
  ctx.out.line(JSON.stringify(JSON.parse(found.payload), null, 2));
}
