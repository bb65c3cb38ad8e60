// What `view` shows: the traces the connector holds locally (sent ones from the history and the bodies
// kept in history/payloads, queued ones from the outbox, dead ones from dead/), each with Maestro's
// evaluation when one was fetched. Everything here was redacted before it was stored; nothing is sent.
import { readFileSync } from 'node:fs';
import type { Env } from '../../config/paths';
import { LOCAL_AGENT } from '../../config/settings';
import type { TaskData } from '../../infinium/task-data';
import { listDead, listOutbox, type OutboxEntry, spoolPaths } from '../../spool';
import { type EvaluationState, evaluationOf } from '../../spool/evaluations';
import { readHistoryRecords } from '../../spool/history';

/** `local`: traced with no account (`init --local`), kept until `retry` sends it to an agent. */
export type Delivery = 'sent' | 'queued' | 'local' | 'dead';

export interface ViewTurn {
  key: string;
  project: string;
  turnNumber: number;
  /** When it was sent, queued or given up on (ISO 8601). */
  time: string;
  delivery: Delivery;
  /** Dead or retrying: why. */
  reason?: string;
  traceId?: string;
  /** The body as sent (or as it will be sent); absent when it is no longer kept. */
  taskData?: TaskData;
  evaluation: EvaluationState | null;
}

/** The newest `limit` traces, newest first, one per key (a trace sent after being dead shows as sent). */
export function collectTurns(env: Env, limit = 200): ViewTurn[] {
  const paths = spoolPaths(env);
  const turns = new Map<string, ViewTurn>();
  // Queued and dead traces from their files, which hold the whole body.
  const fromFile = (entry: OutboxEntry, delivery: Delivery, atMs: number, reason: string | undefined) =>
    turns.set(entry.key, {
      key: entry.key,
      project: entry.projectName,
      turnNumber: entry.turnNumber,
      time: new Date(atMs).toISOString(),
      delivery,
      ...(reason ? { reason } : {}),
      taskData: entry.taskData,
      evaluation: null,
    });
  for (const entry of listOutbox(env))
    fromFile(entry, entry.agentId === LOCAL_AGENT ? 'local' : 'queued', entry.builtAtMs, entry.lastError);
  for (const entry of listDead(env)) fromFile(entry, 'dead', entry.diedAtMs, entry.reason);
  // Newest first: the first history line of a key is its latest word, and a sent trace is sent whatever
  // else is still on disk for it.
  const seen = new Set<string>();
  for (const record of readHistoryRecords(paths)) {
    if (seen.has(record.key)) continue;
    seen.add(record.key);
    const facts = {
      key: record.key,
      project: record.project,
      turnNumber: record.turnNumber,
      time: record.time,
    };
    if (record.status === 'sent') {
      turns.set(record.key, {
        ...facts,
        delivery: 'sent',
        ...(record.traceId ? { traceId: record.traceId } : {}),
        ...(record.payloadPath ? { taskData: readPayload(record.payloadPath) } : {}),
        evaluation: evaluationOf(paths, record),
      });
    } else if (!turns.has(record.key)) {
      turns.set(record.key, {
        ...facts,
        delivery: 'dead',
        ...(record.reason ? { reason: record.reason } : {}),
        evaluation: null,
      });
    }
  }
  return [...turns.values()].sort((a, b) => b.time.localeCompare(a.time)).slice(0, limit);
}

export function readPayload(file: string): TaskData | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TaskData;
  } catch {
    return undefined;
  }
}
