// What came of a turn, in the few characters a table cell has: `+42 −7 · tests ✓` (lines added and removed,
// then the last test run's verdict, else the first kind of check whose last run failed). Used by `history`
// and `view`'s list; `view` shows the rest (files, every check, commits).
import type { OutcomeSummary } from '../spool/history';

const SHORT_KIND: Record<string, string> = {
  test: 'tests',
  build: 'build',
  typecheck: 'types',
  lint: 'lint',
  format: 'format',
};

/** The cell; `-` for a trace that has no outcome (sent before the connector measured one). */
export function outcomeCell(outcome: OutcomeSummary | undefined): string {
  if (!outcome) return '-';
  const parts: string[] = [];
  if (outcome.files > 0) parts.push(`+${outcome.added} −${outcome.removed}`);
  else parts.push(outcome.evidence === 'unavailable' ? '?' : 'no change');
  const failedKind = Object.keys(SHORT_KIND).find((kind) => outcome.checks[kind] === 'failed');
  const shown = outcome.checks.test ? 'test' : failedKind;
  if (shown) parts.push(`${SHORT_KIND[shown]} ${outcome.checks[shown] === 'passed' ? '✓' : '✗'}`);
  return parts.join(' · ');
}
