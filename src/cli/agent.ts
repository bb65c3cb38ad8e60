// The agent the current folder reports to, with its secret: what `test`, `status` and `doctor` start from.
import { type FoundSecret, loadSecret, type SecretSource } from '../config/credentials';
import { type Env, statePaths, systemPaths } from '../config/paths';
import {
  type CaptureMode,
  ConfigError,
  configuredCapture,
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
  const secret = await loadSecret(config.agentId, { env: ctx.env });
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

/**
 * Where the agent id came from, in words, and the environment variables that override it or the base URL
 * (first-run m6: a base URL from INFINIUM_BASE_URL was reported as "from project settings").
 */
export function describeConfigSource(config: ResolvedConfig, env: Env): string {
  const words = {
    env: 'the environment (INFINIUM_AGENT_ID)',
    project: 'project settings',
    user: 'your user defaults',
    system: 'the machine defaults',
  }[config.source];
  return config.source !== 'env' && env.INFINIUM_BASE_URL
    ? `${words}; base URL from INFINIUM_BASE_URL`
    : words;
}

/**
 * The capture mode, or `lean` when a config file cannot be read: `status` and `doctor` report a broken
 * config file as a finding instead of stopping at it (first-run m5).
 */
export function captureOrDefault(env: Env): CaptureMode {
  try {
    return configuredCapture(env);
  } catch (error) {
    if (error instanceof ConfigError) return 'lean';
    throw error;
  }
}
