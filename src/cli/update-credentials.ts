// `infinium-codex update-credentials`: a new agent id and/or secret, checked with Infinium before it
// replaces anything. The old agent's secret stays: other projects may still use that agent.
import { basename } from 'node:path';
import { loadSecret, storeSecret } from '../config/credentials';
import { statePaths } from '../config/paths';
import { findProjectConfig, resolveConfig } from '../config/settings';
import { updateSettingsFile } from '../config/settings-file';
import { AgentCredentials } from '../infinium/client';
import { checkConnection } from './connection';
import type { CliContext } from './context';
import { UserError } from './errors';
import { checkAgentId, type SecretFlags, secretFromFlags } from './secret-input';

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
  const flagSecret = await secretFromFlags(options, env, ctx.stdin);
  if (flagSecret === undefined && options.agentId === undefined) {
    throw new UserError('Nothing to update: give --agent-id and/or --agent-secret-stdin.', undefined, 2);
  }
  const secret = flagSecret ?? (await loadSecret(agentId, { env }))?.secret;
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
    configFile = current.source === 'project' ? findProjectConfig(ctx.cwd) : statePaths(env).userConfig;
  }
  const baseUrl = current?.baseUrl;
  const agent = new AgentCredentials(agentId, secret, baseUrl);
  if (!options.offline) {
    const check = await checkConnection(agent, current?.projectName ?? basename(ctx.cwd));
    out.line(`${out.green('✓')} Infinium accepted agent ${agentId}; test trace ${check.traceId ?? 'sent'}.`);
  }
  if (flagSecret !== undefined) {
    const where = await storeSecret(agentId, secret, { env, noKeyring: options.keyring === false });
    out.line(
      where.source === 'keyring'
        ? `${out.green('✓')} Stored the new secret in the OS keyring`
        : `${out.yellow('!')} Stored the new secret in ${statePaths(env).credentials} (readable only by you), because ${where.keyringProblem}.`,
    );
  }
  if (configFile) {
    updateSettingsFile(
      configFile,
      { agentId },
      current?.source === 'project' ? { mode: 0o644, dirMode: 0o755 } : { mode: 0o600, dirMode: 0o700 },
    );
    out.line(`${out.green('✓')} ${configFile} now names agent ${agentId}`);
  }
  out.line(
    'Traces that failed because of the old credentials can be sent again: `infinium-codex retry --dead`.',
  );
}
