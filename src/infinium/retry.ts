// When to send a failed trace again. Pure: the caller supplies the attempt count and the randomness, so the
// same function serves the client's in-process retries and the worker's outbox schedule.

export interface RetryPolicy {
  /** Delay before the first retry; doubles on each further attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all (the first send included) before giving up. */
  maxAttempts: number;
}

/** The Infinium SDKs' behaviour: three retries within a single command. */
export const CLIENT_RETRY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 10_000, maxAttempts: 4 };

/** The outbox: keep trying across worker runs for about two days, then park the trace as dead. */
export const OUTBOX_RETRY: RetryPolicy = { baseDelayMs: 30_000, maxDelayMs: 6 * 3_600_000, maxAttempts: 16 };

/**
 * No retry is scheduled further ahead than the policy's longest wait: an entry due later than that was
 * scheduled under a clock that has since gone back (a wrong clock corrected, a VM restored), and is due now.
 */
export function notDueYet(entry: { nextAttemptAtMs: number }, nowMs: number): boolean {
  return entry.nextAttemptAtMs > nowMs && entry.nextAttemptAtMs - nowMs <= OUTBOX_RETRY.maxDelayMs;
}

export interface FailureFacts {
  transient: boolean;
  retryAfterSeconds?: number;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'permanent' | 'attempts_exhausted' };

/**
 * `attempt` is how many sends have failed so far (1 after the first failure). `random` returns [0, 1).
 * Exponential backoff with equal jitter (half fixed, half random) so that many workers recovering at once
 * do not retry in lockstep; a 429's Retry-After is honoured as the minimum wait.
 */
export function decideRetry(
  failure: FailureFacts,
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (!failure.transient) return { retry: false, reason: 'permanent' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const backoff = Math.round(ceiling / 2 + random() * (ceiling / 2));
  const retryAfterMs = (failure.retryAfterSeconds ?? 0) * 1000;
  return { retry: true, delayMs: Math.max(backoff, retryAfterMs) };
}
