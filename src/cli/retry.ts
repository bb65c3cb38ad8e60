// `infinium-codex retry`: send what is in the outbox now (whatever its backoff says); `--dead` first puts
// back the traces that were given up on, e.g. after the credentials were fixed.
import { listDead, requeueDead } from '../spool';
import { deliverOutbox } from '../worker/deliver';
import type { CliContext } from './context';
import { ExitCode, UserError } from './errors';

export interface RetryOptions {
  dead?: boolean;
  json?: boolean;
}

export async function retry(options: RetryOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const requeued = options.dead ? requeueDead(env) : 0;
  const result = await deliverOutbox(env, { force: true });
  if (result.busy) {
    throw new UserError('A worker is sending right now; try again in a minute.');
  }
  const stillDead = listDead(env).length;
  if (options.json) out.json({ requeued, ...result, deadNow: stillDead });
  else {
    if (options.dead) out.line(`Re-queued ${requeued} dead trace(s).`);
    out.line(
      `Sent ${result.sent}; ${result.retrying} will be retried later; ${result.dead} could not be sent${result.noSecret ? `; ${result.noSecret} wait for a secret` : ''}.`,
    );
    if (result.dead > 0 || stillDead > 0)
      out.line('`infinium-codex history` shows why a trace could not be sent.');
  }
  if (result.retrying > 0 || result.dead > 0 || result.noSecret > 0) throw new ExitCode(1);
}
