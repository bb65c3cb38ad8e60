// The part of a Codex session's environment that decides how its turns are traced. One worker builds every
// session's turns, so it cannot take these from its own environment (that of whichever session started it):
// the hook records them with each event, and the worker resolves each turn's settings from its own record.
//
// The record is a trailer after the raw payload, written by the same process before the entry is published:
//   <payload bytes> \0 env1 \0 NAME=value \0 NAME=value ...
// written only when one of the names below is set (non-empty), so the usual entry is the payload alone, and an
// entry without a trailer means none was. Values hold no NUL (the environment cannot), so the last marker
// starts the trailer. The agent secret is never written: only `INFINIUM_AGENT_SECRET=set`. The worker a turn-ending hook
// starts in such a session keeps that session's secret in the state dir (session-secrets.ts).
// hook.sh writes the same bytes with one printf (keep the names and their order in step with it).
import { type Env, SECRET_VAR } from '../config/paths';

export { SECRET_VAR };

/** The variables recorded, in the trailer's order; the secret last, by presence only. */
export const RECORDED_ENV = [
  'INFINIUM_CODEX_DISABLED',
  'INFINIUM_AGENT_ID',
  'INFINIUM_BASE_URL',
  'INFINIUM_CODEX_GRANULARITY',
  'INFINIUM_CODEX_CONTENT_MODE',
  'INFINIUM_CODEX_RUN_ID',
  'INFINIUM_CODEX_RUN_LABEL',
  SECRET_VAR,
] as const;

const TRAILER_MARKER = Buffer.from('\0env1\0');

/** The recorded variables (non-empty ones only); the secret's value is `set`. */
export type RecordedEnv = Partial<Record<(typeof RECORDED_ENV)[number], string>>;

/** The trailer the hook appends for this environment, or null when none of the variables is set. */
export function envTrailer(env: Env): Buffer | null {
  if (!RECORDED_ENV.some((name) => env[name])) return null;
  const values = RECORDED_ENV.map((name) => {
    const value = env[name] ?? '';
    return `${name}=${name === SECRET_VAR && value ? 'set' : value}`;
  });
  return Buffer.concat([TRAILER_MARKER, Buffer.from(values.join('\0'))]);
}

/** Splits a spool entry into the raw payload and the recorded environment (null: the entry has no trailer). */
export function splitSpoolEntry(bytes: Buffer): { payload: Buffer; env: RecordedEnv | null } {
  // The last marker: values hold no NUL, so a trailer's own marker is the last one in the entry.
  const at = bytes.lastIndexOf(TRAILER_MARKER);
  if (at < 0) return { payload: bytes, env: null };
  const records = bytes
    .subarray(at + TRAILER_MARKER.length)
    .toString('utf8')
    .split('\0');
  // Exactly our names, in order; anything else is part of a payload (not JSON, so it is set aside as corrupt).
  if (
    records.length !== RECORDED_ENV.length ||
    records.some((r, i) => !r.startsWith(`${RECORDED_ENV[i]}=`))
  ) {
    return { payload: bytes, env: null };
  }
  const env: RecordedEnv = {};
  RECORDED_ENV.forEach((name, i) => {
    const value = (records[i] as string).slice(name.length + 1);
    if (value) env[name] = value;
  });
  return { payload: bytes.subarray(0, at), env };
}

/**
 * The environment a turn's settings are resolved in: the worker's own, with every recorded variable
 * replaced by what the turn's session had (unset when it had none), so no other session's choice applies.
 */
export function sessionEnv(workerEnv: Env, recorded: RecordedEnv | null | undefined): Env {
  const env: Env = { ...workerEnv };
  for (const name of RECORDED_ENV) delete env[name];
  for (const name of RECORDED_ENV) if (name !== SECRET_VAR && recorded?.[name]) env[name] = recorded[name];
  return env;
}

/** A session's recorded settings without the secret's presence: what an outbox entry keeps of them. */
export function ownChoices(recorded: Env | RecordedEnv | null | undefined): RecordedEnv | undefined {
  const choices: RecordedEnv = {};
  for (const name of RECORDED_ENV)
    if (name !== SECRET_VAR && recorded?.[name]) choices[name] = recorded[name];
  return Object.keys(choices).length > 0 ? choices : undefined;
}
