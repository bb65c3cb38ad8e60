import { describe, expect, it } from 'vitest';
import { errorForStatus, networkError, parseRetryAfter, timeoutError } from '../../../src/infinium/errors';

const now = Date.parse('2026-11-25T12:00:00Z');

describe('errorForStatus', () => {
  it.each([
    [401, 'authentication', false, /update-credentials/],
    [403, 'authentication', false, /update-credentials/],
    [404, 'not_found', false, /agent id/],
    [400, 'payload_rejected', false, /dead folder/],
    [413, 'payload_rejected', false, /dead folder/],
    [422, 'payload_rejected', false, /dead folder/],
    [429, 'rate_limited', true, /sent later/],
    [500, 'server', true, /retried/],
    [503, 'server', true, /retried/],
    [302, 'unexpected_response', true, /base URL/],
  ])('maps HTTP %i to %s', (status, kind, transient, hint) => {
    const error = errorForStatus(status, 'agent-1', 'why', null, now);
    expect(error.kind).toBe(kind);
    expect(error.transient).toBe(transient);
    expect(error.status).toBe(status);
    expect(error.hint).toMatch(hint);
    expect(error.message).toContain(String(status));
  });

  it("keeps the server's reason in the message", () => {
    expect(errorForStatus(422, 'a', 'name is required', null, now).message).toContain(': name is required');
    expect(errorForStatus(422, 'a', '', null, now).message).toBe('Infinium rejected the trace (HTTP 422)');
  });

  it('carries the Retry-After of a 429', () => {
    expect(errorForStatus(429, 'a', '', '17', now).retryAfterSeconds).toBe(17);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, an HTTP date, and defaults to 60', () => {
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter(' 120 ', now)).toBe(120);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBe(60);
  });
});

describe('network and timeout errors', () => {
  it('are transient and say what to check', () => {
    const net = networkError('https://x.test/api/v1', 'ECONNREFUSED');
    expect(net.kind).toBe('network');
    expect(net.transient).toBe(true);
    expect(net.hint).toMatch(/HTTPS_PROXY/);
    const slow = timeoutError('https://x.test/api/v1', 30);
    expect(slow.kind).toBe('timeout');
    expect(slow.message).toContain('30 s');
  });

  it('say whether the request may have reached Infinium all the same', () => {
    expect(timeoutError('https://x.test', 30).mayHaveArrived).toBe(true);
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
      expect(networkError('https://x.test', code, code).mayHaveArrived, code).toBe(false);
    }
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', undefined]) {
      expect(networkError('https://x.test', 'lost', code).mayHaveArrived, code).toBe(true);
    }
    expect(errorForStatus(500, 'a', '', null, 0).mayHaveArrived).toBe(false);
  });
});
