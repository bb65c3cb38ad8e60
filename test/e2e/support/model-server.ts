// A scripted stand-in for the OpenAI Responses API, on 127.0.0.1 and a random port. Codex POSTs
// `/v1/responses` and reads Server-Sent Events; each test says what the "model" answers to each request
// (tool calls, messages) and which usage it reports, so token sums in traces can be checked exactly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Usage {
  input: number;
  cached?: number;
  output: number;
  reasoning?: number;
}

/** One output item of a model response, in the Responses API's own shape. */
export type OutputItem = Record<string, unknown>;

export interface ModelReply {
  items: OutputItem[];
  usage: Usage;
  /** Hold the reply back this long (lets a test interrupt Codex while it waits). */
  delayMs?: number;
  /** Hold the reply back until this holds (checked every 25 ms, for at most 30 s): waits on the world. */
  holdUntil?: () => boolean;
  /**
   * Fail the response (`response.failed` with this error) instead of completing it, as the API does for a
   * request over the context window (`context_length_exceeded`): Codex ends the turn on it.
   */
  fail?: { code: string; message: string };
}

export interface ModelRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** True for a sub-agent thread's request (Codex marks them with `x-openai-subagent`). */
  subagent: boolean;
  /** Every `input` item's text, flattened, to let scripts tell threads and turns apart. */
  text: string;
  /** Names of the tools Codex offered in this request. */
  toolNames: string[];
  /** Tool outputs in the input (function, custom tool and tool_search outputs), by call id. */
  toolOutputs: Map<string, string>;
  /** Texts of the assistant messages already in the input (earlier answers of this thread). */
  assistantTexts: string[];
}

export type ModelScript = (request: ModelRequest, index: number) => ModelReply;

export interface ModelServer {
  /** Base URL for Codex's `model_providers.<id>.base_url`. */
  url: string;
  requests: ModelRequest[];
  /** Every usage sent, in order, to compare with the token sums of traces. */
  replies: ModelReply[];
  setScript(script: ModelScript): void;
  close(): Promise<void>;
}

export async function startModelServer(script?: ModelScript): Promise<ModelServer> {
  let current: ModelScript | undefined = script;
  const requests: ModelRequest[] = [];
  const replies: ModelReply[] = [];
  const sockets = new Set<Socket>();
  let responseCounter = 0;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error instanceof Error ? error.stack : error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'POST' || !path.startsWith('/v1/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const request = describeRequest(path, req.headers, body);
    const index = requests.length;
    requests.push(request);
    if (!current) throw new Error('model server: no script set');
    const reply = current(request, index);
    replies.push(reply);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    for (let waited = 0; reply.holdUntil && !reply.holdUntil() && waited < 30_000; waited += 25) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    responseCounter += 1;
    writeStream(res, `resp_${responseCounter}`, reply);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    replies,
    setScript(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function writeStream(res: ServerResponse, id: string, reply: ModelReply): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (event: Record<string, unknown> & { type: string }) =>
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  send({ type: 'response.created', response: { id } });
  reply.items.forEach((item, outputIndex) => {
    send({ type: 'response.output_item.added', output_index: outputIndex, item });
    send({ type: 'response.output_item.done', output_index: outputIndex, item });
  });
  if (reply.fail) {
    send({ type: 'response.failed', response: { id, status: 'failed', error: reply.fail } });
    res.end();
    return;
  }
  const { input, cached = 0, output, reasoning = 0 } = reply.usage;
  send({
    type: 'response.completed',
    response: {
      id,
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: cached },
        output_tokens: output,
        output_tokens_details: { reasoning_tokens: reasoning },
        total_tokens: input + output,
      },
    },
  });
  res.end();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function describeRequest(
  path: string,
  headers: IncomingMessage['headers'],
  body: Record<string, unknown>,
): ModelRequest {
  const input = Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : [];
  const toolOutputs = new Map<string, string>();
  const texts: string[] = [];
  const assistantTexts: string[] = [];
  for (const item of input) {
    if (item.type === 'message' && item.role === 'assistant') assistantTexts.push(outputText(item.content));
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      toolOutputs.set(String(item.call_id), outputText(item.output));
    } else if (item.type === 'tool_search_output') {
      toolOutputs.set(String(item.call_id), JSON.stringify(item.tools));
    }
    texts.push(JSON.stringify(item));
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  return {
    path,
    headers,
    body,
    subagent: headers['x-openai-subagent'] !== undefined,
    text: texts.join('\n'),
    toolNames: tools.map((tool) => String(tool.name ?? tool.type)),
    toolOutputs,
    assistantTexts,
  };
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output.map((part) => (typeof part === 'object' && part ? String(part.text ?? '') : '')).join('');
  }
  return JSON.stringify(output);
}

/**
 * A thread's replies in order, across turns and resumes: each request gets the first reply not yet
 * reflected in its input (a tool-call reply is used up once Codex sent all its outputs back; a message
 * reply once the message is in the history). Retries and concurrent threads therefore cannot shift it.
 */
export function conversation(replies: ModelReply[]): ModelScript {
  return (request) => {
    const next = replies.find((reply) => !consumed(reply, request));
    if (!next) throw new Error(`model script exhausted after ${replies.length} replies`);
    return next;
  };
}

/** Routes root-thread requests and sub-agent requests to their own scripts. */
export function withSubagent(root: ModelScript, subagent: ModelScript): ModelScript {
  return (request, index) => (request.subagent ? subagent(request, index) : root(request, index));
}

function consumed(reply: ModelReply, request: ModelRequest): boolean {
  const callIds = reply.items.filter((item) => 'call_id' in item).map((item) => String(item.call_id));
  if (callIds.length > 0) return callIds.every((id) => request.toolOutputs.has(id));
  const texts = reply.items.filter((item) => item.type === 'message').map((item) => outputText(item.content));
  return texts.length > 0 && texts.every((text) => request.assistantTexts.includes(text));
}

// Builders for the items a script returns.

export function message(text: string): OutputItem {
  return {
    type: 'message',
    role: 'assistant',
    id: `msg_${Math.random().toString(36).slice(2, 10)}`,
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

export function execCommand(callId: string, cmd: string, yieldTimeMs = 10_000): OutputItem {
  return {
    type: 'function_call',
    call_id: callId,
    name: 'exec_command',
    arguments: JSON.stringify({ cmd, yield_time_ms: yieldTimeMs }),
  };
}

export function functionCall(callId: string, name: string, args: Record<string, unknown>): OutputItem {
  return { type: 'function_call', call_id: callId, name, arguments: JSON.stringify(args) };
}

/** MCP tools are deferred in Codex 0.169: the model first finds them with `tool_search`. */
export function toolSearch(callId: string, query: string): OutputItem {
  return {
    type: 'tool_search_call',
    call_id: callId,
    execution: 'client',
    status: 'completed',
    arguments: { query },
  };
}

export function applyPatch(callId: string, patch: string): OutputItem {
  return { type: 'custom_tool_call', call_id: callId, name: 'apply_patch', input: patch };
}
