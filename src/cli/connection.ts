// Checking an agent id, secret and base URL against Infinium. `init`, `update-credentials` and `test` ask
// the health endpoint (GET /agents/{id}/health), which checks the key and sends nothing Maestro would
// score; only `test --send-trace` posts a trace, marked as a connection test in its name and environment.

import pkg from '../../package.json';
import { type AgentCredentials, DEFAULT_BASE_URL, health, sendTrace } from '../infinium/client';
import { InfiniumError } from '../infinium/errors';
import { CLIENT_RETRY } from '../infinium/retry';
import type { TaskData } from '../infinium/task-data';
import { hostOs } from '../worker/compose';
import type { CliContext } from './context';
import { UserError } from './errors';
import type { Output } from './output';
import { withProgress } from './progress';

/** The name every connection-test trace carries, so it can be filtered out in Infinium. */
export const TEST_TRACE_NAME = '[connection test] infinium-codex';

export function testTrace(nowMs: number, projectName: string): TaskData {
  const now = new Date(nowMs).toISOString();
  return {
    name: TEST_TRACE_NAME,
    description: `A connection test sent by \`infinium-codex test --send-trace\` (project ${projectName}); not a Codex turn, safe to ignore or delete.`,
    current_datetime: now,
    duration: 0,
    input_summary: 'connection test',
    output_summary: 'connection test',
    steps: [
      {
        step_number: 1,
        action: 'user_prompt',
        description: 'Connection test from infinium-codex',
        started_at: now,
        status: 'success',
      },
    ],
    environment: {
      agent: 'codex-cli',
      purpose: 'connection_test',
      os: hostOs(),
      project: projectName,
      connector_version: pkg.version,
    },
    time_tracking: { start_time: now, end_time: now },
    general: { agent_notes: 'connection test' },
  };
}

/** Which answer a failed check points at: what the wizard asks again. */
export type Culprit = 'secret' | 'agentId' | 'baseUrl' | 'network';

export interface Diagnosis {
  culprit: Culprit;
  /** One plain sentence: what is wrong, naming the value at fault (never the secret). */
  message: string;
}

const REFUSED = /\bECONNREFUSED\b/;
const UNKNOWN_HOST = /\b(ENOTFOUND|EAI_AGAIN|EAI_NONAME)\b/;
const TLS =
  /\b(CERT_|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|DEPTH_ZERO|ERR_TLS|ERR_SSL|EPROTO|wrong version number)/i;

/**
 * Says in plain words which of agent id, secret and base URL a failed health check blames: a refused
 * connection, an unknown host or a TLS failure is the base URL's host; 401/403 the secret; 404 the agent id,
 * or the base URL's path when it is not the API's (`…/api/v1`).
 */
export function diagnose(error: InfiniumError, agent: AgentCredentials): Diagnosis {
  const url = agent.baseUrl;
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (error.kind === 'authentication') {
    return {
      culprit: 'secret',
      message: `Infinium refused the secret for agent ${agent.agentId} (HTTP ${error.status}): the secret is wrong, or belongs to another agent.`,
    };
  }
  if (error.kind === 'not_found') {
    const expectedPath = new URL(DEFAULT_BASE_URL).pathname;
    const path = (() => {
      try {
        return new URL(url).pathname.replace(/\/+$/, '');
      } catch {
        return '';
      }
    })();
    return path !== expectedPath
      ? {
          culprit: 'baseUrl',
          message: `${url} answered 404: its path ${path || '/'} is not Infinium's API path (${expectedPath}), or there is no agent ${agent.agentId}.`,
        }
      : {
          culprit: 'agentId',
          message: `Infinium at ${url} has no agent ${agent.agentId} (HTTP 404): check the agent id (or the base URL).`,
        };
  }
  if (error.kind === 'network') {
    if (REFUSED.test(error.message)) {
      return {
        culprit: 'baseUrl',
        message: `Nothing answers at ${host} (connection refused): check the base URL's host and port.`,
      };
    }
    if (UNKNOWN_HOST.test(error.message)) {
      return {
        culprit: 'baseUrl',
        message: `The host ${host} is unknown (DNS lookup failed): check the base URL, or your network.`,
      };
    }
    if (TLS.test(error.message)) {
      return {
        culprit: 'baseUrl',
        message: `The TLS (HTTPS) connection to ${host} failed: ${error.message.replace(/^Could not reach Infinium at \S+: /, '')}. A proxy inspecting HTTPS needs NODE_EXTRA_CA_CERTS; a plain-HTTP server needs http://.`,
      };
    }
    return { culprit: 'network', message: `${error.message}.` };
  }
  // Infinium is there but cannot answer now: the values may well be right, so the wizard offers to retry.
  if (error.kind === 'timeout' || error.kind === 'server' || error.kind === 'rate_limited')
    return { culprit: 'network', message: `${error.message}.` };
  return {
    culprit: 'baseUrl',
    message: `${error.message}: is ${url} Infinium's API? (the default is ${DEFAULT_BASE_URL})`,
  };
}

/**
 * Asks Infinium's health endpoint whether it knows this agent and secret; nothing is stored or scored.
 * Returns the agent's name when Infinium gives one. Throws a UserError that names the wrong value (see
 * `diagnose`) with `culprit` set, so the wizard can ask again for just that.
 */
export async function verifyCredentials(
  agent: AgentCredentials,
  options: { skipFlag?: string } = {},
): Promise<{ agentName?: string }> {
  try {
    const status = await health(agent, { retry: CLIENT_RETRY });
    return { agentName: status.agentName };
  } catch (error) {
    throw asUserError(error, agent, options.skipFlag);
  }
}

export class CredentialsError extends UserError {
  override name = 'CredentialsError';
  constructor(
    readonly diagnosis: Diagnosis,
    hint?: string,
  ) {
    super(diagnosis.message, hint);
  }
}

/**
 * What to do after a failed check, in the check's own words: the client's hints are the worker's, about a
 * trace kept in the outbox or the dead folder, and a check keeps none (attack21c R3). `skipFlag` is the
 * command's flag that goes on without the check (`--offline`), when it has one.
 */
function checkHint(error: InfiniumError, skipFlag?: string): string {
  if (error.kind === 'server' || error.kind === 'rate_limited' || error.kind === 'timeout') {
    return `Nothing was changed: try again in a moment${skipFlag ? `, or add ${skipFlag} to go on without the check` : ''}.`;
  }
  const redirect = error.status !== undefined && error.status >= 300 && error.status < 400;
  if ((error.kind === 'unexpected_response' && !redirect) || error.kind === 'payload_rejected') {
    return `Nothing was changed: check the base URL (Infinium's is ${DEFAULT_BASE_URL}) and run this again.`;
  }
  return error.hint;
}

export function asUserError(error: unknown, agent: AgentCredentials, skipFlag?: string): unknown {
  if (!(error instanceof InfiniumError)) return error;
  return new CredentialsError(diagnose(error, agent), checkHint(error, skipFlag));
}

/** Sends one connection-test trace (`test --send-trace`); returns its trace id when Infinium gives one. */
export async function sendTestTrace(
  agent: AgentCredentials,
  projectName: string,
  nowMs = Date.now(),
): Promise<{ traceId?: string; taskData: TaskData }> {
  const taskData = testTrace(nowMs, projectName);
  try {
    const sent = await sendTrace(agent, taskData, { retry: CLIENT_RETRY });
    return { traceId: sent.traceId, taskData };
  } catch (error) {
    throw asUserError(error, agent);
  }
}

/** `✓ Infinium accepted agent <id> (<name>)`: the one line every check prints on success. */
function acceptedLine(out: Output, agentId: string, agentName?: string): string {
  return `${out.green('✓')} Infinium accepted agent ${agentId}${agentName && agentName !== agentId ? ` (${agentName})` : ''}`;
}

/**
 * Asks Infinium whether it takes the agent and its secret (a spinner meanwhile), and says that it did; a
 * refusal's hint names `--offline`, which every command asking here takes to go on without the check.
 */
export async function confirmAgent(ctx: CliContext, agent: AgentCredentials): Promise<void> {
  const check = await withProgress({ stream: ctx.progress, enabled: true }, 'Checking with Infinium', () =>
    verifyCredentials(agent, { skipFlag: '--offline' }),
  );
  ctx.out.line(acceptedLine(ctx.out, agent.agentId, check.agentName));
}
