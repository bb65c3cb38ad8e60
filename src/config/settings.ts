// Which agent a Codex session reports to, and how. Precedence: environment > project
// (<project>/.infinium/config.json, found by walking up from the session's cwd, as git finds .git) >
// user defaults ($INFINIUM_CODEX_HOME/config.json) > machine defaults (/etc/infinium-codex/config.json, written
// by `init --system`). A session with no agent anywhere is not traced.
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_BASE_URL } from '../infinium/client';
import { redactPatternProblem } from '../trace/redact';
import { type Env, statePaths, systemPaths, tracingDisabled } from './paths';

export type Granularity = 'turn' | 'session';
export type ContentMode = 'full' | 'redacted' | 'metadata';
export type CaptureMode = 'lean' | 'full';

export const GRANULARITIES: readonly Granularity[] = ['turn', 'session'];
export const CONTENT_MODES: readonly ContentMode[] = ['full', 'redacted', 'metadata'];
export const CAPTURE_MODES: readonly CaptureMode[] = ['lean', 'full'];
/** The front-end our POSIX hook commands run: the native program (src/codex/native-hook.ts) or hook.sh. */
export type FrontEnd = 'native' | 'sh';
export const FRONT_ENDS: readonly FrontEnd[] = ['native', 'sh'];

/** What a config.json may hold (project or user level). Every key is optional. */
export interface Settings {
  agentId?: string;
  baseUrl?: string;
  granularity?: Granularity;
  contentMode?: ContentMode;
  /** Plain http:// to a host other than this machine is accepted (the agent secret travels unencrypted). */
  allowInsecureHttp?: boolean;
  /** Extra regular expressions whose matches are redacted, on top of the built-in set. */
  redactPatterns?: string[];
  /** Shown in traces instead of the project folder's name. */
  projectName?: string;
  /** User level only: which hook set `init` installed. */
  capture?: CaptureMode;
  /** User level only: the hook front-end asked for with `init --front-end` (absent: native when available). */
  frontEnd?: FrontEnd;
  /**
   * User level only (`init --local`): where no agent is configured, turns are still traced, into local
   * history only; nothing is sent until an agent is set up and `retry` sends them.
   */
  localOnly?: boolean;
}

/**
 * The agent a local-only turn is queued for: never sent (the deliverer keeps such traces in history), and
 * never a real agent id, which has no parentheses. `retry` points it at the agent configured later.
 */
export const LOCAL_AGENT = '(local)';

export function isLocalOnly(config: Pick<ResolvedConfig, 'agentId'>): boolean {
  return config.agentId === LOCAL_AGENT;
}

export interface ResolvedConfig {
  agentId: string;
  baseUrl: string;
  granularity: Granularity;
  contentMode: ContentMode;
  redactPatterns: string[];
  /** The folder holding `.infinium/`, or null when the agent comes from the environment or user defaults. */
  projectRoot: string | null;
  projectName: string;
  /** Where the agent id came from. */
  source: 'env' | 'project' | 'user' | 'system';
  /**
   * INFINIUM_CODEX_RUN_ID / INFINIUM_CODEX_RUN_LABEL of the session: one experiment (a CI job, a benchmark
   * harness) that spans many Codex sessions, carried into each trace's environment (at most 200 characters).
   */
  runId?: string;
  runLabel?: string;
}

export const PROJECT_CONFIG_DIR = '.infinium';
export const PROJECT_CONFIG_FILE = 'config.json';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The nearest `<dir>/.infinium/config.json` at or above `cwd`, or null. */
export function findProjectConfig(cwd: string): string | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_CONFIG_DIR, PROJECT_CONFIG_FILE);
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // not here; keep walking up
    }
    if (dirname(dir) === dir) return null;
  }
}

/** A config.json's JSON object; a missing file is an empty one. Throws ConfigError naming the file. */
export function readConfigObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON. Fix it or run \`infinium-codex init\` again.`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${file} must hold a JSON object.`);
  }
  return json as Record<string, unknown>;
}

/** Reads and checks a config.json; a missing file is an empty one. Throws ConfigError naming the file. */
export function readSettings(file: string): Settings {
  return checkSettings(readConfigObject(file), file);
}

export function checkSettings(json: unknown, where: string): Settings {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${where} must hold a JSON object.`);
  }
  const raw = json as Record<string, unknown>;
  const settings: Settings = {};
  const text = (key: keyof Settings): string | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ConfigError(`${where}: "${key}" must be a non-empty string.`);
    }
    return value.trim();
  };
  settings.agentId = text('agentId');
  settings.baseUrl = text('baseUrl');
  settings.projectName = text('projectName');
  settings.granularity = oneOf(text('granularity'), GRANULARITIES, 'granularity', where);
  settings.contentMode = oneOf(text('contentMode'), CONTENT_MODES, 'contentMode', where);
  settings.capture = oneOf(text('capture'), CAPTURE_MODES, 'capture', where);
  settings.frontEnd = oneOf(text('frontEnd'), FRONT_ENDS, 'frontEnd', where);
  if (raw.allowInsecureHttp !== undefined) {
    if (typeof raw.allowInsecureHttp !== 'boolean') {
      throw new ConfigError(`${where}: "allowInsecureHttp" must be true or false.`);
    }
    settings.allowInsecureHttp = raw.allowInsecureHttp;
  }
  if (raw.localOnly !== undefined) {
    if (typeof raw.localOnly !== 'boolean')
      throw new ConfigError(`${where}: "localOnly" must be true or false.`);
    settings.localOnly = raw.localOnly;
  }
  if (settings.baseUrl !== undefined)
    checkBaseUrl(settings.baseUrl, where, settings.allowInsecureHttp === true);
  if (raw.redactPatterns !== undefined) {
    if (!Array.isArray(raw.redactPatterns) || raw.redactPatterns.some((p) => typeof p !== 'string')) {
      throw new ConfigError(`${where}: "redactPatterns" must be a list of regular expressions (strings).`);
    }
    for (const pattern of raw.redactPatterns as string[]) {
      const problem = redactPatternProblem(pattern);
      if (problem !== null) {
        throw new ConfigError(`${where}: redactPatterns entry ${JSON.stringify(pattern)} ${problem}.`);
      }
    }
    settings.redactPatterns = raw.redactPatterns as string[];
  }
  for (const key of Object.keys(settings) as (keyof Settings)[]) {
    if (settings[key] === undefined) delete settings[key];
  }
  return settings;
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  key: string,
  where: string,
) {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${where}: "${key}" must be one of ${allowed.join(', ')} (got "${value}").`);
  }
  return value as T;
}

/** The opt-in for plain http:// to a host other than this machine (the agent secret would go unencrypted). */
export const INSECURE_HTTP_VAR = 'INFINIUM_CODEX_ALLOW_INSECURE_HTTP';

export function insecureHttpAllowed(env: Env): boolean {
  const value = (env[INSECURE_HTTP_VAR] ?? '').toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

/** `localhost`, 127.0.0.0/8 or ::1: plain http:// there never leaves the machine. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/**
 * Refuses, in one sentence, a base URL that is not http(s), holds a user:password part (never echoed: it
 * is a credential), a query or a fragment (paths are appended to it), or is plain http:// to another
 * machine without the user's explicit opt-in (`allowInsecureHttp` or INFINIUM_CODEX_ALLOW_INSECURE_HTTP).
 */
export function checkBaseUrl(value: string, where: string, allowInsecureHttp = false): void {
  const shown = value.replace(/\/\/[^/?#\s]*@/, '//');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where}: base URL "${shown}" is not a URL; use e.g. ${DEFAULT_BASE_URL}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      `${where}: the base URL must not hold a user name or password (the agent secret is sent in a header); remove the part before "@".`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${where}: base URL must start with https:// (got "${shown}").`);
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    throw new ConfigError(
      `${where}: the base URL must not have a query (?...) or fragment (#...), since API paths are appended to it; use e.g. ${DEFAULT_BASE_URL}.`,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !allowInsecureHttp) {
    throw new ConfigError(
      `${where}: plain http:// would send the agent secret unencrypted to ${url.host}; use https://, or opt in with "allowInsecureHttp": true in the config file (or ${INSECURE_HTTP_VAR}=1).`,
    );
  }
}

/** Reads the environment's overrides, checked like a config file. */
export function envSettings(env: Env): Settings {
  return checkSettings(
    {
      agentId: env.INFINIUM_AGENT_ID || undefined,
      baseUrl: env.INFINIUM_BASE_URL || undefined,
      granularity: env.INFINIUM_CODEX_GRANULARITY || undefined,
      contentMode: env.INFINIUM_CODEX_CONTENT_MODE || undefined,
      allowInsecureHttp: insecureHttpAllowed(env) || undefined,
    },
    'environment',
  );
}

/** The front-end `init` was asked for (user settings); `native` (when available) unless told otherwise. */
export function configuredFrontEnd(env: Env): FrontEnd {
  return readSettings(statePaths(env).userConfig).frontEnd ?? 'native';
}

/** The capture mode: the user's choice (`init`), else the machine's (`init --system`), else lean. */
export function configuredCapture(env: Env): CaptureMode {
  return (
    readSettings(statePaths(env).userConfig).capture ??
    readSettings(systemPaths(env).config).capture ??
    'lean'
  );
}

/** The configuration for a session started in `cwd`, or null when nothing names an agent for it. */
export function resolveConfig(cwd: string, env: Env = process.env): ResolvedConfig | null {
  if (tracingDisabled(env)) return null;
  const fromEnv = envSettings(env);
  const projectFile = findProjectConfig(cwd);
  const project = projectFile ? readSettings(projectFile) : {};
  const user = readSettings(statePaths(env).userConfig);
  const system = readSettings(systemPaths(env).config);
  const merged: Settings = { ...system, ...user, ...project, ...fromEnv };
  // No agent anywhere: traced into local history when the user chose that (`init --local`), else not at all.
  if (!merged.agentId && user.localOnly === true) merged.agentId = LOCAL_AGENT;
  if (!merged.agentId) return null;
  const projectRoot = projectFile ? dirname(dirname(projectFile)) : null;
  return {
    agentId: merged.agentId,
    baseUrl: (merged.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
    granularity: merged.granularity ?? 'turn',
    contentMode: merged.contentMode ?? 'redacted',
    redactPatterns: [
      ...(system.redactPatterns ?? []),
      ...(user.redactPatterns ?? []),
      ...(project.redactPatterns ?? []),
    ],
    projectRoot,
    projectName: merged.projectName ?? basename(projectRoot ?? resolve(cwd)),
    source: fromEnv.agentId
      ? 'env'
      : project.agentId
        ? 'project'
        : user.agentId || user.localOnly
          ? 'user'
          : 'system',
    ...runFacts(env),
  };
}

/** The session's run id and label (issue "Close the loop": runs that span many sessions), cut to 200 characters. */
function runFacts(env: Env): Pick<ResolvedConfig, 'runId' | 'runLabel'> {
  const cut = (value: string | undefined) => value?.trim().slice(0, 200) || undefined;
  const runId = cut(env.INFINIUM_CODEX_RUN_ID);
  const runLabel = cut(env.INFINIUM_CODEX_RUN_LABEL);
  return { ...(runId ? { runId } : {}), ...(runLabel ? { runLabel } : {}) };
}
