// Checking an agent id and secret against Infinium: the health endpoint, then one real test trace (the
// only way to know a trace would be accepted). Used by `init`, `test` and `update-credentials`.

import pkg from '../../package.json';
import { type AgentCredentials, health, sendTrace } from '../infinium/client';
import { InfiniumError } from '../infinium/errors';
import { CLIENT_RETRY } from '../infinium/retry';
import type { TaskData } from '../infinium/task-data';
import { hostOs } from '../worker/compose';
import { UserError } from './errors';

export function testTrace(nowMs: number, projectName: string): TaskData {
  const now = new Date(nowMs).toISOString();
  return {
    name: 'infinium-codex connection test',
    description: `A test trace sent by \`infinium-codex\` to check that this agent's id and secret work (project ${projectName}).`,
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
      os: hostOs(),
      project: projectName,
      connector_version: pkg.version,
    },
    time_tracking: { start_time: now, end_time: now },
    general: { agent_notes: 'connection test' },
  };
}

export interface ConnectionCheck {
  agentName?: string;
  traceId?: string;
  taskData: TaskData;
}

/** Throws a UserError saying exactly what is wrong (credentials, agent, network, proxy). */
export async function checkConnection(
  agent: AgentCredentials,
  projectName: string,
  nowMs = Date.now(),
): Promise<ConnectionCheck> {
  const taskData = testTrace(nowMs, projectName);
  try {
    const status = await health(agent, { retry: CLIENT_RETRY });
    const sent = await sendTrace(agent, taskData, { retry: CLIENT_RETRY });
    return { agentName: status.agentName, traceId: sent.traceId, taskData };
  } catch (error) {
    throw asUserError(error);
  }
}

export function asUserError(error: unknown): unknown {
  if (error instanceof InfiniumError) return new UserError(`${error.message}.`, error.hint);
  return error;
}
