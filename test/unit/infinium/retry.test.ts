import { describe, expect, it } from 'vitest';
import { CLIENT_RETRY, decideRetry, OUTBOX_RETRY, type RetryPolicy } from '../../../src/infinium/retry';

const policy: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 8_000, maxAttempts: 5 };
const transient = { transient: true };

describe('decideRetry', () => {
  it('never retries a permanent failure', () => {
    expect(decideRetry({ transient: false }, 1, policy, () => 0.5)).toEqual({
      retry: false,
      reason: 'permanent',
    });
  });

  it('gives up once the attempts are used', () => {
    expect(decideRetry(transient, 5, policy, () => 0.5)).toEqual({
      retry: false,
      reason: 'attempts_exhausted',
    });
    expect(decideRetry(transient, 4, policy, () => 0.5).retry).toBe(true);
  });

  it('doubles the delay ceiling with each attempt, up to the maximum', () => {
    const ceilings = [1, 2, 3, 4].map((attempt) => decideRetry(transient, attempt, policy, () => 0.999_999));
    expect(ceilings.map((d) => (d.retry ? d.delayMs : -1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    const capped = decideRetry(
      transient,
      4,
      { ...policy, maxAttempts: 10, maxDelayMs: 3_000 },
      () => 0.999_999,
    );
    expect(capped).toEqual({ retry: true, delayMs: 3_000 });
  });

  it('jitters between half and all of the ceiling', () => {
    expect(decideRetry(transient, 3, policy, () => 0)).toEqual({ retry: true, delayMs: 2_000 });
    expect(decideRetry(transient, 3, policy, () => 0.5)).toEqual({ retry: true, delayMs: 3_000 });
  });

  it("waits at least a 429's Retry-After", () => {
    expect(decideRetry({ transient: true, retryAfterSeconds: 60 }, 1, policy, () => 0)).toEqual({
      retry: true,
      delayMs: 60_000,
    });
    // A short Retry-After does not shorten the backoff.
    expect(decideRetry({ transient: true, retryAfterSeconds: 0 }, 3, policy, () => 0)).toEqual({
      retry: true,
      delayMs: 2_000,
    });
  });

  it('has sane built-in policies', () => {
    expect(CLIENT_RETRY.maxAttempts).toBe(4);
    expect(OUTBOX_RETRY.maxAttempts).toBeGreaterThan(CLIENT_RETRY.maxAttempts);
    expect(OUTBOX_RETRY.maxDelayMs).toBeGreaterThan(OUTBOX_RETRY.baseDelayMs);
  });
});
