import { describe, expect, it } from 'vitest';
import { outcomeCell } from '../../../src/cli/outcome-format';

const summary = { evidence: 'complete' as const, files: 3, added: 42, removed: 7, commits: 1, checks: {} };

describe('the outcome cell of history and view', () => {
  it('shows the lines, then the last test verdict, else a kind of check that failed', () => {
    expect(outcomeCell({ ...summary, checks: { test: 'passed', lint: 'failed' } })).toBe('+42 −7 · tests ✓');
    expect(outcomeCell({ ...summary, checks: { test: 'failed' } })).toBe('+42 −7 · tests ✗');
    expect(outcomeCell({ ...summary, checks: { build: 'passed', typecheck: 'failed' } })).toBe(
      '+42 −7 · types ✗',
    );
    expect(outcomeCell({ ...summary, checks: { build: 'passed' } })).toBe('+42 −7');
  });

  it('tells a turn that changed nothing from one whose changes are unknown, and an old trace', () => {
    expect(outcomeCell({ ...summary, files: 0, added: 0, removed: 0 })).toBe('no change');
    expect(outcomeCell({ ...summary, evidence: 'unavailable', files: 0, added: 0, removed: 0 })).toBe('?');
    expect(outcomeCell(undefined)).toBe('-');
  });
});
