// The HTTP client for Infinium's trace API. Without a proxy, Node's own http/https (./http.ts); with
// HTTPS_PROXY/HTTP_PROXY set for the base URL's host, undici's fetch with EnvHttpProxyAgent, because Node's
// http and built-in fetch ignore HTTPS_PROXY/HTTP_PROXY/NO_PROXY: undici is heavy to load (~100 ms of CPU),
// so it is loaded only then. TLS goes through Node either way, so NODE_EXTRA_CA_CERTS applies, or what the
// worker was handed of it (./extra-ca.ts). Never loaded
// by the hook.
import { inspect } from 'node:util';
import type { buildConnector, Pool } from 'undici';
import pkg from '../../package.json';
import {
  errorForStatus,
  InfiniumError,
  networkError,
  redirectError,
  timeoutError,
  unexpectedAnswerError,
} from './errors';
import { type Answer, ExchangeTimeout, exchange, handedCaContext, proxyFor } from './http';
import { decideRetry, type RetryPolicy } from './retry';
import { makeSecretScrubber } from './secret-forms';
import { serializeTaskData, type TaskData } from './task-data';

export const DEFAULT_BASE_URL = 'https://platform.i42m.ai/api/v1';
export const DEFAULT_TIMEOUT_MS = 30_000;
/** With `retry`: all attempts and the waits between them, together. */
const DEFAULT_DEADLINE_MS = 60_000;
export const USER_AGENT = `infinium-codex/${pkg.version}`;

/** A base URL as compared and sent: the same one with or without trailing slashes. */
export const trimBaseUrl = (baseUrl: string) => baseUrl.replace(/\/+$/, '');

/** An agent's id, secret and base URL. The secret is reachable only through `secret()`, never printed. */
export class AgentCredentials {
  readonly #secret: string;
  readonly baseUrl: string;

  constructor(
    readonly agentId: string,
    secret: string,
    baseUrl: string = DEFAULT_BASE_URL,
  ) {
    this.#secret = secret;
    this.baseUrl = trimBaseUrl(baseUrl);
  }

  secret(): string {
    return this.#secret;
  }

  toString(): string {
    return `AgentCredentials(${this.agentId} @ ${this.baseUrl})`;
  }

  toJSON(): { agentId: string; baseUrl: string } {
    return { agentId: this.agentId, baseUrl: this.baseUrl };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface ClientOptions {
  /** One attempt's limit: connecting (through a proxy too), sending and reading the answer. */
  timeoutMs?: number;
  /** Retry transient failures inside this call (the CLI); the worker schedules its own via the outbox. */
  retry?: RetryPolicy;
  /** With `retry`, the limit of the whole call: no attempt runs past it, no retry waits past it. */
  deadlineMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface SentTrace {
  /** Infinium's id for the trace: an answer without one is not taken as delivery. */
  traceId: string;
}

export interface HealthStatus {
  status: string;
  agentName?: string;
  timestamp?: string;
}

export async function sendTrace(
  agent: AgentCredentials,
  taskData: TaskData,
  options: ClientOptions = {},
): Promise<SentTrace> {
  const body = serializeTaskData(taskData);
  return withRetries(options, async (timeoutMs) => {
    const answer = await request(
      agent,
      'POST',
      `/agents/${encodeURIComponent(agent.agentId)}/trace`,
      body,
      timeoutMs,
      options,
    );
    const traceId = findTraceId(infiniumJson(agent, answer, 'the answer to a trace'));
    // JSON from Infinium but no id: it may hold the trace; nothing says so.
    if (traceId === undefined) {
      throw unexpectedAnswerError(
        agent.baseUrl,
        answer.status,
        'the answer to a trace holds no traceId',
        true,
      );
    }
    return { traceId };
  });
}

export async function health(agent: AgentCredentials, options: ClientOptions = {}): Promise<HealthStatus> {
  const record = await withRetries(options, async (timeoutMs) => {
    const answer = await request(
      agent,
      'GET',
      `/agents/${encodeURIComponent(agent.agentId)}/health`,
      undefined,
      timeoutMs,
      options,
    );
    const json = infiniumJson(agent, answer, 'the health check');
    if (typeof json.status !== 'string') {
      throw unexpectedAnswerError(
        agent.baseUrl,
        answer.status,
        'the health check answered without a status',
        false,
      );
    }
    return json;
  });
  // Printed in a line of their own (`test`, `init`, `doctor`): a name cannot start lines of its own.
  return {
    status: oneLine(record.status as string, 100),
    agentName: typeof record.agentName === 'string' ? oneLine(record.agentName, 200) : undefined,
    timestamp: typeof record.timestamp === 'string' ? record.timestamp : undefined,
  };
}

/**
 * Maestro's evaluation of a sent trace: `GET /agents/{id}/interpreted-result/{traceId}` (Infinium's
 * "maestro-results" docs). 404 means not ready yet (Maestro usually needs 5-30 s) and comes back as
 * `{ ready: false }`; a 200 gives `data.interpretedTraceResult`, returned exactly as received, since its
 * structure is not published. Other failures throw InfiniumError as for every call.
 */
export async function fetchEvaluation(
  agent: AgentCredentials,
  traceId: string,
  options: ClientOptions = {},
): Promise<{ ready: true; evaluation: unknown } | { ready: false }> {
  const path = `/agents/${encodeURIComponent(agent.agentId)}/interpreted-result/${encodeURIComponent(traceId)}`;
  let json: unknown;
  try {
    json = await withRetries(options, async (timeoutMs) =>
      infiniumJson(agent, await request(agent, 'GET', path, undefined, timeoutMs, options), 'the evaluation'),
    );
  } catch (error) {
    if (error instanceof InfiniumError && error.status === 404) return { ready: false };
    throw error;
  }
  const data = isRecord(json) && isRecord(json.data) ? json.data : undefined;
  if (!data || !('interpretedTraceResult' in data) || data.interpretedTraceResult === null) {
    return { ready: false };
  }
  return { ready: true, evaluation: data.interpretedTraceResult };
}

/**
 * The call's attempts, each given its time limit: `timeoutMs`, and with `retry` no more than is left of
 * the call's deadline. A retry whose wait would end past the deadline is not made.
 */
async function withRetries<T>(
  options: ClientOptions,
  attempt: (timeoutMs: number) => Promise<T>,
): Promise<T> {
  const policy = options.retry;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + (options.deadlineMs ?? DEFAULT_DEADLINE_MS);
  for (let failures = 0; ; ) {
    try {
      return await attempt(policy ? Math.min(timeoutMs, deadline - now()) : timeoutMs);
    } catch (error) {
      if (!policy || !(error instanceof InfiniumError)) throw error;
      failures += 1;
      const decision = decideRetry(error, failures, policy, options.random ?? Math.random);
      if (!decision.retry || now() + decision.delayMs >= deadline) throw error;
      await sleep(decision.delayMs);
    }
  }
}

/** Infinium's answers are small JSON; error reasons are cut to 300 characters anyway. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * One request. Redirects are never followed (the agent key would go with them, a POST would turn into a
 * GET): a 3xx is an error naming where it pointed. The body is read up to MAX_RESPONSE_BYTES, within the
 * same time limit as the whole call. Non-2xx answers throw InfiniumError; a 2xx returns its text.
 */
async function request(
  agent: AgentCredentials,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  timeoutMs: number,
  options: ClientOptions,
): Promise<Answer> {
  const now = options.now ?? Date.now;
  const scrub = makeSecretScrubber([agent.secret()]);
  const url = `${agent.baseUrl}${path}`;
  const headers = {
    'x-agent-id': agent.agentId,
    'x-agent-key': agent.secret(),
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
  };
  let answer: Answer;
  try {
    answer =
      proxyFor(agent.baseUrl) !== undefined
        ? await viaProxy(url, method, headers, body, timeoutMs)
        : await exchange(url, { method, headers, body, timeoutMs, maxBytes: MAX_RESPONSE_BYTES });
  } catch (error) {
    if (isTimeout(error)) throw timeoutError(agent.baseUrl, Math.round(timeoutMs / 100) / 10);
    throw networkError(agent.baseUrl, scrub(describeCause(error)), causeCode(error));
  }
  if (answer.status >= 300 && answer.status < 400) {
    throw redirectError(agent.baseUrl, answer.status, scrub(shownLocation(answer.headers.get('location'))));
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw errorForStatus(
      answer.status,
      agent.agentId,
      scrub(reasonFrom(answer.text)),
      answer.headers.get('retry-after'),
      now(),
    );
  }
  return answer;
}

/**
 * The request through undici's fetch and a proxy from the environment (NO_PROXY applied by undici). The
 * dispatcher is the call's own and is closed when the call ends: no connection of it is kept or retried
 * after (a TLS handshake stalled inside an open tunnel is left to undici's 10 s connect timeout).
 */
async function viaProxy(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<Answer> {
  // The default export, which is undici's module.exports everywhere: where a bundle puts undici (CommonJS)
  // in a chunk of its own, `import()` of it has no named exports. (Its typings omit some of what it holds.)
  const undici = (await import('undici')).default as unknown as typeof import('undici');
  const secureContext = handedCaContext();
  const dispatcher = new undici.EnvHttpProxyAgent({
    // The handed certificates for Infinium through the tunnel, for an HTTPS proxy, and past it (NO_PROXY).
    ...(secureContext && {
      requestTls: { secureContext },
      proxyTls: { secureContext },
      connect: { secureContext },
    }),
    factory: (origin, options) => {
      const poolOptions = options as Pool.Options;
      const connect = poolOptions.connect;
      return new undici.Pool(origin, {
        ...poolOptions,
        connect: typeof connect === 'function' ? tunnelFailureEnds(connect) : connect,
      });
    },
  });
  try {
    const response = await undici.fetch(url, {
      method,
      body,
      headers,
      redirect: 'manual',
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, headers: response.headers, ...(await readCapped(response)) };
  } finally {
    dispatcher.destroy().catch(() => {});
  }
}

/**
 * Failures to open the tunnel through the proxy, as errors that fail the request and say what happened.
 * undici (7.x) connects again at once, without end, when the proxy closes the connection before the tunnel
 * is open (nodejs/undici#3897: its client takes a socket error while no request runs as one to reconnect
 * after); given as another error (the code undici's later fix uses), it fails the request: one connection
 * attempt per request. A CONNECT answered with another status than 200 comes as an abort, which fetch
 * reports as "Request was cancelled."; it is named with its status.
 */
function tunnelFailureEnds(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) =>
    connect(options, (error, socket) => {
      if (!error) return callback(null, socket as NonNullable<typeof socket>);
      const code = (error as { code?: unknown }).code;
      const refused = code === 'UND_ERR_ABORTED' && /^Proxy response \((\d+)\)/.exec(error.message);
      if (refused) {
        const message = `the proxy answered CONNECT with HTTP ${refused[1]}${refused[1] === '407' ? ', Proxy Authentication Required: put user:password@ in the proxy URL' : ''}`;
        return callback(Object.assign(new Error(message), { code: 'PROXY_REFUSED' }), null);
      }
      if (code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_INFO') return callback(error, null);
      const message = `the proxy closed the connection before the tunnel was open: ${error.message}`;
      callback(Object.assign(new Error(message), { code: 'UND_ERR_PRX_CONN' }), null);
    });
}

/** The body's text, at most MAX_RESPONSE_BYTES of it; the rest is not read (the stream is cancelled). */
async function readCapped(response: {
  body: ReadableStream<Uint8Array> | null;
}): Promise<{ text: string; overflowed: boolean }> {
  if (!response.body) return { text: '', overflowed: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {});
      return {
        text: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8'),
        overflowed: true,
      };
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overflowed: false };
}

/** Where a redirect pointed, without what it may carry: a user:password part, a query, a fragment. */
function shownLocation(location: string | null): string {
  if (!location) return 'nowhere (no Location header)';
  try {
    const url = new URL(location);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return location.replace(/[?#].*$/, '').slice(0, 200);
  }
}

/**
 * The 2xx answer as Infinium's JSON object, or an `unexpected_response` error saying what came instead
 * (a web page from a proxy, captive portal or front-end at the base URL is not Infinium's answer).
 */
function infiniumJson(agent: AgentCredentials, answer: Answer, what: string): Record<string, unknown> {
  const type = answer.headers.get('content-type') ?? 'no content type';
  let json: unknown;
  try {
    json = answer.overflowed ? undefined : JSON.parse(answer.text);
  } catch {
    json = undefined;
  }
  if (isRecord(json)) return json;
  const why = answer.overflowed
    ? `more than ${MAX_RESPONSE_BYTES / 1024} KB`
    : answer.text.trim() === ''
      ? 'an empty body'
      : `not JSON (${type.split(';')[0]})`;
  throw unexpectedAnswerError(agent.baseUrl, answer.status, `${what}: ${why}`, false);
}

function findTraceId(json: unknown): string | undefined {
  if (!isRecord(json)) return undefined;
  for (const candidate of [json.traceId, isRecord(json.data) ? json.data.traceId : undefined]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate;
    if (typeof candidate === 'number') return String(candidate);
  }
  return undefined;
}

/** The server's own words, from a JSON `{error|message|detail}` or plain text, kept to one short line. */
function reasonFrom(text: string): string {
  let reason = text;
  try {
    const json: unknown = JSON.parse(text);
    if (isRecord(json)) {
      const found = [json.error, json.message, json.detail].find((v) => typeof v === 'string');
      if (typeof found === 'string') reason = found;
      else if (isRecord(json.error) && typeof json.error.message === 'string') reason = json.error.message;
    }
  } catch {
    // plain text body
  }
  return oneLine(reason, 300);
}

/** Server text for one line: every run of whitespace (line feeds too) one space, cut at `max` characters. */
function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof ExchangeTimeout ||
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  );
}

function ownCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The error code of what failed: Node's own error's (./http.ts), or the cause's of undici's fetch error;
 * null when fetch threw without a cause (it refused to build the request).
 */
function causeCode(error: unknown): string | null | undefined {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  if (cause === undefined) return ownCode(error) ?? (error instanceof TypeError ? null : undefined);
  return ownCode(cause);
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const failed = cause instanceof Error ? cause : error;
  const code = causeCode(error);
  return code ? `${code} (${failed.message})` : failed.message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
