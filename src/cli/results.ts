// `infinium-codex results [<key>] [--last N] [--wait] [--json]`: Maestro's evaluation of the given or the
// latest sent traces. Asks Infinium once for those still pending (the worker asks in the background too);
// --wait keeps asking, every 3 s, until each is ready or given up on, or --timeout runs out.

import { historyRecordIs, listOutbox, spoolPaths } from '../spool';
import { type EvaluationState, evaluationOf } from '../spool/evaluations';
import { listSpool } from '../spool/events';
import { type HistoryRecord, readHistoryRecords } from '../spool/history';
import {
  DEFAULT_EVALUATION_WAIT_MS,
  EVALUATION_POLL_INTERVAL_MS,
  evaluationWaitMs,
  pollEvaluations,
} from '../worker/evaluations';
import { sameFile } from '../worker/stay';
import type { CliContext } from './context';
import { UserError } from './errors';
import { evaluationGist } from './evaluation-format';
import { latestPerTurn } from './history';
import * as prompts from './prompts';
import { cutLong, inertLine } from './terminal-text';

/** Maestro's summary is cut here unless --full: it may quote a whole trace back. */
const SUMMARY_MAX = 1_000;

export interface ResultsOptions {
  key?: string;
  last?: string;
  wait?: boolean;
  timeout?: string;
  full?: boolean;
  json?: boolean;
}

function wholeNumber(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(`${flag} must be a whole number of 1 or more (got "${text}").`, undefined, 2);
  }
  return value;
}

/** The sent traces asked for: one by key (or trace id, or key prefix), else the newest `last`. */
function selectTraces(ctx: CliContext, options: ResultsOptions): HistoryRecord[] {
  const sent = latestPerTurn(readHistoryRecords(spoolPaths(ctx.env)).filter((r) => r.status === 'sent'));
  if (options.key !== undefined) {
    const id = options.key;
    const found = sent.find((r) => historyRecordIs(r, id));
    if (!found) {
      throw new UserError(
        `No sent trace ${id} in the history.`,
        'Run `infinium-codex history` to see the keys of sent traces.',
      );
    }
    return [found];
  }
  return sent.slice(0, wholeNumber(options.last, '--last', 1));
}

/** Spooled events that end a turn: that turn is still to be built. */
const TURN_ENDS = new Set(['Stop', 'Interrupt', 'SessionEnd']);

/**
 * Asks, each time it is called, for a turn newer than every sent trace still on its way: `building` (its end
 * is spooled, the worker has not built it yet) or `sending` (built, waiting in the outbox); null when there
 * is none. --wait asks every 250 ms: the history (up to 2 MB) is read again only once its file changed.
 */
function turnInFlight(ctx: CliContext): () => 'building' | 'sending' | null {
  const paths = spoolPaths(ctx.env);
  let historyKept = () => false;
  let sent = new Set<string>();
  return () => {
    if (listSpool(paths).some((entry) => TURN_ENDS.has(entry.event))) return 'building';
    if (!historyKept()) {
      // Stamped before it is read: a line added meanwhile is read on the next call.
      historyKept = sameFile(paths.historyFile);
      sent = new Set(readHistoryRecords(paths).map((record) => record.key));
    }
    return listOutbox(ctx.env).some((entry) => !sent.has(entry.key)) ? 'sending' : null;
  };
}

const IN_FLIGHT: Record<'building' | 'sending', string> = {
  building: 'is still being built',
  sending: 'is still being sent',
};

export async function results(options: ResultsOptions, ctx: CliContext): Promise<void> {
  const timeoutMs = wholeNumber(options.timeout, '--timeout', 120) * 1000;
  const untilMs = Date.now() + timeoutMs;
  const latest = options.key === undefined;
  // --wait means the newest turn: one still being built or sent is waited for, within the timeout.
  const inFlightNow = turnInFlight(ctx);
  let inFlight = latest ? inFlightNow() : null;
  if (inFlight && options.wait) {
    const spin = ctx.interactive && !options.json ? prompts.spinner() : undefined;
    spin?.start(`Your latest turn ${IN_FLIGHT[inFlight]}`);
    while (inFlight && Date.now() < untilMs) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      inFlight = inFlightNow();
    }
    spin?.stop(inFlight ? `Your latest turn ${IN_FLIGHT[inFlight]}` : 'Your latest turn was sent');
  }
  const records = selectTraces(ctx, options);
  if (records.length === 0) {
    if (inFlight) {
      ctx.out.line(`Your first turn ${IN_FLIGHT[inFlight]}: its evaluation appears here once it is sent.`);
      if (options.wait) throw gaveUp(timeoutMs, inFlight);
      return;
    }
    ctx.out.line('No sent traces yet: evaluations appear here once a Codex turn has been sent.');
    return;
  }
  const paths = spoolPaths(ctx.env);
  const keys = records.filter((r) => r.traceId).map((r) => r.key);
  const giveUpAfterMs = evaluationWaitMs(ctx.env) || DEFAULT_EVALUATION_WAIT_MS;
  const states = () => new Map(records.map((r) => [r.key, evaluationOf(paths, r)]));
  const pendingLeft = () => [...states().values()].some((s) => s?.status === 'pending');

  if (keys.length > 0 && pendingLeft() && Date.now() < untilMs) {
    const spin = options.wait && ctx.interactive && !options.json ? prompts.spinner() : undefined;
    spin?.start('Asking Infinium for Maestro’s evaluation');
    // Taken by the worker's poller: it asks for these too, so watch the files instead of asking twice.
    // Every request ends by the timeout, answered or not.
    const polled = await pollEvaluations(ctx.env, {
      giveUpAfterMs,
      keys,
      linger: options.wait === true,
      untilMs,
      ignoreInterval: true,
    });
    while (!polled && options.wait && pendingLeft() && Date.now() < untilMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, EVALUATION_POLL_INTERVAL_MS)));
    }
    spin?.stop(pendingLeft() ? 'Some evaluations are not ready yet' : 'Evaluations fetched');
  }

  const found = states();
  const stillPending = [...found.values()].some((state) => state?.status === 'pending');
  if (inFlight && !options.json) {
    ctx.out.line(
      ctx.out.yellow(`Your latest turn ${IN_FLIGHT[inFlight]}; below is the newest sent one.`) +
        (options.wait ? '' : ctx.out.dim(' `infinium-codex results --wait` waits for it.')),
    );
  }
  if (options.json) {
    ctx.out.json(
      records.map((r) => {
        const state = found.get(r.key) ?? null;
        return {
          key: r.key,
          traceId: r.traceId ?? null,
          project: r.project,
          turnNumber: r.turnNumber,
          evaluationStatus: state?.status ?? null,
          evaluation: state?.evaluation ?? null,
          ...(state?.reason ? { reason: state.reason } : {}),
        };
      }),
    );
  } else {
    for (const [index, record] of records.entries()) {
      if (index > 0) ctx.out.line();
      printOne(ctx, record, found.get(record.key) ?? null, options.full === true);
    }
    if (!options.wait && stillPending) {
      ctx.out.line(
        ctx.out.dim('Maestro usually needs 5-30 s; `infinium-codex results --wait` waits for it.'),
      );
    }
  }
  if (options.wait && (stillPending || inFlight)) throw gaveUp(timeoutMs, inFlight);
}

/** --wait ran out of time: said on stderr, with a non-zero exit, so a script can tell. */
function gaveUp(timeoutMs: number, inFlight: 'building' | 'sending' | null): UserError {
  const what = inFlight ? `your latest turn ${IN_FLIGHT[inFlight]}` : 'the evaluation is still pending';
  return new UserError(
    `Gave up after ${Math.round(timeoutMs / 1000)} s: ${what}.`,
    'Run `infinium-codex results --wait` again later, or give a longer --timeout.',
  );
}

function printOne(
  ctx: CliContext,
  record: HistoryRecord,
  state: EvaluationState | null,
  full: boolean,
): void {
  ctx.out.line(ctx.out.bold(`${record.project} turn #${record.turnNumber}`) + ctx.out.dim(`  ${record.key}`));
  if (!state) {
    ctx.out.line('  No evaluation to ask for: Infinium accepted this trace without giving its id.');
    return;
  }
  if (state.status === 'pending') {
    ctx.out.line(
      `  Evaluation: ${ctx.out.yellow('pending')} (Maestro is still at work on trace ${state.traceId})`,
    );
    return;
  }
  if (state.status === 'unavailable') {
    ctx.out.line(`  Evaluation: ${ctx.out.red('unavailable')}: ${state.reason ?? 'Infinium gave none'}.`);
    return;
  }
  const gist = evaluationGist(state.evaluation);
  const head = [gist.score === undefined ? undefined : `score ${gist.score}`, gist.verdict]
    .filter((part) => part !== undefined)
    .map(inertLine);
  ctx.out.line(`  Evaluation: ${ctx.out.green('ready')}${head.length ? ` · ${head.join(' · ')}` : ''}`);
  if (gist.summary) {
    const summary = full ? gist.summary : cutLong(gist.summary, SUMMARY_MAX);
    ctx.out.line(`  ${summary.replace(/\n/g, '\n  ')}`);
  }
  if (full || (!gist.score && !gist.verdict && !gist.summary)) {
    for (const line of JSON.stringify(state.evaluation, null, 2).split('\n')) ctx.out.line(`  ${line}`);
  } else {
    ctx.out.line(ctx.out.dim('  (--full prints the whole evaluation)'));
  }
}
