// `infinium-codex retry`: send what is in the outbox now (whatever its backoff says); `--dead` first puts
// back the traces that were given up on, e.g. after the credentials were fixed. Queued traces go to the
// agent and base URL now configured for their project, so fixing a wrong agent id or URL rescues them.

import { listDead } from '../spool';
import type { Retargeted } from '../spool/outbox';
import { deliverOutbox } from '../worker/deliver';
import type { CliContext } from './context';
import { ExitCode, UserError } from './errors';

export interface RetryOptions {
  dead?: boolean;
  json?: boolean;
}

export async function retry(options: RetryOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const result = await deliverOutbox(env, { force: true, dead: options.dead });
  if (result.busy) {
    throw new UserError('A worker is sending right now; try again in a minute.');
  }
  const stillDead = listDead(env).length;
  const { retargeted, ...counts } = result;
  if (options.json) {
    out.json({
      ...counts,
      retargeted: retargeted.reduce((n, move) => n + move.count, 0),
      deadNow: stillDead,
    });
  } else {
    if (options.dead) out.line(`Re-queued ${result.requeued} dead trace(s).`);
    for (const move of retargeted) out.line(`Re-targeted ${retargetedTraces(move)}.`);
    out.line(
      `Sent ${result.sent}; ${result.retrying} will be retried later; ${result.dead} could not be sent${result.noSecret ? `; ${result.noSecret} wait for a secret` : ''}.`,
    );
    if (result.dead > 0 || stillDead > 0)
      out.line('`infinium-codex history` shows why a trace could not be sent.');
  }
  if (result.retrying > 0 || result.dead > 0 || result.noSecret > 0) throw new ExitCode(1);
}

/** Traces moved from one agent/base URL to the one now configured for their project, for a sentence. */
export function retargetedTraces(move: Retargeted): string {
  const agentChanged = move.from.agentId !== move.to.agentId;
  const urlChanged = move.from.baseUrl !== move.to.baseUrl;
  const side = (target: Retargeted['from']) =>
    [agentChanged ? `agent ${target.agentId}` : '', urlChanged ? target.baseUrl : '']
      .filter(Boolean)
      .join(' at ');
  return `${move.count} trace(s) from ${side(move.from)} to ${side(move.to)}, as now configured for their project`;
}
