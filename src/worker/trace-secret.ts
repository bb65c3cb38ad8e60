// Which agent secret goes with a session's traces (sending them, reading their evaluations back). A worker
// runs in the environment of whichever session started it: its INFINIUM_AGENT_SECRET is that session's
// only (src/spool/session-env.ts), so it is never used for another session's traces.
import { loadSecret } from '../config/credentials';
import type { Env } from '../config/paths';
import type { SpoolPaths } from '../spool/layout';
import type { OutboxEntry } from '../spool/outbox';
import { SECRET_VAR } from '../spool/session-env';
import { readSessionSecret } from '../spool/session-secrets';
import { timed } from './timing';

/**
 * `session`: the secret the session was started with (kept by its own worker), or null while none was kept;
 * `stored`: the keyring or a credentials file, skipping the environment; absent (entries queued by older
 * versions): looked up as before, the environment first. Null when there is none.
 */
export async function traceSecret(
  paths: SpoolPaths,
  env: Env,
  trace: { agentId: string; baseUrl: string; sessionId: string; secret?: OutboxEntry['secret'] },
): Promise<string | null> {
  if (trace.secret === 'session') return readSessionSecret(paths, trace.sessionId);
  const lookupEnv = trace.secret === 'stored' ? { ...env, [SECRET_VAR]: undefined } : env;
  return (
    (await timed('keyring', () => loadSecret(trace.agentId, trace.baseUrl, { env: lookupEnv })))?.secret ??
    null
  );
}
