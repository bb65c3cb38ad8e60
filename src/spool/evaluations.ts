// Maestro's evaluation of each sent trace, kept beside the history: history/evaluations/<key>.json, one
// file a trace, written whole (temp + rename) after every poll, so a killed poller loses at most the poll
// it was making and the next one carries on from the file. Only the evaluation object Infinium returned
// and our bookkeeping are kept: no secret, no trace text.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryRecord } from './history';
import { ensureDir, readOwnFile, type SpoolPaths, writeJsonAtomic } from './layout';

export type EvaluationStatus = 'pending' | 'ready' | 'unavailable';

export interface EvaluationState {
  key: string;
  traceId: string;
  agentId: string;
  /** The base URL the trace was sent to; absent for traces sent before it was recorded. */
  baseUrl?: string;
  status: EvaluationStatus;
  /** When the trace was sent (ms since the epoch): polling gives up a bounded time after this. */
  sentAtMs: number;
  polls: number;
  lastPollAtMs?: number;
  /** Exactly what Infinium returned as `data.interpretedTraceResult` (its structure is not published). */
  evaluation?: unknown;
  readyAtMs?: number;
  /** Why it is unavailable, in words for the user. */
  reason?: string;
}

export function evaluationsDir(paths: SpoolPaths): string {
  return join(paths.history, 'evaluations');
}

function evaluationFile(paths: SpoolPaths, key: string): string {
  return join(evaluationsDir(paths), `${key}.json`);
}

export function readEvaluation(paths: SpoolPaths, key: string): EvaluationState | null {
  try {
    const json: unknown = JSON.parse(readOwnFile(evaluationFile(paths, key), 'utf8'));
    return isEvaluationState(json) ? json : null;
  } catch {
    return null;
  }
}

export function writeEvaluation(paths: SpoolPaths, state: EvaluationState): void {
  ensureDir(evaluationsDir(paths));
  writeJsonAtomic(evaluationFile(paths, state.key), state);
}

/** Every evaluation kept, in no particular order; unreadable files are skipped. */
export function readEvaluations(paths: SpoolPaths): EvaluationState[] {
  let names: string[];
  try {
    names = readdirSync(evaluationsDir(paths));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => readEvaluation(paths, name.slice(0, -'.json'.length)))
    .filter((state): state is EvaluationState => state !== null);
}

/**
 * The evaluation state of a history record: its file when one is kept, else `pending` for a sent trace with
 * a trace id (nobody has asked Infinium yet), else null (dead, or accepted without an id: nothing to ask).
 */
export function evaluationOf(paths: SpoolPaths, record: HistoryRecord): EvaluationState | null {
  if (record.status !== 'sent' || !record.traceId) return null;
  return readEvaluation(paths, record.key) ?? pendingEvaluation(record);
}

/** A fresh `pending` state for a sent history record (which must carry a trace id). */
export function pendingEvaluation(record: HistoryRecord): EvaluationState {
  const sentAtMs = Date.parse(record.time);
  return {
    key: record.key,
    traceId: record.traceId as string,
    agentId: record.agentId,
    ...(record.baseUrl ? { baseUrl: record.baseUrl } : {}),
    status: 'pending',
    sentAtMs: Number.isFinite(sentAtMs) ? sentAtMs : 0,
    polls: 0,
  };
}

function isEvaluationState(value: unknown): value is EvaluationState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.key === 'string' &&
    typeof v.traceId === 'string' &&
    typeof v.agentId === 'string' &&
    (v.status === 'pending' || v.status === 'ready' || v.status === 'unavailable') &&
    typeof v.sentAtMs === 'number' &&
    typeof v.polls === 'number'
  );
}
