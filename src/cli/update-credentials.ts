// `infinium-codex update-credentials`: a new agent id and/or secret, checked with Infinium's health
// endpoint before it replaces anything (no trace is sent). In a terminal the secret is asked for, masked;
// flags and stdin are for scripts. The old agent's secret stays: other projects may still use that agent.

import { recordDecision } from '../config/consent';
import { loadSecret, storeSecret } from '../config/credentials';
import { statePaths } from '../config/paths';
import { findProjectConfig, resolveConfig } from '../config/settings';
import { updateSettingsFile } from '../config/settings-file';
import { AgentCredentials, DEFAULT_BASE_URL } from '../infinium/client';
import { listDead } from '../spool';
import { confirmAgent } from './connection';
import type { CliContext } from './context';
import { UserError } from './errors';
import { secretStoredLine } from './notices';
import { count } from './output';
import { checkAgentId, promptSecret, type SecretFlags, secretFromFlags } from './secret-input';

export interface UpdateCredentialsOptions extends SecretFlags {
  agentId?: string;
  keyring?: boolean;
  offline?: boolean;
}

export async function updateCredentials(options: UpdateCredentialsOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const current = resolveConfig(ctx.cwd, env);
  const agentId = options.agentId !== undefined ? checkAgentId(options.agentId) : current?.agentId;
  if (!agentId) {
    throw new UserError(
      'No agent is configured here, so give one with --agent-id (or run `infinium-codex init`).',
      undefined,
      2,
    );
  }
  // stdin is for scripts: in a terminal the secret is typed into a masked prompt, never echoed.
  const fromFlags =
    options.agentSecretStdin && ctx.stdin.isTTY === true
      ? undefined
      : await secretFromFlags(options, env, ctx.stdin);
  const asked =
    fromFlags === undefined && ctx.interactive
      ? await promptSecret(
          `New secret for agent ${agentId}${options.agentId !== undefined ? ' (leave empty to keep the stored one)' : ''}`,
          options.agentId !== undefined,
        )
      : undefined;
  const flagSecret = fromFlags ?? (asked === '' ? undefined : asked);
  if (flagSecret === undefined && options.agentId === undefined) {
    throw new UserError('Nothing to update: give --agent-id and/or --agent-secret-stdin.', undefined, 2);
  }
  const baseUrl = current?.baseUrl ?? DEFAULT_BASE_URL;
  const secret = flagSecret ?? (await loadSecret(agentId, baseUrl, { env }))?.secret;
  if (!secret) {
    throw new UserError(
      `No secret is stored for agent ${agentId}; give it with --agent-secret-stdin.`,
      undefined,
      2,
    );
  }
  let configFile: string | null = null;
  if (current && agentId !== current.agentId) {
    if (current.source === 'env') {
      throw new UserError(
        'The agent id comes from INFINIUM_AGENT_ID here; change that variable instead.',
        undefined,
        2,
      );
    }
    configFile = current.source === 'project' ? findProjectConfig(ctx.cwd, env) : statePaths(env).userConfig;
  }
  const agent = new AgentCredentials(agentId, secret, baseUrl);
  if (!options.offline) {
    try {
      await confirmAgent(ctx, agent);
    } catch (error) {
      // Its usual hint ("run update-credentials") names the command just run.
      if (error instanceof UserError)
        throw new UserError(
          `${error.message} Nothing was changed.`,
          'Check the agent id and secret in the Infinium web app and run this again (or pass --offline).',
        );
      throw error;
    }
  }
  if (flagSecret !== undefined) {
    const where = await storeSecret(agentId, baseUrl, secret, { env, noKeyring: options.keyring === false });
    out.line(secretStoredLine(out, where, env, 'the new secret'));
  }
  if (configFile) {
    updateSettingsFile(
      configFile,
      { agentId },
      current?.source === 'project' ? { mode: 0o644, dirMode: 0o755 } : { mode: 0o600, dirMode: 0o700 },
    );
    // The user named this agent here: their consent to the file as it now is (src/config/consent.ts).
    if (current?.source === 'project') recordDecision(configFile, 'allow', env);
    out.line(`${out.green('✓')} ${configFile} now names agent ${agentId}`);
  }
  const dead = listDead(env).length;
  if (dead > 0) {
    out.line(
      `${count(dead, 'trace')} could not be sent earlier; \`infinium-codex retry --dead\` sends ${dead === 1 ? 'it' : 'them'} again.`,
    );
  }
}
