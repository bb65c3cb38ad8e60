// What was sent (or given up on): one JSON line per trace in history/history.jsonl, rotated to
// history.1.jsonl past HISTORY_MAX_BYTES, and the exact body sent in history/payloads/<key>.json (newest
// PAYLOADS_KEPT kept, up to PAYLOADS_SLACK more between prunes). Only redacted text is ever stored here.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OutcomeEvidence, Pricing, TaskData } from '../infinium/task-data';
import { appendNoFollow, ensureDir, readOwnFile, type SpoolPaths, writeFileAtomic } from './layout';
import { rotateIfLarge } from './log';

export const HISTORY_MAX_BYTES = 1024 * 1024;
export const PAYLOADS_KEPT = 500;
/**
 * Payloads are pruned back to PAYLOADS_KEPT only once there are this many more: a prune stats every one of
 * them to find the oldest, which at every send would cost a user past 500 traces a stat per payload kept.
 */
export const PAYLOADS_SLACK = 50;

export interface HistoryRecord {
  /** When it was sent or given up on (ISO 8601). */
  time: string;
  key: string;
  /** `local`: traced with no account (`init --local`), kept here until `retry` sends it to an agent. */
  status: 'sent' | 'dead' | 'local';
  project: string;
  agentId: string;
  /** Where it was sent (absent in records written before 0.2). */
  baseUrl?: string;
  sessionId: string;
  turn: string;
  turnNumber: number;
  steps: number;
  tokens?: number;
  /** Seconds, as in the trace. */
  duration: number;
  traceId?: string;
  attempts: number;
  /** The body as sent (sent traces), for `history show`. */
  payloadPath?: string;
  /** Dead traces: why. */
  reason?: string;
  /**
   * Earlier sends cut short (a crash, a timeout, a lost connection) that may have reached Infinium: it may
   * hold this trace up to 1 + n times.
   */
  unknownOutcomes?: number;
  /** The Codex version that wrote the turn's rollout (the trace's environment.codex_version). */
  codexVersion?: string;
  /** Drift sentinel: rollout line types the reader did not know, with counts (environment.unread_rollout_lines). */
  unreadRolloutLines?: Record<string, number>;
  /** USD (llm_usage.cost); absent when no request could be priced, or in records written before 0.2. */
  cost?: number;
  /** environment.pricing.basis: absent when the turn made no model request. */
  costBasis?: Pricing['basis'];
  /** environment.pricing.unpriced_models. */
  unpricedModels?: string[];
  /** What came of the turn, in short (the trace's environment.outcome). */
  outcome?: OutcomeSummary;
  /** The prompt's first line (redacted as sent), cut to PROMPT_KEPT characters; absent when none was kept. */
  prompt?: string;
  /** Built afterwards by `import` from a past session's rollout (environment.imported). */
  imported?: true;
}

const PROMPT_KEPT = 200;

/** The first line of a turn's prompt, as sent ('' when the trace holds none, e.g. metadata-only content). */
export function promptLine(data: TaskData | undefined): string {
  const prompt =
    data?.input_summary ?? data?.steps?.find((step) => step.action === 'user_prompt')?.description ?? '';
  return prompt.trim().split('\n')[0]?.trim() ?? '';
}

/** The prompt and origin facts a history line keeps, from the trace body. */
export function historyPrompt(data: TaskData | undefined): Pick<HistoryRecord, 'prompt' | 'imported'> {
  const prompt = promptLine(data).slice(0, PROMPT_KEPT);
  return {
    ...(prompt ? { prompt } : {}),
    ...(data?.environment?.imported ? { imported: true } : {}),
  };
}

/** The cost facts a history line keeps, from the trace body. */
export function historyCost(data: TaskData): Pick<HistoryRecord, 'cost' | 'costBasis' | 'unpricedModels'> {
  const pricing = data.environment?.pricing;
  return { cost: data.llm_usage?.cost, costBasis: pricing?.basis, unpricedModels: pricing?.unpriced_models };
}

/** The figures of a trace's environment.outcome that `history` shows. */
export interface OutcomeSummary {
  evidence: 'complete' | 'partial' | 'unavailable';
  files: number;
  added: number;
  removed: number;
  commits: number;
  /** Per check kind (test, build, typecheck, lint, format), how its last run ended. */
  checks: Record<string, 'passed' | 'failed'>;
}

/** The history's summary of a trace's environment.outcome. */
export function outcomeSummary(outcome: OutcomeEvidence | undefined): OutcomeSummary | undefined {
  if (!outcome) return undefined;
  return {
    evidence: outcome.evidence,
    files: outcome.files_changed,
    added: outcome.lines_added,
    removed: outcome.lines_removed,
    commits: outcome.commits.length,
    checks: outcome.checks_final,
  };
}

/** Rollout line types one Codex version wrote that the reader does not know, summed over traces. */
export interface RolloutDrift {
  codexVersion: string;
  /** Type name -> lines seen, most seen first. */
  unread: Record<string, number>;
}

/** The drift counts of history records, per Codex version (newest version first, as records come). */
export function rolloutDrift(records: readonly HistoryRecord[]): RolloutDrift[] {
  const byVersion = new Map<string, Map<string, number>>();
  for (const record of records) {
    if (!record.unreadRolloutLines) continue;
    const version = record.codexVersion ?? 'unknown';
    const counts = byVersion.get(version) ?? new Map<string, number>();
    for (const [type, count] of Object.entries(record.unreadRolloutLines)) {
      if (Number.isSafeInteger(count) && count > 0) counts.set(type, (counts.get(type) ?? 0) + count);
    }
    if (counts.size > 0) byVersion.set(version, counts);
  }
  return [...byVersion].map(([codexVersion, counts]) => ({
    codexVersion,
    unread: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
  }));
}

export function appendHistory(paths: SpoolPaths, record: HistoryRecord): void {
  ensureDir(paths.history);
  rotateIfLarge(paths.historyFile, HISTORY_MAX_BYTES);
  appendNoFollow(paths.historyFile, `${JSON.stringify(record)}\n`);
}

/** Where the body sent for `key` is kept. */
export function payloadFile(paths: SpoolPaths, key: string): string {
  return join(paths.payloads, `${key}.json`);
}

/** The keys whose sent body is still kept (the newest 500 at least). */
export function savedPayloadKeys(paths: SpoolPaths): string[] {
  try {
    return readdirSync(paths.payloads)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

export function savePayload(paths: SpoolPaths, key: string, body: string): void {
  ensureDir(paths.payloads);
  writeFileAtomic(payloadFile(paths, key), body);
  prunePayloads(paths);
}

function prunePayloads(paths: SpoolPaths): void {
  const names = readdirSync(paths.payloads);
  if (names.length <= PAYLOADS_KEPT + PAYLOADS_SLACK) return;
  const byAge = names
    .map((name) => {
      const file = join(paths.payloads, name);
      try {
        return { file, mtimeMs: statSync(file).mtimeMs };
      } catch {
        return { file, mtimeMs: 0 };
      }
    })
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const { file } of byAge.slice(0, byAge.length - PAYLOADS_KEPT)) rmSync(file, { force: true });
}

/** History records, newest first. A torn last line (a crash mid-append) is skipped. */
export function readHistoryRecords(paths: SpoolPaths, limit = Number.POSITIVE_INFINITY): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  for (const file of [paths.historyFile, `${paths.historyFile}.1`]) {
    let text: string;
    try {
      text = readOwnFile(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    for (let i = lines.length - 1; i >= 0 && records.length < limit; i -= 1) {
      try {
        records.push(JSON.parse(lines[i] as string) as HistoryRecord);
      } catch {
        // torn line
      }
    }
    if (records.length >= limit) break;
  }
  return records;
}
