// Which agent a Codex session reports to, and how. Precedence: environment > project
// (<project>/.infinium/config.json, found by walking up from the session's cwd, as git finds .git) >
// user defaults ($INFINIUM_CODEX_HOME/config.json) > machine defaults (/etc/infinium-codex/config.json, written
// by `init --system`). A session with no agent anywhere is not traced.
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_BASE_URL, trimBaseUrl } from '../infinium/client';
import { isLoopbackHost } from '../infinium/http';
import { cannotRead, readTextIfThere } from './atomic-file';
import { ALLOW_COMMAND, decisionFor } from './consent';
import { changeableByOthers, pathTrustProblem } from './file-trust';
import {
  type Env,
  insideFolder,
  statePaths,
  systemFilesProblem,
  systemPaths,
  tracingDisabled,
} from './paths';
import { redactPatternProblem } from './redact-pattern';

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
  /** The file (or `environment`, `default`) each effective setting came from, for `status`. */
  sources?: SettingSources;
  /** What of the project file was set aside and why (`status` and `doctor` say it). */
  projectNotes?: { file: string; notes: string[] } | null;
  /**
   * The base URL is a project file's choice, another than the user's own settings would give: a secret from
   * the environment, bound to no origin, is not sent there (loadConfigSecret), only one stored for it.
   */
  projectBaseUrl?: true;
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

/**
 * The nearest `<dir>/.infinium/config.json` at or above `cwd`, or null. The walk stops at the root of the
 * git repository `cwd` is in, or at the home folder (as git stops at a ceiling): a file above either was put
 * there by someone else or for something else.
 */
export function findProjectConfig(cwd: string, env: Env = process.env): string | null {
  const home = env.HOME ? resolve(env.HOME) : null;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_CONFIG_DIR, PROJECT_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dir === home || existsSync(join(dir, '.git')) || dirname(dir) === dir) return null;
  }
}

/** A config.json's JSON object; a missing file is an empty one. Throws ConfigError naming the file. */
export function readConfigObject(file: string): Record<string, unknown> {
  const text = readTextIfThere(file, ConfigError);
  return text === null ? {} : parseConfigObject(text, file);
}

function parseConfigObject(text: string, file: string): Record<string, unknown> {
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

/** A project file read once: consent hashes exactly the bytes whose settings apply. */
export interface ProjectFileRead {
  /** Where it was found, in the project: what consent is keyed by. */
  file: string;
  /** The file the bytes came from (another one only through a link inside the project). */
  realFile: string;
  bytes: Buffer;
  settings: Settings;
}

/**
 * Reads the project file found at `file` once, or says why it is not used: it or its folder may be changed
 * by another user, or it is a link leaving the project (a clone's links are the repository author's, as git
 * treats them: another project's allowed file must not speak for this one). The owner and mode are those of
 * the file actually read (its descriptor), so a link swapped meanwhile cannot pass another file's checks.
 * Null when it is gone; throws ConfigError when it does not parse.
 */
export function readProjectFile(file: string): ProjectFileRead | { file: string; problem: string } | null {
  let realFile: string;
  let realRoot: string;
  try {
    realFile = realpathSync(file);
    realRoot = realpathSync(dirname(dirname(file)));
  } catch {
    return null;
  }
  if (!insideFolder(realRoot, realFile)) {
    return { file, problem: `it is a link to ${realFile}, outside the project` };
  }
  // The folder by its path; the file itself by what is opened, below.
  const folderProblem = pathTrustProblem(dirname(realFile));
  if (folderProblem) return { file, problem: folderProblem };
  let fd: number;
  try {
    fd = openSync(realFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      return { file, problem: 'it was replaced by a link while it was read' };
    throw new ConfigError(cannotRead(file, error));
  }
  let bytes: Buffer;
  try {
    const problem = process.getuid === undefined ? null : changeableByOthers(fstatSync(fd), realFile);
    if (problem) return { file, problem };
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  const settings = checkSettings(parseConfigObject(bytes.toString('utf8'), file), file);
  return { file, realFile, bytes, settings };
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
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
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

/** The variables of a session's own settings, and the words `status` uses for them. */
const SESSION_CHOICES = [
  ['INFINIUM_CODEX_CONTENT_MODE', CONTENT_MODES, 'metadata', 'content mode'],
  ['INFINIUM_CODEX_GRANULARITY', GRANULARITIES, 'turn', 'granularity'],
] as const;

/**
 * A session's recorded settings as the worker can use them (issue 21 kind 5: a typo must not leave its turns
 * in the spool for good, as the recorded value can never be fixed). A content mode or granularity that is
 * not one of ours is read as the same word in another case, else as the most private choice (metadata; per
 * turn); a base URL or agent id that cannot be used sets the session's turns aside (`refused`): sending
 * them anywhere else would not be the session's choice. `notes` say what was done, for the log and `status`.
 */
function sessionReading(env: Env): { env: Env; notes: string[]; refused: string | null } {
  const read: Env = { ...env };
  const notes: string[] = [];
  for (const [name, allowed, mostPrivate, words] of SESSION_CHOICES) {
    const value = env[name];
    if (!value || (allowed as readonly string[]).includes(value)) continue;
    const near = (allowed as readonly string[]).find((choice) => choice === value.trim().toLowerCase());
    read[name] = near ?? mostPrivate;
    notes.push(`${name}="${value}" is not a ${words} (${allowed.join(', ')}): read as ${read[name]}`);
  }
  try {
    envSettings(read);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { env: read, notes, refused: `${error.message} Its turns were set aside, not sent.` };
  }
  return { env: read, notes, refused: null };
}

/**
 * The agent for a session's turns in `cwd`, under `env`, the settings its hook recorded over the worker's
 * own (spool/session-env.ts), read as sessionReading says. `config` is null when the turn is not traced,
 * also when the session's settings cannot be used; `notes` say what was read otherwise or why it was set
 * aside. A broken config file, or a project file awaiting consent, throws as in resolveConfig. Every
 * worker path that asks where a session's turn goes asks here: the trace, its start snapshot, a retarget.
 */
export function resolveSessionConfig(
  cwd: string,
  env: Env,
): { config: ResolvedConfig | null; notes: string[] } {
  const reading = sessionReading(env);
  if (reading.refused) return { config: null, notes: [...reading.notes, reading.refused] };
  return { config: resolveConfig(cwd, reading.env), notes: reading.notes };
}

/** The front-end `init` was asked for (user settings); `native` (when available) unless told otherwise. */
export function configuredFrontEnd(env: Env): FrontEnd {
  return readSettings(statePaths(env).userConfig).frontEnd ?? 'native';
}

/**
 * The capture mode: the user's choice (`init`), else the machine's (`init --system`), else lean.
 * `machineFilesProblem`: systemFilesProblem's answer, when the caller has it already.
 */
export function configuredCapture(env: Env, machineFilesProblem?: string | null): CaptureMode {
  return (
    readSettings(statePaths(env).userConfig).capture ??
    systemSettings(env, machineFilesProblem).capture ??
    'lean'
  );
}

/** A project file that waits for the user's consent: its settings would widen where data goes or how much. */
export class ConsentNeededError extends ConfigError {
  override name = 'ConsentNeededError';
  constructor(
    readonly file: string,
    readonly keys: string[],
  ) {
    super(
      `${file} sets ${keys.map((key) => `"${key}"`).join(', ')}, which you have not allowed on this machine; its turns are kept until you run \`${ALLOW_COMMAND}\` in ${dirname(dirname(file))} (or \`infinium-codex deny\` to trace them under your own settings).`,
    );
  }
}

/** One place settings come from, lowest precedence first. */
interface Layer {
  /** The file's path, or `environment`. */
  where: string;
  settings: Settings;
  /** A project file's: its base URL goes with its own agent only (the unit the user consented to). */
  ownAgentOnly?: true;
}

/** Where each effective setting came from: a file's path, `environment` or `default`. */
export type SettingSources = Record<'agentId' | 'baseUrl' | 'granularity' | 'contentMode', string>;

const SOURCED: readonly (keyof SettingSources)[] = ['agentId', 'baseUrl', 'granularity', 'contentMode'];
/** How much of a turn each content mode keeps, to compare them. */
export const CONTENT_OPENNESS: Record<ContentMode, number> = { metadata: 0, redacted: 1, full: 2 };

/**
 * Merges layers (lowest first). The destination is one unit: a base URL (and its insecure-http opt-in) from
 * a file never applies to an agent named in a file below it, so a file naming only `baseUrl` never sends
 * another file's agent elsewhere; a project file's applies to the agent it names and no other (not to one
 * set in the environment, whose secret is bound to no origin); the environment's (the user's own shell)
 * always applies. The user's and the machine's own files give theirs to the agents named above them.
 */
function mergeLayers(layers: Layer[]): { merged: Settings; sources: Partial<SettingSources> } {
  const merged: Settings = {};
  const sources: Partial<SettingSources> = {};
  const agentLayer = layers.findLastIndex((layer) => layer.settings.agentId !== undefined);
  layers.forEach((layer, index) => {
    const fromEnv = layer.where === 'environment';
    for (const [key, value] of Object.entries(layer.settings) as [keyof Settings, unknown][]) {
      if (value === undefined) continue;
      const destination = key === 'baseUrl' || key === 'allowInsecureHttp';
      if (destination && !fromEnv && (index > agentLayer || (layer.ownAgentOnly && index !== agentLayer)))
        continue;
      (merged as Record<string, unknown>)[key] = value;
      if (SOURCED.includes(key as keyof SettingSources)) sources[key as keyof SettingSources] = layer.where;
    }
  });
  return { merged, sources };
}

/** The settings of `merged` that go further than `base`: another agent or base URL, more text. */
function widenedKeys(base: Settings, merged: Settings): string[] {
  const keys: string[] = [];
  if (merged.agentId !== base.agentId) keys.push('agentId');
  if ((merged.baseUrl ?? DEFAULT_BASE_URL) !== (base.baseUrl ?? DEFAULT_BASE_URL)) keys.push('baseUrl');
  if (CONTENT_OPENNESS[merged.contentMode ?? 'redacted'] > CONTENT_OPENNESS[base.contentMode ?? 'redacted'])
    keys.push('contentMode');
  return keys;
}

/** What the project file at or above `cwd` contributes, and what of it was set aside (for `status`). */
export interface ProjectLayer {
  file: string;
  settings: Settings;
  /** Why the file or some of its keys do not apply, in words; empty when all of it applies. */
  notes: string[];
}

/**
 * The project file's settings that may apply: none from a file we must not trust (owner, permissions), no
 * destination from a file naming no agent of its own, nothing widening without the user's consent (throws
 * ConsentNeededError), nothing widening the user denied.
 */
function projectLayer(cwd: string, env: Env, below: Layer[], fromEnv: Settings): ProjectLayer | null {
  const found = findProjectConfig(cwd, env);
  const read = found === null ? null : readProjectFile(found);
  if (!read) return null;
  const { file } = read;
  if ('problem' in read) return { file, settings: {}, notes: [`ignored: ${read.problem}`] };
  const { settings } = read;
  const notes: string[] = [];
  // Named as found (consent is for that place), and where it was really read when that differs.
  if (read.realFile !== resolve(file)) notes.push(`read from ${read.realFile} (a link inside the project)`);
  if (settings.agentId === undefined && (settings.baseUrl !== undefined || settings.allowInsecureHttp)) {
    notes.push('"baseUrl" not applied: the file names no agent of its own');
    delete settings.baseUrl;
    delete settings.allowInsecureHttp;
  }
  const envLayer = { where: 'environment', settings: fromEnv };
  const base = mergeLayers([...below, envLayer]).merged;
  const merged = mergeLayers([...below, { where: file, settings, ownAgentOnly: true }, envLayer]).merged;
  const widened = widenedKeys(base, merged);
  if (widened.length === 0) return { file, settings, notes };
  const decision = decisionFor(file, read.bytes, env);
  if (decision === 'allow') return { file, settings, notes };
  if (decision !== 'deny') throw new ConsentNeededError(file, widened);
  for (const key of widened) delete settings[key as keyof Settings];
  if (widened.includes('baseUrl')) delete settings.allowInsecureHttp;
  notes.push(`${widened.map((key) => `"${key}"`).join(', ')} not applied: you denied this file`);
  return { file, settings, notes };
}

/**
 * The machine-wide defaults, none when the files are not root's (or ours) or others may write them
 * (systemFilesProblem: judged here unless the caller did).
 */
function systemSettings(env: Env, problem = systemFilesProblem(env)): Settings {
  return problem === null ? readSettings(systemPaths(env).config) : {};
}

/** The base URL the user's own layers (machine, user, environment) name, a project file's left out. */
const ownBaseUrl = (layers: Layer[]) =>
  trimBaseUrl(
    layers.findLast((layer) => !layer.ownAgentOnly && layer.settings.baseUrl !== undefined)?.settings
      .baseUrl ?? DEFAULT_BASE_URL,
  );

/**
 * The configuration for a session started in `cwd`, or null when nothing names an agent for it.
 * `machineFilesProblem`: systemFilesProblem's answer, when the caller has it already.
 */
export function resolveConfig(
  cwd: string,
  env: Env = process.env,
  machineFilesProblem?: string | null,
): ResolvedConfig | null {
  if (tracingDisabled(env)) return null;
  const fromEnv = envSettings(env);
  const system: Layer = {
    where: systemPaths(env).config,
    settings: systemSettings(env, machineFilesProblem),
  };
  const user: Layer = {
    where: statePaths(env).userConfig,
    settings: readSettings(statePaths(env).userConfig),
  };
  const project = projectLayer(cwd, env, [system, user], fromEnv);
  const layers = [system, user];
  if (project) layers.push({ where: project.file, settings: project.settings, ownAgentOnly: true });
  layers.push({ where: 'environment', settings: fromEnv });
  const { merged, sources } = mergeLayers(layers);
  // No agent anywhere: traced into local history when the user chose that (`init --local`), else not at all.
  if (!merged.agentId && user.settings.localOnly === true) {
    merged.agentId = LOCAL_AGENT;
    sources.agentId = user.where;
  }
  if (!merged.agentId) return null;
  const projectRoot = project ? dirname(dirname(project.file)) : null;
  const sourceOf = (key: keyof SettingSources) => sources[key] ?? 'default';
  const agentSource = sourceOf('agentId');
  const baseUrl = trimBaseUrl(merged.baseUrl ?? DEFAULT_BASE_URL);
  return {
    agentId: merged.agentId,
    baseUrl,
    granularity: merged.granularity ?? 'turn',
    contentMode: merged.contentMode ?? 'redacted',
    redactPatterns: layers.flatMap((layer) => layer.settings.redactPatterns ?? []),
    projectRoot,
    projectName: merged.projectName ?? basename(projectRoot ?? resolve(cwd)),
    source:
      agentSource === 'environment'
        ? 'env'
        : agentSource === project?.file
          ? 'project'
          : agentSource === user.where
            ? 'user'
            : 'system',
    sources: {
      agentId: agentSource,
      baseUrl: sourceOf('baseUrl'),
      granularity: sourceOf('granularity'),
      contentMode: sourceOf('contentMode'),
    },
    projectNotes: project && project.notes.length > 0 ? { file: project.file, notes: project.notes } : null,
    ...(project && sources.baseUrl === project.file && baseUrl !== ownBaseUrl(layers)
      ? { projectBaseUrl: true as const }
      : {}),
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
