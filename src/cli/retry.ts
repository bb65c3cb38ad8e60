// `infinium-codex retry`: build every turn that is over (an interrupted turn on a Codex without the
// Interrupt hook need not wait for the next prompt), then send what is in the outbox now (whatever its
// backoff says); `--dead` first puts back the traces that were given up on, e.g. after the credentials were
// fixed. Queued traces go to the agent and base URL now configured for them (in their folder, with their
// session's own settings), so fixing a wrong agent id or URL in a file rescues them; see recoverQueued.
import { listDead, readHistory } from '../spool';
import type { Retargeted } from '../spool/outbox';
import { composeSessionTrace, composeTurnTrace } from '../worker/compose';
import { deliverOutbox, recoverOutbox } from '../worker/deliver';
import { parentSession, rolloutTurnStatus } from '../worker/rollout-status';
import { runWorker } from '../worker/run';
import type { CliContext } from './context';
import { ExitCode, UserError } from './errors';
import { count } from './output';
import { withProgress } from './progress';

export interface RetryOptions {
  dead?: boolean;
  json?: boolean;
}

export async function retry(options: RetryOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const busy = () => new UserError('A worker is sending right now; try again in a minute.');
  const startedAtMs = Date.now();
  // First the dead back (with --dead) and every queued trace pointed at what its project now names, so the
  // pass below already sends to the corrected agent and URL.
  const recovery = await recoverOutbox(env, { dead: options.dead });
  if (!recovery) throw busy();
  // One worker pass (it sends what is due), without waiting for turns the rollout has not confirmed yet:
  // the detached worker does that. A busy worker is left a rerun request instead.
  const { passes, result } = await withProgress(
    { stream: ctx.progress, enabled: !options.json },
    'Sending',
    async () => ({
      passes: await runWorker(env, {
        composer: { composeTurnTrace, composeSessionTrace, rolloutTurnStatus, parentSession },
        waitForRollout: false,
      }),
      result: await deliverOutbox(env, { force: true }),
    }),
  );
  if (result.busy) throw busy();
  // What the pass sent or gave up on has left the outbox; what it will retry is still there, counted once.
  for (const pass of passes) {
    result.sent += pass.sent;
    result.dead += pass.dead;
  }
  const stillDead = listDead(env).length;
  // A worker at work when `retry` started (a turn that just ended) holds the lock until its send is over:
  // what it sent while `retry` waited is no longer in the outbox, and is said, not hidden.
  const sentMeanwhile = Math.max(0, sentSince(env, startedAtMs) - result.sent);
  if (options.json) {
    const { busy: _busy, ...counts } = result;
    out.json({
      requeued: recovery.requeued,
      ...counts,
      busy: false,
      retargeted: moved(recovery.retargeted, false),
      notRetargeted: moved(recovery.retargeted, true),
      deadNow: stillDead,
      sentMeanwhile,
    });
  } else {
    if (options.dead) out.line(`Re-queued ${count(recovery.requeued, 'dead trace')}.`);
    for (const move of recovery.retargeted) out.line(`${retargetedTraces(move)}.`);
    const attempted = result.sent + result.retrying + result.dead + result.noSecret;
    if (sentMeanwhile > 0) out.line(`Waited for a send in progress: ${sentMeanwhile} sent.`);
    out.line(
      attempted === 0
        ? `Nothing${sentMeanwhile > 0 ? ' else' : ''} in the outbox.`
        : `Sent ${result.sent}; ${result.retrying} will be retried later; ${result.dead} could not be sent${result.noSecret ? `; ${result.noSecret} wait for a secret` : ''}.`,
    );
    if (result.dead > 0 || stillDead > 0)
      out.line('`infinium-codex history` shows why a trace could not be sent.');
    if (result.kept > 0)
      out.line(
        `${count(result.kept, 'turn')} traced with no account (\`init --local\`) stay local: set up an agent with \`infinium-codex init\`, then retry.`,
      );
  }
  if (result.retrying > 0 || result.dead > 0 || result.noSecret > 0) throw new ExitCode(1);
}

/** Traces the history records as sent at or after `sinceMs`, by any worker. */
function sentSince(env: CliContext['env'], sinceMs: number): number {
  let sent = 0;
  for (const record of readHistory(env, { limit: 1_000 })) {
    if (Date.parse(record.time) < sinceMs) break;
    if (record.status === 'sent') sent += 1;
  }
  return sent;
}

/** How many traces were moved (or, with `refused`, left where they were). */
function moved(moves: readonly Retargeted[], refused: boolean): number {
  return moves
    .filter((move) => (move.refused !== undefined) === refused)
    .reduce((n, move) => n + move.count, 0);
}

/** Traces moved from one agent/base URL to the one now configured for them, or left, as a sentence. */
export function retargetedTraces(move: Retargeted): string {
  const agentChanged = move.from.agentId !== move.to.agentId;
  const urlChanged = move.from.baseUrl !== move.to.baseUrl;
  const side = (target: Retargeted['from']) =>
    [agentChanged ? `agent ${target.agentId}` : '', urlChanged ? target.baseUrl : '']
      .filter(Boolean)
      .join(' at ');
  return move.refused === undefined
    ? `Re-targeted ${count(move.count, 'trace')} from ${side(move.from)} to ${side(move.to)}, as now configured for their project`
    : `Kept ${count(move.count, 'trace')} for ${side(move.from)}, not ${side(move.to)} as now configured: ${move.refused}`;
}
