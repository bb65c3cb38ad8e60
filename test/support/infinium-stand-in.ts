// A strict local stand-in for the Infinium API, on 127.0.0.1 and a random port. It checks requests with
// its own reading of the spec (not our client's validator, so a bug there cannot hide here), records every
// accepted trace, and can be told to misbehave for the next N requests.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type Failure =
  /** An answer of this status; a body of another type than JSON stands for what a proxy or portal sends. */
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  | { kind: 'rate_limit'; retryAfter?: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'drop' };

export interface ReceivedTrace {
  agentId: string;
  traceId: string;
  body: Record<string, unknown>;
  rawBody: string;
  userAgent: string | undefined;
  receivedAt: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number | 'dropped';
  /** Every header but the key, which tests must be able to print safely. */
  headers: Record<string, string | string[] | undefined>;
  /** How the request reached us: directly or through a proxy (absolute-form or CONNECT are the proxy's). */
  host: string | undefined;
}

export interface StandIn {
  /** Base URL including the `/api/v1` prefix, as a user would configure it. */
  url: string;
  port: number;
  traces: ReceivedTrace[];
  requests: RequestLogEntry[];
  agents: Map<string, string>;
  /** Every request line, header and body byte clients sent (bodies as far as they were read). */
  receivedBytes(): Buffer;
  /**
   * Maestro's side: how each trace's evaluation answers. `notReadyPolls` polls get 404 (Maestro still at
   * work) before the 200; `never` keeps answering 404; `result` makes the object returned.
   */
  evaluations: EvaluationBehaviour;
  /** Polls of the interpreted-result endpoint so far, per trace id. */
  evaluationPolls: Map<string, number>;
  /** Make the next `count` requests fail this way (queued after any failures already pending). */
  failNext(count: number, failure: Failure): void;
  /** Fail every request this way until `recover()`. */
  goDown(failure?: Failure): void;
  recover(): void;
  close(): Promise<void>;
}

export interface EvaluationBehaviour {
  notReadyPolls: number;
  never: boolean;
  result: (trace: ReceivedTrace) => unknown;
}

/** An evaluation of the kind Maestro might return; its real structure is not published. */
export function sampleEvaluation(trace: ReceivedTrace): unknown {
  return {
    score: 0.82,
    verdict: 'good',
    summary: `The agent completed "${String(trace.body.name).slice(0, 40)}" with minor detours.`,
    criteria: [
      { name: 'task completion', score: 0.9 },
      { name: 'efficiency', score: 0.7, note: 'one command was run twice' },
    ],
  };
}

const MAX_BODY_BYTES = 1_000_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** `tls`: answer over HTTPS with this key and certificate (test/fixtures/tls). */
export async function startStandIn(
  agents: Record<string, string>,
  options: { tls?: { key: string; cert: string } } = {},
): Promise<StandIn> {
  const agentMap = new Map(Object.entries(agents));
  const traces: ReceivedTrace[] = [];
  const requests: RequestLogEntry[] = [];
  const pending: Failure[] = [];
  let permanent: Failure | undefined;
  const sockets = new Set<Socket>();
  const received: Buffer[] = [];
  const evaluations: EvaluationBehaviour = { notReadyPolls: 0, never: false, result: sampleEvaluation };
  const evaluationPolls = new Map<string, number>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  };
  const server: Server = options.tls ? createTlsServer(options.tls, handler) : createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      head.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    received.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`));
    const drain = (request: IncomingMessage) => drainInto(request, received);
    const readBody = (request: IncomingMessage, limit: number) => readBodyInto(request, limit, received);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const { 'x-agent-key': _key, ...headers } = req.headers;
    const entry: RequestLogEntry = {
      method: req.method ?? '',
      path,
      status: 0,
      headers,
      host: req.headers.host,
    };
    requests.push(entry);
    const reply = (status: number, json: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(JSON.stringify(json));
    };

    const failure = permanent ?? pending.shift();
    if (failure) {
      if (failure.kind === 'drop') {
        entry.status = 'dropped';
        req.socket.destroy();
        return;
      }
      if (failure.kind === 'slow') {
        await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
      } else if (failure.kind === 'rate_limit') {
        await drain(req);
        return reply(
          429,
          { error: 'Too many requests' },
          failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter },
        );
      } else {
        await drain(req);
        entry.status = failure.status;
        res.writeHead(failure.status, { 'content-type': failure.contentType ?? 'application/json' });
        res.end(failure.body ?? JSON.stringify({ error: `injected ${failure.status}` }));
        return;
      }
    }

    const match = /^\/api\/v1\/agents\/([^/]+)\/(trace|health|interpreted-result\/([^/]+))$/.exec(path);
    if (!match) return reply(404, { error: 'Not found' });
    const agentId = decodeURIComponent(match[1] ?? '');
    const endpoint = match[2] ?? '';

    const headerId = req.headers['x-agent-id'];
    const headerKey = req.headers['x-agent-key'];
    if (
      typeof headerId !== 'string' ||
      typeof headerKey !== 'string' ||
      headerId === '' ||
      headerKey === ''
    ) {
      await drain(req);
      return reply(401, { error: 'Missing x-agent-id or x-agent-key header' });
    }
    if (headerId !== agentId) {
      await drain(req);
      return reply(401, { error: 'x-agent-id does not match the agent in the path' });
    }
    const secret = agentMap.get(agentId);
    if (secret === undefined) {
      await drain(req);
      return reply(404, { error: `Agent ${agentId} not found` });
    }
    if (headerKey !== secret) {
      await drain(req);
      return reply(401, { error: 'Invalid agent key' });
    }

    if (endpoint === 'health') {
      if (req.method !== 'GET') return reply(405, { error: 'Method not allowed' });
      return reply(200, {
        status: 'healthy',
        agentName: `agent ${agentId}`,
        timestamp: new Date().toISOString(),
      });
    }
    if (endpoint.startsWith('interpreted-result')) {
      if (req.method !== 'GET') return reply(405, { error: 'Method not allowed' });
      const taskId = decodeURIComponent(match[3] ?? '');
      const trace = traces.find((t) => t.traceId === taskId && t.agentId === agentId);
      if (!trace) return reply(404, { error: `Trace ${taskId} not found` });
      const polls = (evaluationPolls.get(taskId) ?? 0) + 1;
      evaluationPolls.set(taskId, polls);
      if (evaluations.never || polls <= evaluations.notReadyPolls) {
        return reply(404, { error: 'Interpreted result not ready yet' });
      }
      return reply(200, { success: true, data: { interpretedTraceResult: evaluations.result(trace) } });
    }

    if (req.method !== 'POST') return reply(405, { error: 'Method not allowed' });
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().startsWith('application/json')) {
      await drain(req);
      return reply(400, { error: 'Content-Type must be application/json' });
    }
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === null) return reply(413, { error: `Payload exceeds ${MAX_BODY_BYTES} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(400, { error: 'Body is not valid JSON' });
    }
    const problem = taskDataProblem(body);
    if (problem) return reply(422, { error: problem });
    const traceId = randomUUID();
    traces.push({
      agentId,
      traceId,
      body: body as Record<string, unknown>,
      rawBody: raw,
      userAgent: req.headers['user-agent'],
      receivedAt: Date.now(),
    });
    return reply(201, { success: true, data: { traceId } });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/api/v1`,
    port,
    traces,
    requests,
    agents: agentMap,
    evaluations,
    evaluationPolls,
    receivedBytes: () => Buffer.concat(received),
    failNext(count, failure) {
      for (let i = 0; i < count; i += 1) pending.push(failure);
    },
    goDown(failure = { kind: 'status', status: 503 }) {
      permanent = failure;
    },
    recover() {
      permanent = undefined;
      pending.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function drainInto(req: IncomingMessage, received: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    req.on('data', (chunk: Buffer) => received.push(chunk));
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}

/** The body as text, or null when it is over the limit (the rest is read and discarded). */
function readBodyInto(req: IncomingMessage, limit: number, received: Buffer[]): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      received.push(chunk);
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

/** The API's TaskData rules, read independently from the spec. Returns the first problem, or null. */
function taskDataProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.name !== 'string' || b.name.length < 1 || b.name.length > 500) {
    return 'name is required (1-500 characters)';
  }
  if (typeof b.description !== 'string' || b.description.length < 1 || b.description.length > 10_000) {
    return 'description is required (1-10000 characters)';
  }
  if (typeof b.current_datetime !== 'string' || !ISO.test(b.current_datetime)) {
    return 'current_datetime must be an ISO 8601 datetime';
  }
  if (typeof b.duration !== 'number' || b.duration < 0 || b.duration > 86_400) {
    return 'duration must be between 0 and 86400 seconds';
  }
  for (const key of ['input_summary', 'output_summary'] as const) {
    if (key in b && typeof b[key] !== 'string') return `${key} must be a string`;
  }
  for (const key of ['steps', 'errors'] as const) {
    if (key in b && !Array.isArray(b[key])) return `${key} must be an array`;
  }
  for (const key of ['llm_usage', 'environment', 'time_tracking', 'general'] as const) {
    if (key in b && (typeof b[key] !== 'object' || b[key] === null || Array.isArray(b[key]))) {
      return `${key} must be an object`;
    }
  }
  if (containsNull(b)) return 'null values are not allowed; omit absent fields';
  return null;
}

function containsNull(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.some(containsNull);
  if (typeof value === 'object') return Object.values(value as object).some(containsNull);
  return false;
}
