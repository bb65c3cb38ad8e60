// Words for Maestro's evaluation of a trace. Its structure is not published (Infinium's "maestro-results"
// docs), so nothing here assumes a field: common ones (a score, a verdict, a summary) are shown when they
// are there, at the top level or one object down, and the whole object is always available as it came.
import type { EvaluationState } from '../spool/evaluations';
import { inertLine } from './terminal-text';

export interface EvaluationGist {
  score?: string;
  verdict?: string;
  summary?: string;
}

const SCORE_KEYS = ['score', 'overall_score', 'overallscore', 'total_score', 'rating', 'grade'];
const VERDICT_KEYS = ['verdict', 'outcome', 'label', 'result', 'status', 'rating_label'];
const SUMMARY_KEYS = [
  'summary',
  'explanation',
  'interpretation',
  'feedback',
  'reasoning',
  'analysis',
  'comment',
];

/** The score, verdict and summary found in an evaluation object, each only when present. */
export function evaluationGist(evaluation: unknown): EvaluationGist {
  if (typeof evaluation === 'string') return { summary: evaluation };
  const levels = objectLevels(evaluation);
  const score = find(levels, SCORE_KEYS, (v) => typeof v === 'number' || typeof v === 'string');
  const verdict = find(levels, VERDICT_KEYS, (v) => typeof v === 'string' && v.length <= 40);
  const summary = find(levels, SUMMARY_KEYS, (v) => typeof v === 'string');
  return {
    ...(score === undefined ? {} : { score: String(score) }),
    ...(verdict === undefined ? {} : { verdict: String(verdict) }),
    ...(summary === undefined ? {} : { summary: String(summary) }),
  };
}

/**
 * A few characters for a table column: `0.82 good`, `pending`, `n/a`, or `-` when there is nothing to ask;
 * cut to `max` characters.
 */
export function shortVerdict(state: EvaluationState | null, max = 14): string {
  if (!state) return '-';
  if (state.status === 'pending') return 'pending';
  if (state.status === 'unavailable') return 'n/a';
  const gist = evaluationGist(state.evaluation);
  const text = inertLine(
    [gist.score, gist.verdict].filter((part) => part !== undefined).join(' ') || 'ready',
  );
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function objectLevels(value: unknown): Record<string, unknown>[] {
  if (!isRecord(value)) return [];
  const nested = Object.values(value).filter(isRecord);
  return [lowerKeys(value), ...nested.map(lowerKeys)];
}

function find(
  levels: Record<string, unknown>[],
  keys: string[],
  accept: (value: unknown) => boolean,
): unknown {
  for (const level of levels) {
    for (const key of keys) {
      if (accept(level[key])) return level[key];
    }
  }
  return undefined;
}

function lowerKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
