// The HTTP client for Infinium's trace API. Uses undici's fetch with EnvHttpProxyAgent because Node's
// built-in fetch ignores HTTPS_PROXY/HTTP_PROXY/NO_PROXY; TLS goes through Node, so NODE_EXTRA_CA_CERTS
// applies. Heavy to import (~120 ms): only the worker and the CLI load it, never the hook.
import { inspect } from 'node:util';
import { type Dispatcher, EnvHttpProxyAgent, fetch } from 'undici';
import pkg from '../../package.json';
import { errorForStatus, InfiniumError, networkError, timeoutError } from './errors';
import { decideRetry, type RetryPolicy } from './retry';
import { serializeTaskData, type TaskData } from './task-data';

export const DEFAULT_BASE_URL = 'https://platform.i42m.ai/api/v1';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const USER_AGENT = `infinium-codex/${pkg.version}`;

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
    this.baseUrl = baseUrl.replace(/\/+$/, '');
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
  timeoutMs?: number;
  /** Retry transient failures inside this call (the CLI); the worker schedules its own via the outbox. */
  retry?: RetryPolicy;
  dispatcher?: Dispatcher;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface SentTrace {
  /** Absent only when Infinium accepted the trace without saying its id. */
  traceId?: string;
}

export interface HealthStatus {
  status: string;
  agentName?: string;
  timestamp?: string;
}

let envDispatcher: Dispatcher | undefined;
function defaultDispatcher(): Dispatcher {
  envDispatcher ??= new EnvHttpProxyAgent();
  return envDispatcher;
}

export async function sendTrace(
  agent: AgentCredentials,
  taskData: TaskData,
  options: ClientOptions = {},
): Promise<SentTrace> {
  const body = serializeTaskData(taskData);
  const json = await withRetries(options, () =>
    request(agent, 'POST', `/agents/${encodeURIComponent(agent.agentId)}/trace`, body, options),
  );
  return { traceId: findTraceId(json) };
}

export async function health(agent: AgentCredentials, options: ClientOptions = {}): Promise<HealthStatus> {
  const json = await withRetries(options, () =>
    request(agent, 'GET', `/agents/${encodeURIComponent(agent.agentId)}/health`, undefined, options),
  );
  const record = isRecord(json) ? json : {};
  return {
    status: typeof record.status === 'string' ? record.status : 'ok',
    agentName: typeof record.agentName === 'string' ? record.agentName : undefined,
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
    json = await withRetries(options, () => request(agent, 'GET', path, undefined, options));
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

async function withRetries<T>(options: ClientOptions, attempt: () => Promise<T>): Promise<T> {
  const policy = options.retry;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let failures = 0; ; ) {
    try {
      return await attempt();
    } catch (error) {
      if (!policy || !(error instanceof InfiniumError)) throw error;
      failures += 1;
      const decision = decideRetry(error, failures, policy, options.random ?? Math.random);
      if (!decision.retry) throw error;
      await sleep(decision.delayMs);
    }
  }
}

async function request(
  agent: AgentCredentials,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  options: ClientOptions,
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  let response: Awaited<ReturnType<typeof fetch>>;
  let text: string;
  try {
    response = await fetch(`${agent.baseUrl}${path}`, {
      method,
      body,
      headers: {
        'x-agent-id': agent.agentId,
        'x-agent-key': agent.secret(),
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
      },
      dispatcher: options.dispatcher ?? defaultDispatcher(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if (isTimeout(error)) throw timeoutError(agent.baseUrl, Math.round(timeoutMs / 1000));
    throw networkError(agent.baseUrl, scrub(describeCause(error), agent), causeCode(error));
  }
  if (response.status < 200 || response.status >= 300) {
    throw errorForStatus(
      response.status,
      agent.agentId,
      scrub(reasonFrom(text), agent),
      response.headers.get('retry-after'),
      now(),
    );
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Accepted (2xx) but not JSON: the trace is in; sending again would duplicate it.
    return {};
  }
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
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}

/** A server or proxy could echo the key back; it must never reach an error message. */
function scrub(text: string, agent: AgentCredentials): string {
  const secret = agent.secret();
  return secret ? text.split(secret).join('[secret]') : text;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function causeCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  const code = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = causeCode(error);
    return code === undefined ? cause.message : `${code} (${cause.message})`;
  }
  return error.message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
