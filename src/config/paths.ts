// Where our own state lives. One root (INFINIUM_CODEX_HOME, default ~/.infinium-codex), created 0700:
// it holds the spool of raw hook payloads, which are the only unredacted data we ever write.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export type Env = Record<string, string | undefined>;

export function stateRoot(env: Env = process.env): string {
  const explicit = env.INFINIUM_CODEX_HOME;
  if (explicit) return explicit;
  return join(env.HOME || env.USERPROFILE || homedir(), '.infinium-codex');
}

/** INFINIUM_CODEX_DISABLED: any value but empty, 0, false or no (any case). hook.sh makes the same test. */
export function tracingDisabled(env: Env): boolean {
  const value = (env.INFINIUM_CODEX_DISABLED ?? '').toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

export interface StatePaths {
  root: string;
  /** User-level defaults: default agent, capture mode (config.json). */
  userConfig: string;
  /** Paused projects (paused.json). */
  paused: string;
  /** Fallback credential file (0600) when no OS keyring works. */
  credentials: string;
  spool: string;
  outbox: string;
  dead: string;
  history: string;
  logs: string;
}

export function statePaths(env: Env = process.env): StatePaths {
  const root = stateRoot(env);
  return {
    root,
    userConfig: join(root, 'config.json'),
    paused: join(root, 'paused.json'),
    credentials: join(root, 'credentials.json'),
    spool: join(root, 'spool'),
    outbox: join(root, 'outbox'),
    dead: join(root, 'dead'),
    history: join(root, 'history'),
    logs: join(root, 'logs'),
  };
}

/** Codex's home, as Codex itself resolves it. */
export function codexHome(env: Env = process.env): string {
  return env.CODEX_HOME || join(env.HOME || env.USERPROFILE || homedir(), '.codex');
}

export interface SystemPaths {
  root: string;
  /** Machine-wide defaults written by `init --system` (lowest precedence). */
  config: string;
  /** A root-owned secret for every user of the machine (`init --system` with a secret). */
  credentials: string;
}

/** Machine-wide settings for fleet installs; INFINIUM_CODEX_SYSTEM_DIR points elsewhere (packaging, tests). */
export function systemPaths(env: Env = process.env): SystemPaths {
  const root =
    env.INFINIUM_CODEX_SYSTEM_DIR ||
    (process.platform === 'win32'
      ? join(env.ProgramData || 'C:\\ProgramData', 'infinium-codex')
      : '/etc/infinium-codex');
  return { root, config: join(root, 'config.json'), credentials: join(root, 'credentials.json') };
}

/**
 * Why the state root cannot be used, in one sentence, or null. A relative INFINIUM_CODEX_HOME would be
 * resolved against each process's own folder: for hooks and workers that is the Codex session's project,
 * where raw payloads would land among the user's files (and in `git add -A`).
 */
export function stateRootProblem(env: Env = process.env): string | null {
  const explicit = env.INFINIUM_CODEX_HOME;
  if (!explicit || isAbsolute(explicit)) return null;
  return `INFINIUM_CODEX_HOME must be an absolute path, not "${explicit}": set it to a full path, or unset it to use ~/.infinium-codex.`;
}
