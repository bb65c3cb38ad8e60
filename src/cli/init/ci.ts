// `infinium-codex init --ci`: set-up for a CI runner or a container, from the environment alone. The agent
// comes from INFINIUM_AGENT_ID / INFINIUM_AGENT_SECRET (/ INFINIUM_BASE_URL), checked with Infinium's health
// endpoint; our hooks go into this user's Codex home, trusted. Nothing else is written: no user or project
// settings and no stored secret, so every turn is traced with what the job's environment says.
import { checkBaseUrl, insecureHttpAllowed } from '../../config/settings';
import { AgentCredentials, DEFAULT_BASE_URL, trimBaseUrl } from '../../infinium/client';
import { confirmAgent } from '../connection';
import type { CliContext } from '../context';
import { UserError } from '../errors';
import { checkAgentId } from '../secret-input';
import { installUserHooks } from '../user-hooks';
import { ACCOUNT_FLAGS, detectUsableCodex, givenFlags, type InitOptions } from './options';

/** Flags that write settings or a secret: `--ci` takes everything from the environment instead. */
const NOT_WITH_CI = [...ACCOUNT_FLAGS, 'project', 'granularity', 'contentMode'];

export async function initCi(options: InitOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  if (givenFlags(options, NOT_WITH_CI).length > 0) {
    throw new UserError(
      '`init --ci` takes the agent from the environment (INFINIUM_AGENT_ID, INFINIUM_AGENT_SECRET, INFINIUM_BASE_URL) and writes no settings, so it does not take --agent-id, --agent-secret-stdin, --base-url, --scope, --project, --all-projects, --granularity or --content-mode (set INFINIUM_CODEX_GRANULARITY and INFINIUM_CODEX_CONTENT_MODE instead).',
      undefined,
      2,
    );
  }
  const agentId = env.INFINIUM_AGENT_ID?.trim();
  const secret = env.INFINIUM_AGENT_SECRET?.trim();
  if (!agentId || !secret) {
    throw new UserError(
      `\`init --ci\` needs ${!agentId ? 'INFINIUM_AGENT_ID' : 'INFINIUM_AGENT_SECRET'} in the environment: set it from your CI's secrets and run it again.`,
    );
  }
  checkAgentId(agentId);
  const baseUrl = trimBaseUrl(env.INFINIUM_BASE_URL?.trim() || DEFAULT_BASE_URL);
  checkBaseUrl(baseUrl, 'INFINIUM_BASE_URL', insecureHttpAllowed(env));
  const codex = await detectUsableCodex(env, ctx.cwd);
  if (!codex.found) {
    throw new UserError(`${codex.detail}: install Codex (npm i -g @openai/codex) before \`init --ci\`.`);
  }
  if (!options.offline) {
    await confirmAgent(ctx, new AgentCredentials(agentId, secret, baseUrl));
  }
  installUserHooks(ctx, codex, {
    capture: options.capture ?? 'lean',
    frontEnd: options.frontEnd,
    trust: options.trust,
  });
  out.line(
    '  No settings or secret written: each turn is traced with INFINIUM_* from the environment Codex runs in.',
  );
  out.line(
    "  After the job's last `codex exec`, run `infinium-codex retry` to send what is still waiting before the runner goes away.",
  );
}
