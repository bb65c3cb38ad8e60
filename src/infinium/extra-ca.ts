// NODE_EXTRA_CA_CERTS for the worker, without its cost at every start. Node reads and parses that file when
// it starts, before any of our code runs: about 40 ms of CPU for a distribution's whole bundle, more than a
// worker's tracing work, in every worker process, although a worker needs the certificates only for an
// HTTPS request. So whoever starts the worker (the hook front-ends, and the CLI) hands the file over under
// HANDED_CA instead, and the worker adds it to exactly what Node would have trusted (its bundled roots plus
// the file's) in its HTTPS requests (./http.ts, and ./client.ts through a proxy). No imports: the Node hook
// front-end uses it, and must load within a few ms.

/** The variable the worker finds NODE_EXTRA_CA_CERTS's file under (./http.ts reads it; native/hook.c and hook.sh set it too). */
export const HANDED_CA = 'INFINIUM_CODEX_EXTRA_CA_CERTS';

type Env = Record<string, string | undefined>;

/**
 * The environment to start the worker with: NODE_EXTRA_CA_CERTS handed over, unless NODE_OPTIONS is set (it
 * may choose another store, such as --use-openssl-ca, that a request's own CA list would replace).
 */
export function workerStartEnv(env: Env): Env {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file || env.NODE_OPTIONS) return env;
  return { ...env, NODE_EXTRA_CA_CERTS: undefined, [HANDED_CA]: file };
}
