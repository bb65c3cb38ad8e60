// When status and doctor say a waiting trace is tried again: no timer runs, a worker starts when a Codex
// turn ends and sends what is due (first-run N11).
import { describe, expect, it } from 'vitest';
import { describeNextTry, describeWait } from '../../../src/cli/doctor/spool';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const RETRY = 'or now with `infinium-codex retry`';

describe('describeNextTry', () => {
  it('a trace whose backoff is over goes with the next turn', () => {
    expect(describeNextTry(NOW, NOW)).toBe(`with your next Codex turn, ${RETRY}`);
    expect(describeNextTry(NOW - 60_000, NOW)).toBe(`with your next Codex turn, ${RETRY}`);
  });

  it('a trace still backing off goes with the first turn that ends after its wait', () => {
    expect(describeNextTry(NOW + 39_200, NOW)).toBe(
      `with the first Codex turn that ends in 40 s or later, ${RETRY}`,
    );
    expect(describeNextTry(NOW + 2 * 3_600_000, NOW)).toBe(
      `with the first Codex turn that ends in 2 h or later, ${RETRY}`,
    );
  });

  it('a wait longer than any backoff (a clock set back since) counts as over, as the worker does', () => {
    expect(describeNextTry(NOW + 7 * 3_600_000, NOW)).toBe(`with your next Codex turn, ${RETRY}`);
  });
});

describe('describeWait', () => {
  it('rounds up, so the next try is never sooner than said', () => {
    expect(describeWait(1)).toBe('1 s');
    expect(describeWait(89_000)).toBe('89 s');
    expect(describeWait(90_000)).toBe('2 min');
    expect(describeWait(89 * 60_000)).toBe('89 min');
    expect(describeWait(90 * 60_000)).toBe('2 h');
  });
});
