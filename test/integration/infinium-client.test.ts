import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { inspect, promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentCredentials,
  health,
  MAX_RESPONSE_BYTES,
  sendTrace,
  USER_AGENT,
} from '../../src/infinium/client';
import { InfiniumError } from '../../src/infinium/errors';
import { CLIENT_RETRY } from '../../src/infinium/retry';
import type { TaskData } from '../../src/infinium/task-data';
import { startProxy, type TestProxy } from '../support/http-proxy';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT_ID = '6f1c2a9e-3b1d-4d7e-9a55-0c1d2e3f4a5b';
const SECRET = 'sk-agent-SECRET-value-7f3e9c1b';

const trace: TaskData = {
  name: 'Codex turn',
  description: 'A turn of a Codex CLI session',
  current_datetime: '2026-11-25T11:32:58.824Z',
  duration: 3.2,
  input_summary: 'first prompt',
  steps: [{ step_number: 1, action: 'user_prompt', description: 'User prompt', status: 'success' }],
};

let server: StandIn;
let agent: AgentCredentials;
const noSleep = async () => {};

beforeAll(async () => {
  server = await startStandIn({ [AGENT_ID]: SECRET });
  agent = new AgentCredentials(AGENT_ID, SECRET, `${server.url}/`);
});
afterAll(() => server.close());
afterEach(() => {
  server.recover();
  server.traces.length = 0;
  server.requests.length = 0;
});

async function failure(promise: Promise<unknown>): Promise<InfiniumError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InfiniumError);
    return error as InfiniumError;
  }
  throw new Error('expected the call to fail');
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function expectNoSecret(error: InfiniumError): void {
  for (const text of [error.message, error.hint, String(error), inspect(error), JSON.stringify(error)]) {
    expect(text).not.toContain(SECRET);
  }
}

describe('sendTrace against the stand-in', () => {
  it('sends the body with the required headers and returns the trace id', async () => {
    const sent = await sendTrace(agent, trace);
    expect(sent.traceId).toBe(server.traces[0]?.traceId);
    expect(server.traces).toHaveLength(1);
    expect(server.traces[0]?.body).toEqual(trace);
    expect(server.traces[0]?.userAgent).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^infinium-codex\/\d+\.\d+\.\d+/);
    const request = server.requests[0];
    expect(request?.path).toBe(`/api/v1/agents/${AGENT_ID}/trace`);
    expect(request?.headers['x-agent-id']).toBe(AGENT_ID);
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('checks health', async () => {
    const status = await health(agent);
    expect(status.status).toBe('healthy');
    expect(status.agentName).toBe(`agent ${AGENT_ID}`);
  });

  it('keeps the health answer’s words on one line: a name cannot add lines to what test and doctor print', async () => {
    const forged = {
      status: 'healthy\n✓ forged',
      agentName: 'mine\r\n✓ Config: agent x at https://elsewhere',
    };
    server.failNext(1, { kind: 'status', status: 200, body: JSON.stringify(forged) });
    const status = await health(agent);
    expect(status).toMatchObject({
      status: 'healthy ✓ forged',
      agentName: 'mine ✓ Config: agent x at https://elsewhere',
    });
  });

  it('maps a wrong secret to an authentication error that never shows the secret', async () => {
    const wrong = new AgentCredentials(AGENT_ID, 'not-the-secret', server.url);
    const error = await failure(sendTrace(wrong, trace));
    expect(error.kind).toBe('authentication');
    expect(error.status).toBe(401);
    expect(error.transient).toBe(false);
    expect(error.message).toContain('Invalid agent key');
    expect(error.message).not.toContain('not-the-secret');
  });

  it('maps an unknown agent to not_found', async () => {
    const other = new AgentCredentials('00000000-0000-0000-0000-000000000000', SECRET, server.url);
    const error = await failure(health(other));
    expect(error.kind).toBe('not_found');
    expectNoSecret(error);
  });

  it('maps 422 and 413 to payload_rejected with the reason', async () => {
    server.failNext(1, { kind: 'status', status: 422, body: '{"error":"steps[3].status is invalid"}' });
    const rejected = await failure(sendTrace(agent, trace, { retry: CLIENT_RETRY, sleep: noSleep }));
    expect(rejected.kind).toBe('payload_rejected');
    expect(rejected.message).toContain('steps[3].status is invalid');
    expect(server.requests).toHaveLength(1);
    server.failNext(1, { kind: 'status', status: 413 });
    expect((await failure(sendTrace(agent, trace))).kind).toBe('payload_rejected');
  });

  it('maps 429 to rate_limited with Retry-After', async () => {
    server.failNext(1, { kind: 'rate_limit', retryAfter: '42' });
    const error = await failure(sendTrace(agent, trace));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(42);
    expect(error.transient).toBe(true);
  });

  it('maps 5xx to server', async () => {
    server.failNext(1, { kind: 'status', status: 502 });
    expect((await failure(sendTrace(agent, trace))).kind).toBe('server');
  });

  it('maps a slow server to timeout', async () => {
    server.failNext(1, { kind: 'slow', delayMs: 1_000 });
    const error = await failure(sendTrace(agent, trace, { timeoutMs: 150 }));
    expect(error.kind).toBe('timeout');
    // The server may still store it: a resend may be a duplicate.
    expect(error.mayHaveArrived).toBe(true);
  });

  it('maps a dropped connection and a closed port to network errors; only the first may have arrived', async () => {
    server.failNext(1, { kind: 'drop' });
    const dropped = await failure(sendTrace(agent, trace));
    expect(dropped.kind).toBe('network');
    expect(dropped.mayHaveArrived).toBe(true);
    const closed = new AgentCredentials(AGENT_ID, SECRET, `http://127.0.0.1:${await closedPort()}/api/v1`);
    const error = await failure(health(closed));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.mayHaveArrived).toBe(false);
    expectNoSecret(error);
    server.failNext(1, { kind: 'status', status: 503 });
    expect((await failure(sendTrace(agent, trace))).mayHaveArrived).toBe(false);
  });

  it('retries transient failures and delivers once', async () => {
    server.failNext(2, { kind: 'status', status: 500 });
    server.failNext(1, { kind: 'rate_limit', retryAfter: '1' });
    const delays: number[] = [];
    const sent = await sendTrace(agent, trace, {
      retry: CLIENT_RETRY,
      random: () => 0,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(sent.traceId).toBeDefined();
    expect(server.traces).toHaveLength(1);
    expect(delays).toEqual([500, 1_000, 2_000]);
  });

  it('does not retry a permanent failure', async () => {
    const wrong = new AgentCredentials(AGENT_ID, 'nope', server.url);
    await failure(sendTrace(wrong, trace, { retry: CLIENT_RETRY, sleep: noSleep }));
    expect(server.requests).toHaveLength(1);
  });

  it('stops after the last attempt', async () => {
    server.goDown();
    const error = await failure(sendTrace(agent, trace, { retry: CLIENT_RETRY, sleep: noSleep }));
    expect(error.kind).toBe('server');
    expect(server.requests).toHaveLength(CLIENT_RETRY.maxAttempts);
  });

  it('with retries, the attempts and the waits between them fit one deadline', async () => {
    server.goDown();
    let clock = 0;
    const delays: number[] = [];
    const options = {
      retry: CLIENT_RETRY,
      deadlineMs: 2_000,
      random: () => 0,
      now: () => clock,
      sleep: async (ms: number) => {
        delays.push(ms);
        clock += ms;
      },
    };
    expect((await failure(sendTrace(agent, trace, options))).kind).toBe('server');
    // 500 ms then 1 s; the next wait (2 s) would end past the deadline.
    expect(delays).toEqual([500, 1_000]);
    expect(server.requests).toHaveLength(3);
  });

  it('with retries, an attempt gets no more time than is left of the deadline', async () => {
    server.failNext(1, { kind: 'slow', delayMs: 5_000 });
    const error = await failure(
      sendTrace(agent, trace, { retry: CLIENT_RETRY, deadlineMs: 400, timeoutMs: 30_000, sleep: noSleep }),
    );
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 0\.4 s$/);
    expect(server.requests).toHaveLength(1);
  });

  it('never sends an invalid body', async () => {
    await expect(sendTrace(agent, { ...trace, name: '' })).rejects.toThrow(/name must be/);
    expect(server.requests).toHaveLength(0);
  });

  it('scrubs the secret if a server echoes it back, in any common form', async () => {
    const b64 = Buffer.from(SECRET).toString('base64');
    for (const echo of [
      SECRET,
      b64,
      Buffer.from(`${AGENT_ID}:${SECRET}`).toString('base64'),
      encodeURIComponent(`k=${SECRET}`),
      `${SECRET.slice(0, 16)}…`,
    ]) {
      server.failNext(1, { kind: 'status', status: 500, body: JSON.stringify({ error: `bad key ${echo}` }) });
      const error = await failure(sendTrace(agent, trace));
      expect(error.message).toContain('bad key ');
      expect(error.message).toContain('[REDACTED:agent-secret]');
      expectNoSecret(error);
      expect(error.message).not.toContain(b64.slice(2, 20));
      expect(error.message).not.toContain(SECRET.slice(0, 12));
    }
  });
});

/** A server on 127.0.0.1 answering every request with `handler`; logs what reached it. */
async function tinyServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; log: string[]; close(): Promise<void> }> {
  const log: string[] = [];
  const http = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      log.push(`${req.method} ${req.url} key=${req.headers['x-agent-key'] ?? ''}`);
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

// redirect-silent-loss: a base URL that redirects (to a web front-end on another origin).
describe('redirect-silent-loss', () => {
  it.each([301, 302, 307, 308])(
    'a %i is an error naming where it pointed; nothing follows it',
    async (status) => {
      const spa = await tinyServer((req, res) => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<!doctype html><div id="root"></div>');
        } else {
          res.writeHead(405);
          res.end();
        }
      });
      const redirector = await tinyServer((req, res) => {
        res.writeHead(status, { location: `${spa.url.replace('127.0.0.1', 'localhost')}${req.url}?t=1` });
        res.end();
      });
      try {
        const via = new AgentCredentials(AGENT_ID, SECRET, redirector.url);
        const sent = await failure(sendTrace(via, trace));
        expect(sent.kind).toBe('unexpected_response');
        expect(sent.message).toContain(`redirect (HTTP ${status}) to http://localhost:`);
        expect(sent.message).toContain(`/agents/${AGENT_ID}/trace`);
        expect(sent.message).not.toContain('?t=1');
        expect(sent.mayHaveArrived).toBe(false);
        expectNoSecret(sent);
        expect((await failure(health(via))).message).toContain('redirect');
        expect(spa.log).toEqual([]);
        expect(redirector.log).toHaveLength(2);
      } finally {
        await spa.close();
        await redirector.close();
      }
    },
  );

  it("a 2xx that is a web page, or JSON without a trace id, is not delivery; health needs Infinium's JSON", async () => {
    const spa = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><div id="root"></div>');
    });
    const idless = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    try {
      const page = await failure(sendTrace(new AgentCredentials(AGENT_ID, SECRET, spa.url), trace));
      expect(page.kind).toBe('unexpected_response');
      expect(page.message).toContain('not JSON (text/html)');
      expect(page.mayHaveArrived).toBe(false);
      expect(page.transient).toBe(true);
      const noId = await failure(sendTrace(new AgentCredentials(AGENT_ID, SECRET, idless.url), trace));
      expect(noId.message).toContain('no traceId');
      expect(noId.mayHaveArrived).toBe(true);
      expect((await failure(health(new AgentCredentials(AGENT_ID, SECRET, spa.url)))).message).toContain(
        'did not answer like Infinium',
      );
      expect((await failure(health(new AgentCredentials(AGENT_ID, SECRET, idless.url)))).message).toContain(
        'without a status',
      );
    } finally {
      await spa.close();
      await idless.close();
    }
  });
});

// unbounded-response-body: an endless 200 and a 200 MB 500 are read only up to the cap, then dropped.
describe('unbounded-response-body', () => {
  it('an endless body is cut off at the cap, not read for 30 s', async () => {
    const chunk = Buffer.alloc(1 << 16, 0x61);
    const endless = await tinyServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (res.write(chunk)) {}
      };
      res.on('drain', pump);
      req.socket.on('close', () => res.destroy());
      pump();
    });
    try {
      const before = process.memoryUsage().rss;
      const error = await failure(
        sendTrace(new AgentCredentials(AGENT_ID, SECRET, endless.url), trace, { timeoutMs: 20_000 }),
      );
      expect(error.kind).toBe('unexpected_response');
      expect(error.message).toContain(`more than ${MAX_RESPONSE_BYTES / 1024} KB`);
      expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    } finally {
      await endless.close();
    }
  });

  it('a huge error body gives a short reason', async () => {
    const mb = Buffer.alloc(1 << 20, 0x61);
    const huge = await tinyServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      let sent = 0;
      const pump = () => {
        while (sent < 200) {
          sent += 1;
          if (!res.write(mb)) return;
        }
        res.end();
      };
      res.on('drain', pump);
      pump();
    });
    try {
      const error = await failure(sendTrace(new AgentCredentials(AGENT_ID, SECRET, huge.url), trace));
      expect(error.kind).toBe('server');
      expect(error.message.length).toBeLessThan(500);
    } finally {
      await huge.close();
    }
  });
});

describe('AgentCredentials', () => {
  it('never prints the secret', () => {
    const texts = [String(agent), `${agent}`, JSON.stringify(agent), inspect(agent), inspect({ agent })];
    for (const text of texts) expect(text).not.toContain(SECRET);
    expect(agent.secret()).toBe(SECRET);
    expect(agent.baseUrl).toBe(server.url);
  });
});

describe('the stand-in is strict', () => {
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/agents/${AGENT_ID}/trace`, { method: 'POST', body, headers });
  const auth = { 'x-agent-id': AGENT_ID, 'x-agent-key': SECRET, 'content-type': 'application/json' };

  it('rejects missing headers with 401', async () => {
    expect((await post(JSON.stringify(trace), { 'content-type': 'application/json' })).status).toBe(401);
  });

  it('rejects a body over 1 MB with 413', async () => {
    const res = await post(JSON.stringify({ ...trace, input_summary: 'x'.repeat(1_000_001) }), auth);
    expect(res.status).toBe(413);
  });

  it('rejects a body that breaks the TaskData rules with 422 and the reason', async () => {
    const res = await post(JSON.stringify({ ...trace, duration: 90_000 }), auth);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'duration must be between 0 and 86400 seconds' });
    expect(server.traces).toHaveLength(0);
  });
});

describe('proxy settings from the environment', () => {
  let proxy: TestProxy;
  /** The stand-in under a name only the proxy resolves: a request that skipped the proxy cannot arrive. */
  let remote: string;
  beforeAll(async () => {
    proxy = await startProxy({ hosts: { 'infinium.test': '127.0.0.1' } });
    remote = `http://infinium.test:${server.port}/api/v1`;
  });
  afterAll(() => proxy.close());

  const run = promisify(execFile);
  async function sendFromChild(
    extraEnv: Record<string, string>,
    baseUrl = remote,
  ): Promise<{ traceId?: string; error?: string }> {
    const env: Record<string, string | undefined> = { ...process.env, ...extraEnv };
    for (const key of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
      if (!(key in extraEnv)) delete env[key];
    }
    Object.assign(env, { TEST_AGENT_ID: AGENT_ID, TEST_AGENT_SECRET: SECRET, TEST_BASE_URL: baseUrl });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/support/send-one-trace.ts'], {
      env,
    });
    return JSON.parse(stdout);
  }

  it('goes through HTTP_PROXY', async () => {
    proxy.targets.length = 0;
    const sent = await sendFromChild({ HTTP_PROXY: proxy.url, NO_PROXY: '' });
    expect(sent.traceId).toBeDefined();
    expect(proxy.targets).toEqual([`infinium.test:${server.port}`]);
    expect(server.traces).toHaveLength(1);
  });

  it.each([
    ['the host', 'infinium.test'],
    ['a parent domain', '.test'],
    ['the host and port', `infinium.test:${80}, other.example`],
  ])('bypasses the proxy for NO_PROXY naming %s', async (_label, noProxy) => {
    proxy.targets.length = 0;
    const sent = await sendFromChild({
      HTTP_PROXY: proxy.url,
      NO_PROXY: noProxy.replace(':80', `:${server.port}`),
    });
    // Straight to infinium.test, which resolves nowhere here.
    expect(sent.error).toMatch(/Could not reach Infinium/);
    expect(proxy.targets).toEqual([]);
  });

  it('F11: never sends this machine (localhost, 127/8) through a proxy, whatever NO_PROXY says', async () => {
    proxy.targets.length = 0;
    const before = proxy.receivedBytes().length;
    for (const host of ['127.0.0.1', 'localhost']) {
      const sent = await sendFromChild(
        { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '' },
        `http://${host}:${server.port}/api/v1`,
      );
      expect(sent.traceId, sent.error).toBeDefined();
    }
    expect(server.traces).toHaveLength(2);
    expect(proxy.targets).toEqual([]);
    expect(proxy.receivedBytes().length).toBe(before);
  });

  it('reports a dead proxy as a network error', async () => {
    const sent = await sendFromChild({ HTTP_PROXY: `http://127.0.0.1:${await closedPort()}`, NO_PROXY: '' });
    expect(sent.error).toMatch(/Could not reach Infinium/);
    expect(sent.error).not.toContain(SECRET);
  });
});

// O2: a proxy that refuses the tunnel by closing the CONNECT made undici reconnect at once, without end
// (thousands of connections a second, for as long as the process lived). Each request is one connection
// attempt within its deadline, and nothing of it is left running after.
describe('a proxy that refuses the tunnel', () => {
  const remote = 'https://infinium.test/api/v1';
  async function throughProxy<T>(proxy: TestProxy, call: () => Promise<T>): Promise<T> {
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    Object.assign(process.env, { HTTPS_PROXY: proxy.url, NO_PROXY: '' });
    try {
      return await call();
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }

  it.each([
    ['closes the CONNECT', 'close' as const, /the proxy closed the connection before the tunnel was open/],
    ['answers 407', 407, /the proxy answered CONNECT with HTTP 407, Proxy Authentication Required/],
    ['answers 502', 502, /the proxy answered CONNECT with HTTP 502\)$/],
  ])('%s: one attempt, a network error that says so, and nothing sent', async (_label, refuse, message) => {
    const proxy = await startProxy({ refuse });
    try {
      const error = await failure(
        throughProxy(proxy, () => sendTrace(new AgentCredentials(AGENT_ID, SECRET, remote), trace)),
      );
      expect(error.kind).toBe('network');
      expect(error.message).toMatch(message);
      expect(error.mayHaveArrived).toBe(false);
      expectNoSecret(error);
      // Let a reconnect loop show itself, if there were one.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(proxy.targets).toEqual(['infinium.test:443']);
    } finally {
      await proxy.close();
    }
  });

  it('with retries: as many connections as attempts', async () => {
    const proxy = await startProxy({ refuse: 'close' });
    try {
      await failure(
        throughProxy(proxy, () =>
          health(new AgentCredentials(AGENT_ID, SECRET, remote), { retry: CLIENT_RETRY, sleep: noSleep }),
        ),
      );
      expect(proxy.targets).toHaveLength(CLIENT_RETRY.maxAttempts);
    } finally {
      await proxy.close();
    }
  });

  it('never answers: a timeout at the deadline, and the connection to the proxy is closed', async () => {
    const proxy = await startProxy({ refuse: 'silent' });
    try {
      const error = await failure(
        throughProxy(proxy, () => health(new AgentCredentials(AGENT_ID, SECRET, remote), { timeoutMs: 500 })),
      );
      expect(error.kind).toBe('timeout');
      expect(proxy.targets).toEqual(['infinium.test:443']);
      await expect.poll(() => proxy.openConnections()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
