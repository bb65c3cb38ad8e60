// Every way a call to Infinium can fail, each saying what the user can do about it. Messages never hold
// the agent secret: they are built only from the status, the agent id and the server's own reason.

export type InfiniumErrorKind =
  | 'authentication'
  | 'not_found'
  | 'payload_rejected'
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'unexpected_response';

export class InfiniumError extends Error {
  override name = 'InfiniumError';
  constructor(
    readonly kind: InfiniumErrorKind,
    message: string,
    /** One sentence: what the user should do. */
    readonly hint: string,
    readonly status?: number,
    /** Seconds the server asked us to wait (429 Retry-After). */
    readonly retryAfterSeconds?: number,
    /**
     * The request may have reached Infinium and been stored all the same (a timeout, a connection lost
     * after it was made): sending it again may store it twice.
     */
    readonly mayHaveArrived = false,
  ) {
    super(message);
  }

  /** Transient failures are worth sending again later; the rest will fail the same way every time. */
  get transient(): boolean {
    return (
      this.kind === 'rate_limited' ||
      this.kind === 'server' ||
      this.kind === 'network' ||
      this.kind === 'timeout' ||
      this.kind === 'unexpected_response'
    );
  }
}

const DEFAULT_RETRY_AFTER_SECONDS = 60;

/** Retry-After is either delta-seconds or an HTTP date; anything else means the API default of 60 s. */
export function parseRetryAfter(header: string | null, nowMs: number): number {
  if (header === null) return DEFAULT_RETRY_AFTER_SECONDS;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - nowMs) / 1000));
  return DEFAULT_RETRY_AFTER_SECONDS;
}

/** Maps a non-2xx response to the error the user sees. `reason` is the server's text, already shortened. */
export function errorForStatus(
  status: number,
  agentId: string,
  reason: string,
  retryAfterHeader: string | null,
  nowMs: number,
): InfiniumError {
  const why = reason ? `: ${reason}` : '';
  if (status === 401 || status === 403) {
    return new InfiniumError(
      'authentication',
      `Infinium rejected the credentials for agent ${agentId} (HTTP ${status})${why}`,
      'Check the agent id and secret in the Infinium web app, then run `infinium-codex update-credentials`.',
      status,
    );
  }
  if (status === 404) {
    return new InfiniumError(
      'not_found',
      `Infinium has no agent ${agentId} (HTTP 404)${why}`,
      'Check the agent id in the Infinium web app, then run `infinium-codex update-credentials`.',
      status,
    );
  }
  if (status === 400 || status === 413 || status === 422) {
    return new InfiniumError(
      'payload_rejected',
      `Infinium rejected the trace (HTTP ${status})${why}`,
      'The trace is kept in the dead folder; `infinium-codex history` and the log show why.',
      status,
    );
  }
  if (status === 429) {
    const seconds = parseRetryAfter(retryAfterHeader, nowMs);
    return new InfiniumError(
      'rate_limited',
      `Infinium is rate limiting agent ${agentId} (HTTP 429); retry after ${seconds} s`,
      'Nothing to do: the trace stays in the outbox and is sent later.',
      status,
      seconds,
    );
  }
  if (status >= 500) {
    return new InfiniumError(
      'server',
      `Infinium answered with a server error (HTTP ${status})${why}`,
      'Nothing to do: the trace stays in the outbox and is retried with backoff.',
      status,
    );
  }
  return new InfiniumError(
    'unexpected_response',
    `Infinium answered with an unexpected status (HTTP ${status})${why}`,
    'The trace stays in the outbox; if this persists, check the base URL with `infinium-codex doctor`.',
    status,
  );
}

/**
 * Failures before any byte of the request could reach the server: the name did not resolve, nothing
 * listened, no route, the connection or its TLS handshake failed (a certificate refused, a protocol
 * mismatch), the proxy refused the tunnel. Anything else (reset, closed mid-request) may have come after.
 */
const NEVER_ARRIVED =
  /^(?:ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|UND_ERR_CONNECT_TIMEOUT|UND_ERR_PRX_TLS|UND_ERR_PRX_CONN|PROXY_REFUSED|ERR_TLS_.*|ERR_SSL_.*|ERR_INVALID_URL|ERR_INVALID_PROTOCOL|CERT_.*|UNABLE_TO_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO)$/;

/**
 * `code` is the system, TLS or undici error code of the cause; null when the request failed before it
 * was even made (fetch refused to build it), so it cannot have arrived either.
 */
export function networkError(baseUrl: string, cause: string, code?: string | null): InfiniumError {
  return new InfiniumError(
    'network',
    `Could not reach Infinium at ${baseUrl}: ${cause}`,
    'Check your network, the base URL, and HTTPS_PROXY/NO_PROXY if you are behind a proxy.',
    undefined,
    undefined,
    code !== null && !NEVER_ARRIVED.test(code ?? ''),
  );
}

/** A 3xx: not followed, since the agent key would go with it. `location` is already cleaned for showing. */
export function redirectError(baseUrl: string, status: number, location: string): InfiniumError {
  return new InfiniumError(
    'unexpected_response',
    `Infinium at ${baseUrl} answered with a redirect (HTTP ${status}) to ${location}; redirects are not followed, so the agent key is never sent elsewhere`,
    'Check the base URL (`infinium-codex doctor`); if the new address is Infinium, set it as the base URL.',
    status,
  );
}

/**
 * A 2xx that is not Infinium's answer (a web page, an empty or oversized body, JSON without a trace id):
 * not taken as delivery. `mayHaveArrived` when it was JSON from what may be Infinium itself.
 */
export function unexpectedAnswerError(
  baseUrl: string,
  status: number,
  what: string,
  mayHaveArrived: boolean,
): InfiniumError {
  return new InfiniumError(
    'unexpected_response',
    `The server at ${baseUrl} did not answer like Infinium (HTTP ${status}, ${what})`,
    'The trace stays in the outbox; check the base URL with `infinium-codex doctor`.',
    status,
    undefined,
    mayHaveArrived,
  );
}

export function timeoutError(baseUrl: string, seconds: number): InfiniumError {
  return new InfiniumError(
    'timeout',
    `Infinium at ${baseUrl} did not answer within ${seconds} s`,
    'Nothing to do: the trace stays in the outbox and is retried with backoff.',
    undefined,
    undefined,
    true,
  );
}
