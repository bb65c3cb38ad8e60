// The rollout (transcript) line format, as Codex 0.169 writes it (codex-hooks.md), plus the older shapes
// still found in long-lived sessions. Each JSONL line becomes one typed record; line types and fields we do
// not use are ignored, so a newer Codex that adds some does not break us. Pure: no fs.

export interface TokenCounts {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

export interface SessionFacts {
  id?: string;
  cliVersion?: string;
  provider?: string;
  originator?: string;
  source?: string;
  gitBranch?: string;
  gitCommit?: string;
}

interface Stamped {
  /** The line's `timestamp`, epoch ms (NaN-free: lines without a valid one get the previous line's). */
  atMs: number;
}

export type RolloutRecord = Stamped &
  (
    | { kind: 'session_meta'; session: SessionFacts }
    | { kind: 'turn_context'; turnId?: string; model?: string }
    | { kind: 'task_started'; turnId?: string }
    | { kind: 'task_complete'; turnId?: string; durationMs?: number; lastMessage?: string }
    | { kind: 'turn_aborted'; turnId?: string; reason?: string; durationMs?: number }
    /** The real prompt (item_completed UserMessage; `user_message` event in older builds). */
    | { kind: 'user_prompt'; text: string }
    /**
     * The text a blocking Stop hook gave Codex to continue the same turn (a HookPrompt item; Codex also
     * writes it as a user message wrapped in <hook_prompt>, which is not read).
     */
    | { kind: 'hook_prompt'; text: string }
    /**
     * The assistant's visible text: an item_completed AgentMessage (`agent_message` event in older
     * builds), which Codex follows with the same text as a response_item message. A response_item message
     * alone is not shown to the user (a compaction summary, for one).
     */
    | { kind: 'agent_message'; text: string; source: 'event' | 'response' }
    /** function_call, custom_tool_call or local_shell_call. `input` is the command, patch or raw arguments. */
    | { kind: 'tool_call'; callId: string; name: string; input: string; args?: Record<string, unknown> }
    | { kind: 'tool_output'; callId: string; output: string; exitCode?: number; durationMs?: number }
    /** An item_completed for a tool call: the richest facts (exit code, duration, files, MCP result). */
    | { kind: 'tool_item'; callId: string; item: ToolItem }
    | { kind: 'token_usage'; turnId?: string; responseId?: string; usage: TokenCounts }
    | { kind: 'token_count'; total?: TokenCounts; last?: TokenCounts }
    | { kind: 'compaction'; summary?: string }
  );

export type ToolItem =
  | {
      type: 'command';
      command: string;
      output?: string;
      exitCode?: number;
      durationMs?: number;
      status?: string;
      startedAtMs?: number;
    }
  | {
      type: 'file_change';
      files: string[];
      output?: string;
      status?: string;
      startedAtMs?: number;
      durationMs?: number;
    }
  | {
      type: 'mcp';
      server?: string;
      tool?: string;
      output?: string;
      failed: boolean;
      status?: string;
      startedAtMs?: number;
      durationMs?: number;
    }
  | {
      type: 'other';
      itemType: string;
      /** What the item names as its subject (a web search's query, an image's path), when it does. */
      input?: string;
      status?: string;
      startedAtMs?: number;
      durationMs?: number;
    };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** Thrown-away sentinel: the line was not JSON (torn, or garbage). The reader counts these. */
export const UNPARSEABLE = Symbol('unparseable');

/**
 * Parses one rollout line. Returns UNPARSEABLE for a line that is not a JSON object, null for a line we
 * have no use for (unknown type or shape), else the record. `previousAtMs` stamps lines without a time.
 */
export function parseRolloutLine(
  line: string,
  previousAtMs: number,
): RolloutRecord | null | typeof UNPARSEABLE {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return UNPARSEABLE;
  }
  if (!isObject(json)) return UNPARSEABLE;
  const parsedAt = typeof json.timestamp === 'string' ? Date.parse(json.timestamp) : Number.NaN;
  const atMs = Number.isNaN(parsedAt) ? previousAtMs : parsedAt;
  const payload = json.payload;
  if (!isObject(payload)) return null;
  switch (json.type) {
    case 'session_meta':
      return { atMs, kind: 'session_meta', session: sessionFacts(payload) };
    case 'turn_context':
      return { atMs, kind: 'turn_context', turnId: str(payload.turn_id), model: str(payload.model) };
    case 'event_msg':
      return eventRecord(payload, atMs);
    case 'response_item':
      return responseRecord(payload, atMs);
    case 'token_usage_record': {
      const usage = tokenCounts(payload.usage);
      if (!usage) return null;
      return {
        atMs,
        kind: 'token_usage',
        turnId: str(payload.turn_id),
        responseId: str(payload.response_id),
        usage,
      };
    }
    case 'compacted':
      return { atMs, kind: 'compaction', summary: str(payload.message) };
    default:
      return null;
  }
}

function sessionFacts(payload: Json): SessionFacts {
  const git = isObject(payload.git) ? payload.git : {};
  return {
    id: str(payload.id) ?? str(payload.session_id),
    cliVersion: str(payload.cli_version),
    provider: str(payload.model_provider),
    originator: str(payload.originator),
    source: str(payload.source),
    gitBranch: str(git.branch),
    gitCommit: str(git.commit_hash),
  };
}

/** Reads a usage object; older files may lack total_tokens (= input + output by definition). */
export function tokenCounts(value: unknown): TokenCounts | undefined {
  if (!isObject(value)) return undefined;
  const input = num(value.input_tokens);
  const output = num(value.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  return {
    input: input ?? 0,
    cached: num(value.cached_input_tokens) ?? 0,
    output: output ?? 0,
    reasoning: num(value.reasoning_output_tokens) ?? 0,
    total: num(value.total_tokens) ?? (input ?? 0) + (output ?? 0),
  };
}

function eventRecord(payload: Json, atMs: number): RolloutRecord | null {
  switch (payload.type) {
    case 'task_started':
      return { atMs, kind: 'task_started', turnId: str(payload.turn_id) };
    case 'task_complete':
      return {
        atMs,
        kind: 'task_complete',
        turnId: str(payload.turn_id),
        durationMs: num(payload.duration_ms),
        lastMessage: str(payload.last_agent_message),
      };
    case 'turn_aborted':
      return {
        atMs,
        kind: 'turn_aborted',
        turnId: str(payload.turn_id),
        reason: str(payload.reason),
        durationMs: num(payload.duration_ms),
      };
    case 'token_count': {
      const info = isObject(payload.info) ? payload.info : undefined;
      if (!info) return null;
      return {
        atMs,
        kind: 'token_count',
        total: tokenCounts(info.total_token_usage),
        last: tokenCounts(info.last_token_usage),
      };
    }
    case 'user_message': {
      const text = str(payload.message);
      return text === undefined ? null : { atMs, kind: 'user_prompt', text };
    }
    case 'agent_message': {
      const text = str(payload.message);
      return text === undefined ? null : { atMs, kind: 'agent_message', text, source: 'event' };
    }
    case 'context_compacted':
      return { atMs, kind: 'compaction' };
    case 'item_completed':
      return completedItem(payload, atMs);
    default:
      return null;
  }
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isObject(part) ? (str(part.text) ?? '') : ''))
    .filter((text) => text !== '')
    .join('\n');
}

function spanMs(payload: Json): { startedAtMs?: number; durationMs?: number } {
  const started = num(payload.started_at_ms);
  const completed = num(payload.completed_at_ms);
  return {
    startedAtMs: started,
    durationMs: started !== undefined && completed !== undefined ? completed - started : undefined,
  };
}

/** Codex serialises Rust Durations as {secs, nanos}; some items use plain milliseconds. */
function durationMs(value: unknown): number | undefined {
  if (isObject(value)) {
    const secs = num(value.secs);
    if (secs === undefined) return undefined;
    return Math.round(secs * 1000 + (num(value.nanos) ?? 0) / 1e6);
  }
  return num(value);
}

function commandText(value: unknown): string {
  if (Array.isArray(value)) {
    const parts = value.filter((part): part is string => typeof part === 'string');
    // ["/bin/bash", "-lc", "<script>"]: the script is what the model asked for.
    if (parts.length === 3 && /(^|\/)(ba|z)?sh$/.test(parts[0] ?? '') && /^-l?c$/.test(parts[1] ?? '')) {
      return parts[2] ?? '';
    }
    return parts.join(' ');
  }
  return str(value) ?? '';
}

function completedItem(payload: Json, atMs: number): RolloutRecord | null {
  const item = payload.item;
  if (!isObject(item)) return null;
  const type = str(item.type) ?? '';
  if (type === 'UserMessage') return { atMs, kind: 'user_prompt', text: textOf(item.content) };
  if (type === 'AgentMessage') {
    return { atMs, kind: 'agent_message', text: textOf(item.content), source: 'event' };
  }
  if (type === 'ContextCompaction') return { atMs, kind: 'compaction' };
  if (type === 'HookPrompt') return { atMs, kind: 'hook_prompt', text: textOf(item.fragments) };
  // Sub-agent lifecycle notes (multi_agent_v2): the spawn and wait calls already carry them.
  if (type === 'SubAgentActivity') return null;
  const callId = str(item.id) ?? str(item.call_id);
  if (!callId) return null;
  const span = spanMs(payload);
  const status = str(item.status);
  switch (type) {
    case 'CommandExecution':
      return {
        atMs,
        kind: 'tool_item',
        callId,
        item: {
          type: 'command',
          command: commandText(item.command),
          output: str(item.aggregated_output),
          exitCode: num(item.exit_code),
          durationMs: durationMs(item.duration) ?? span.durationMs,
          status,
          startedAtMs: span.startedAtMs,
        },
      };
    case 'FileChange':
      return {
        atMs,
        kind: 'tool_item',
        callId,
        item: {
          type: 'file_change',
          files: changedFiles(item.changes),
          output: str(item.stdout),
          status,
          ...span,
        },
      };
    case 'McpToolCall': {
      const error = item.error;
      const result = item.result;
      return {
        atMs,
        kind: 'tool_item',
        callId,
        item: {
          type: 'mcp',
          server: str(item.server),
          tool: str(item.tool),
          output: error !== undefined && error !== null ? stringify(error) : mcpResultText(result),
          failed: (error !== undefined && error !== null) || status === 'failed',
          status,
          startedAtMs: span.startedAtMs,
          durationMs: durationMs(item.duration) ?? span.durationMs,
        },
      };
    }
    default:
      return {
        atMs,
        kind: 'tool_item',
        callId,
        item: { type: 'other', itemType: type, input: str(item.query) ?? str(item.path), status, ...span },
      };
  }
}

function changedFiles(changes: unknown): string[] {
  if (Array.isArray(changes)) {
    return changes.map((change) => (isObject(change) ? (str(change.path) ?? '') : '')).filter(Boolean);
  }
  if (isObject(changes)) return Object.keys(changes);
  return [];
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** MCP results are {content: [{type: "text", text}, ...]}; anything else is kept as JSON. */
export function mcpResultText(result: unknown): string | undefined {
  if (result === undefined || result === null) return undefined;
  const inner = isObject(result) && isObject(result.Ok) ? result.Ok : result;
  if (isObject(inner) && Array.isArray(inner.content)) {
    const text = textOf(inner.content);
    if (text !== '') return text;
  }
  return stringify(result);
}

function responseRecord(payload: Json, atMs: number): RolloutRecord | null {
  switch (payload.type) {
    case 'message':
      // Role "user" messages include Codex's injected context; the real prompt comes from item_completed.
      // An assistant message duplicates the AgentMessage item; it is kept only for older builds.
      if (payload.role !== 'assistant') return null;
      return { atMs, kind: 'agent_message', text: textOf(payload.content), source: 'response' };
    case 'function_call': {
      const callId = str(payload.call_id);
      const name = str(payload.name);
      if (!callId || !name) return null;
      const raw = str(payload.arguments) ?? '';
      const args = parseArguments(raw);
      // Deferred MCP tools are called as {namespace: "mcp__<server>", name: "<tool>"}; hooks name them
      // mcp__<server>__<tool>, and so do we.
      const namespace = str(payload.namespace);
      const fullName = namespace?.startsWith('mcp__') ? `${namespace}__${name}` : name;
      return { atMs, kind: 'tool_call', callId, name: fullName, input: argumentsInput(args, raw), args };
    }
    case 'tool_search_call': {
      const callId = str(payload.call_id);
      if (!callId) return null;
      const args = isObject(payload.arguments) ? payload.arguments : {};
      return {
        atMs,
        kind: 'tool_call',
        callId,
        name: 'tool_search',
        input: str(args.query) ?? stringify(args),
      };
    }
    case 'tool_search_output': {
      const callId = str(payload.call_id);
      if (!callId) return null;
      return { atMs, kind: 'tool_output', callId, output: foundTools(payload.tools).join(', ') };
    }
    case 'custom_tool_call': {
      const callId = str(payload.call_id);
      const name = str(payload.name);
      if (!callId || !name) return null;
      return { atMs, kind: 'tool_call', callId, name, input: str(payload.input) ?? '' };
    }
    case 'local_shell_call': {
      const callId = str(payload.call_id) ?? str(payload.id);
      if (!callId) return null;
      const action = isObject(payload.action) ? payload.action : {};
      return { atMs, kind: 'tool_call', callId, name: 'local_shell', input: commandText(action.command) };
    }
    case 'function_call_output':
    case 'custom_tool_call_output': {
      const callId = str(payload.call_id);
      if (!callId) return null;
      return { atMs, kind: 'tool_output', callId, ...toolOutput(payload.output) };
    }
    default:
      return null;
  }
}

/** Names of the tools a tool_search returned (namespaces hold their tools). */
function foundTools(tools: unknown, prefix = ''): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool) => {
    if (!isObject(tool)) return [];
    const name = `${prefix}${str(tool.name) ?? ''}`;
    return Array.isArray(tool.tools) ? foundTools(tool.tools, `${name}.`) : [name];
  });
}

function parseArguments(raw: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The part of a tool's arguments a reader wants: the command for shell tools, else the raw JSON. */
function argumentsInput(args: Record<string, unknown> | undefined, raw: string): string {
  if (!args) return raw;
  const command = args.cmd ?? args.command;
  if (command !== undefined) return commandText(command);
  return raw;
}

/**
 * Tool outputs come as plain text ("Process exited with code 0 ... Output:\n..."), as JSON text
 * ({"output", "metadata": {"exit_code", "duration_seconds"}}) in older builds, or as content parts.
 */
export function toolOutput(value: unknown): { output: string; exitCode?: number; durationMs?: number } {
  if (Array.isArray(value)) return { output: textOf(value) };
  if (isObject(value)) return toolOutput(value.content ?? stringify(value));
  const text = str(value) ?? '';
  if (text.startsWith('{')) {
    const parsed = parseArguments(text);
    if (parsed && typeof parsed.output === 'string') {
      const metadata = isObject(parsed.metadata) ? parsed.metadata : {};
      const seconds = num(metadata.duration_seconds);
      return {
        output: parsed.output,
        exitCode: num(metadata.exit_code),
        durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
      };
    }
  }
  const exited = /^(?:Process exited with code|Exit code:) (-?\d+)$/m.exec(text.slice(0, 400));
  const marker = text.indexOf('\nOutput:\n');
  return {
    output: exited && marker >= 0 ? text.slice(marker + '\nOutput:\n'.length) : text,
    exitCode: exited ? Number(exited[1]) : undefined,
  };
}
