// Which agent secret goes with a session's traces (sending them, reading their evaluations back). A worker
// runs in the environment of whichever session started it: its INFINIUM_AGENT_SECRET is that session's
// only (src/spool/session-env.ts), so it is never used for another session's traces.
import { loadSecret } from '../config/credentials';
import { type Env, withoutAgentSecret } from '../config/paths';
import type { SpoolPaths } from '../spool/layout';
import type { OutboxEntry } from '../spool/outbox';
import { readSessionSecret } from '../spool/session-secrets';
import { timed } from './timing';

/** What decides a trace's secret. */
type SecretSource = Pick<OutboxEntry, 'agentId' | 'baseUrl' | 'sessionId' | 'secret'>;

/**
 * `session`: the secret the session was started with (kept by its own worker), or null while none was kept;
 * `stored`: the keyring or a credentials file, skipping the environment; absent (entries queued by older
 * versions): looked up as before, the environment first. Null when there is none.
 */
async function traceSecret(paths: SpoolPaths, env: Env, trace: SecretSource): Promise<string | null> {
  if (trace.secret === 'session') return readSessionSecret(paths, trace.sessionId);
  const lookupEnv = trace.secret === 'stored' ? withoutAgentSecret(env) : env;
  return (
    (await timed('keyring', () => loadSecret(trace.agentId, trace.baseUrl, { env: lookupEnv })))?.secret ??
    null
  );
}

/**
 * traceSecret for the traces of one pass (sending them, reading their evaluations back): each source, a
 * session's own secret or the stored one of an agent at a base URL, is looked up once (one keyring call).
 */
export function secretLookup(paths: SpoolPaths, env: Env): (trace: SecretSource) => Promise<string | null> {
  const found = new Map<string, string | null>();
  return async (trace) => {
    const source =
      trace.secret === 'session'
        ? `session ${trace.sessionId}`
        : `${trace.secret} ${trace.agentId} ${trace.baseUrl}`;
    if (!found.has(source)) found.set(source, await traceSecret(paths, env, trace));
    return found.get(source) ?? null;
  };
}
