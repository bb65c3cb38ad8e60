// The agent the current folder reports to, with its secret: what `test`, `status` and `doctor` start from.
import type { HookTarget } from '../codex/hooks-file';
import type { InstalledHook } from '../codex/install';
import { targetFor } from '../codex/native-hook';
import { type FoundSecret, loadConfigSecret, type SecretSource } from '../config/credentials';
import { type Env, statePaths, systemPaths } from '../config/paths';
import {
  type CaptureMode,
  ConfigError,
  configuredCapture,
  configuredFrontEnd,
  type FrontEnd,
  isLocalOnly,
  type ResolvedConfig,
  resolveConfig,
} from '../config/settings';
import { AgentCredentials } from '../infinium/client';
import type { CliContext } from './context';
import { UserError } from './errors';

export function requireConfig(ctx: CliContext): ResolvedConfig {
  const config = resolveConfig(ctx.cwd, ctx.env);
  if (!config) {
    throw new UserError(
      `No agent is configured for ${ctx.cwd}.`,
      'Run `infinium-codex init` in the project folder.',
    );
  }
  return config;
}

export async function requireAgent(
  ctx: CliContext,
): Promise<{ config: ResolvedConfig; agent: AgentCredentials; secret: FoundSecret }> {
  const config = requireConfig(ctx);
  if (isLocalOnly(config)) {
    throw new UserError(
      `Tracing in ${ctx.cwd} is local only (\`init --local\`): there is no agent to check with Infinium.`,
      'When you have an account, run `infinium-codex init` with your agent id and secret, then `infinium-codex retry`.',
    );
  }
  const secret = await loadConfigSecret(config, { env: ctx.env });
  if (!secret) {
    throw new UserError(
      `No secret is stored for agent ${config.agentId}.`,
      'Run `infinium-codex update-credentials --agent-secret-stdin` (or set INFINIUM_AGENT_SECRET).',
    );
  }
  return { config, agent: new AgentCredentials(config.agentId, secret.secret, config.baseUrl), secret };
}

/** Where a secret was found, in words (never the secret itself). */
export function describeSecretSource(source: SecretSource, env: Env): string {
  if (source === 'env') return 'the environment (INFINIUM_AGENT_SECRET)';
  if (source === 'keyring') return 'the OS keyring';
  if (source === 'system') return `the machine-wide file ${systemPaths(env).credentials}`;
  return `the fallback file ${statePaths(env).credentials} (no OS keyring)`;
}

const SETTING_WORDS = {
  agentId: ['agent', 'INFINIUM_AGENT_ID'],
  baseUrl: ['base URL', 'INFINIUM_BASE_URL'],
  granularity: ['granularity', 'INFINIUM_CODEX_GRANULARITY'],
  contentMode: ['content mode', 'INFINIUM_CODEX_CONTENT_MODE'],
} as const;

/**
 * Where the agent, base URL, granularity and content mode came from, in words, each truthfully (first-run
 * m6; issue 21: a project file's base URL was reported as "your user defaults"): `agent and base URL from
 * your user defaults; content mode from /p/.infinium/config.json`. Defaults are not named.
 */
export function describeConfigSource(config: ResolvedConfig, env: Env): string {
  const sources = config.sources;
  if (!sources) return config.source;
  const groups = new Map<string, string[]>();
  for (const key of Object.keys(SETTING_WORDS) as (keyof typeof SETTING_WORDS)[]) {
    const where = sources[key];
    if (where === 'default') continue;
    const [name, variable] = SETTING_WORDS[key];
    const place =
      where === 'environment'
        ? variable
        : where === statePaths(env).userConfig
          ? 'your user defaults'
          : where === systemPaths(env).config
            ? 'the machine defaults'
            : where;
    groups.set(place, [...(groups.get(place) ?? []), name]);
  }
  if (groups.size === 1) return `settings from ${[...groups.keys()][0]}`;
  return [...groups]
    .map(([place, names]) => `${names.join(names.length === 2 ? ' and ' : ', ')} from ${place}`)
    .join('; ');
}

/**
 * A user setting, or its default when a config file cannot be read: `status` and `doctor` report a broken
 * config file as a finding instead of stopping at it (first-run m5).
 */
function unlessBroken<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) return fallback;
    throw error;
  }
}

/** The capture mode (see unlessBroken; `machineFilesProblem` as configuredCapture takes it). */
export function captureOrDefault(env: Env, machineFilesProblem?: string | null): CaptureMode {
  return unlessBroken(() => configuredCapture(env, machineFilesProblem), 'lean');
}

/** Where our hooks would go now: the front-end the user asked for (see unlessBroken), resolved here. */
export function hookTarget(ctx: CliContext, frontEnd?: FrontEnd): HookTarget {
  const wanted = frontEnd ?? unlessBroken(() => configuredFrontEnd(ctx.env), 'native');
  return targetFor(wanted, ctx.target, ctx.env);
}

/**
 * The front-ends our installed hooks run, in words: `native`, `hook.sh`, or both (`native + hook.sh`); hook.sh
 * alone comes with why this machine's native one is refused (`nativeRefused`: hookTarget's reason, asked only
 * then), unless the user chose hook.sh (`hook.sh: no native front-end for linux-riscv64`).
 */
export function describeFrontEnds(hooks: InstalledHook[], nativeRefused: () => string | undefined): string {
  const kinds = new Set(hooks.map((hook) => hook.paths?.frontEnd).filter((kind) => kind !== undefined));
  const words = [...kinds].map((kind) => (kind === 'sh' ? 'hook.sh' : kind)).join(' + ');
  if (words !== 'hook.sh' || process.platform === 'win32') return words;
  const refused = nativeRefused();
  return refused ? `${words}: ${refused}` : words;
}
