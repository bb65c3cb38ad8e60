// The rollout (transcript) line format, as Codex 0.169 writes it (codex-hooks.md), plus the older shapes
// still found in long-lived sessions. Each JSONL line becomes one typed record; line types and fields we do
// not use are ignored, so a newer Codex that adds some does not break us. Pure: no fs.

export interface TokenCounts {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
  /** Part of `input` written to the provider's cache (0.171+ report it); absent when none was. */
  cacheWrite?: number;
}

export interface SessionFacts {
  id?: string;
  cliVersion?: string;
  provider?: string;
  originator?: string;
  source?: string;
  /** A sub-agent's file: the thread that spawned it (`source.subagent.thread_spawn.parent_thread_id`). */
  parentThreadId?: string;
  gitBranch?: string;
  gitCommit?: string;
}

interface Stamped {
  /** The line's `timestamp`, epoch ms (NaN-free: lines without a valid one get the previous line's). */
  atMs: number;
}

export type RolloutRecord = Stamped &
  /** `cwd`: where the session started (kept out of SessionFacts, which the worker's cursor persists). */
  (
    | { kind: 'session_meta'; session: SessionFacts; cwd?: string }
    | { kind: 'turn_context'; turnId?: string; model?: string; cwd?: string }
    /** `rootTurnId`: the root thread's turn it runs for (a sub-agent's turn names its parent's; 0.169+). */
    | { kind: 'task_started'; turnId?: string; rootTurnId?: string }
    /**
     * `error`: the turn failed (Codex 0.171 writes a fatal model error here, with no `error` event and no
     * Stop hook): Codex's message and its `codex_error_info` variant.
     */
    | {
        kind: 'task_complete';
        turnId?: string;
        durationMs?: number;
        lastMessage?: string;
        error?: { message: string; info?: string };
      }
    | { kind: 'turn_aborted'; turnId?: string; reason?: string; durationMs?: number }
    /**
     * The real prompt (item_completed UserMessage; `user_message` event in older builds) and the images
     * the user attached or pasted (never their bytes).
     */
    | { kind: 'user_prompt'; text: string; images?: ImageRef[] }
    /**
     * The images of a prompt as the model received them (the user response_item: a marker naming the file,
     * then the data URL): their type and size, for the prompt's attachments.
     */
    | { kind: 'prompt_images'; images: ImageRef[] }
    /**
     * The text a blocking Stop hook gave Codex to continue the same turn (a HookPrompt item; Codex also
     * writes it as a user message wrapped in <hook_prompt>, which is not read).
     */
    | { kind: 'hook_prompt'; text: string }
    /** Plan mode's proposed plan (a Plan item: the `<proposed_plan>` block Codex took out of the message). */
    | { kind: 'plan'; text: string }
    /**
     * The assistant's visible text: an item_completed AgentMessage (`agent_message` event in older
     * builds), which Codex follows with the same text as a response_item message. A response_item message
     * alone is not shown to the user (a compaction summary, for one).
     */
    | { kind: 'agent_message'; text: string; source: 'event' | 'response' }
    /**
     * function_call, custom_tool_call or local_shell_call. `input` is the command, patch or raw arguments;
     * `raw` the arguments exactly as the model wrote them (kept for a call Codex rejects).
     */
    | {
        kind: 'tool_call';
        callId: string;
        name: string;
        input: string;
        args?: Record<string, unknown>;
        raw?: string;
      }
    /** `rejected`: Codex's router refused the call (it never ran); the output is the router's message. */
    | {
        kind: 'tool_output';
        callId: string;
        output: string;
        exitCode?: number;
        durationMs?: number;
        rejected?: boolean;
        /** "Process running with session ID N": the command goes on in the background as process N. */
        runningAs?: string;
        /** Images the tool returned (view_image): described, never their bytes. */
        images?: ImageRef[];
      }
    /**
     * An item_completed for a tool call: the richest facts (exit code, duration, files, MCP result).
     * `turnId`: the turn that made the call (a background command's item can land in a later turn).
     */
    | { kind: 'tool_item'; callId: string; item: ToolItem; turnId?: string }
    | { kind: 'token_usage'; turnId?: string; responseId?: string; usage: TokenCounts }
    /** `planType`: the ChatGPT plan of the account (`rate_limits.plan_type`), absent on an API key. */
    | { kind: 'token_count'; total?: TokenCounts; last?: TokenCounts; planType?: string }
    | { kind: 'compaction'; summary?: string }
    /**
     * A failed model request: `error` (the turn ends on it, e.g. a usage limit) or `stream_error` (a
     * dropped response stream Codex retries). `info` is Codex's `codex_error_info` (its variant name).
     */
    | { kind: 'model_error'; fatal: boolean; message: string; info?: string }
    /** A line or item of a type this reader does not know (the drift sentinel counts these; never content). */
    | { kind: 'unread'; lineType: string }
  );

/** An image the user gave or a tool returned: what it is, never its bytes. */
export interface ImageRef {
  /** The file's name (no folder), or `image N` for one pasted without a file. */
  name?: string;
  /** Where it came from, to match a prompt's image with the data the model received; never sent. */
  path?: string;
  /** MIME type, from the data URL or the file name. */
  type?: string;
  /** Size in bytes of the image as sent to the model (decoded from its data URL). */
  sizeBytes?: number;
}

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
      return { atMs, kind: 'session_meta', session: sessionFacts(payload), cwd: str(payload.cwd) };
    case 'turn_context':
      return {
        atMs,
        kind: 'turn_context',
        turnId: str(payload.turn_id),
        model: str(payload.model),
        cwd: str(payload.cwd),
      };
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
      return unread(atMs, json.type);
  }
}

/**
 * Line, event and item types Codex 0.169-0.171 writes that we read on purpose as nothing (the audit in
 * docs/traced-events.md says why for each). Any other type we do not parse is `unread`: counted, not lost.
 */
const IGNORED = new Set([
  // Codex's injected context and settings snapshots: not what the user asked or the agent did.
  'world_state',
  'inter_agent_communication_metadata',
  'event_msg:thread_settings_applied',
  // The item_completed line carries everything its item_started announced.
  'event_msg:item_started',
  // Reasoning text is never captured (only its token counts).
  'event_msg:agent_reasoning',
  'event_msg:agent_reasoning_raw_content',
  'event_msg:agent_reasoning_section_break',
  'response_item:reasoning',
  // A sub-agent's answer relayed to its parent: the wait call's output already carries it.
  'response_item:agent_message',
  // The tools Codex offers the model (Code Mode's `exec` and its nested tools): context, not activity.
  'response_item:additional_tools',
  // Codex's undo snapshots of the work tree.
  'response_item:ghost_snapshot',
  // Web searches run by the provider: no call id to pair and no output (see docs/traced-events.md).
  'response_item:web_search_call',
  // Sub-agent lifecycle notes (multi_agent_v2): the spawn and wait calls already carry them.
  'item_completed:SubAgentActivity',
  'item_completed:Reasoning',
]);

/** The name a drift count uses for a type: Codex's own identifier, never free text. */
function typeName(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '(none)';
  return value.replace(/[^\w.:-]/g, '?').slice(0, 64);
}

function unread(atMs: number, type: unknown, within?: string): RolloutRecord | null {
  const lineType = within ? `${within}:${typeName(type)}` : typeName(type);
  return IGNORED.has(lineType) ? null : { atMs, kind: 'unread', lineType };
}

/** The drift name of an item that became a tool step only by its shape (an item type we do not know). */
export function unknownItemType(item: ToolItem): string | undefined {
  if (item.type !== 'other' || KNOWN_TOOL_ITEMS.has(item.itemType)) return undefined;
  return `item_completed:${typeName(item.itemType)}`;
}

/**
 * Items read as a tool call by shape on purpose: a sub-agent tool's completion (paired with its call by
 * id), and the calls that have no call line of their own (web searches, image views).
 */
const KNOWN_TOOL_ITEMS = new Set(['CollabAgentToolCall', 'WebSearch', 'ImageView']);

function sessionFacts(payload: Json): SessionFacts {
  const git = isObject(payload.git) ? payload.git : {};
  return {
    id: str(payload.id) ?? str(payload.session_id),
    cliVersion: str(payload.cli_version),
    provider: str(payload.model_provider),
    originator: str(payload.originator),
    source: str(payload.source),
    parentThreadId: parentThreadOf(payload.source),
    gitBranch: str(git.branch),
    gitCommit: str(git.commit_hash),
  };
}

function parentThreadOf(source: unknown): string | undefined {
  const subagent = isObject(source) && isObject(source.subagent) ? source.subagent : undefined;
  const spawn = subagent && isObject(subagent.thread_spawn) ? subagent.thread_spawn : undefined;
  return spawn ? str(spawn.parent_thread_id) : undefined;
}

/** Reads a usage object; older files may lack total_tokens (= input + output by definition). */
export function tokenCounts(value: unknown): TokenCounts | undefined {
  if (!isObject(value)) return undefined;
  const input = num(value.input_tokens);
  const output = num(value.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const cacheWrite = num(value.cache_write_input_tokens) ?? 0;
  return {
    input: input ?? 0,
    cached: num(value.cached_input_tokens) ?? 0,
    output: output ?? 0,
    reasoning: num(value.reasoning_output_tokens) ?? 0,
    total: num(value.total_tokens) ?? (input ?? 0) + (output ?? 0),
    ...(cacheWrite > 0 ? { cacheWrite } : {}),
  };
}

function eventRecord(payload: Json, atMs: number): RolloutRecord | null {
  switch (payload.type) {
    case 'task_started':
      return {
        atMs,
        kind: 'task_started',
        turnId: str(payload.turn_id),
        rootTurnId: str(payload.root_turn_id),
      };
    case 'task_complete':
      return {
        atMs,
        kind: 'task_complete',
        turnId: str(payload.turn_id),
        durationMs: num(payload.duration_ms),
        lastMessage: str(payload.last_agent_message),
        error: turnError(payload.error),
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
      const limits = isObject(payload.rate_limits) ? payload.rate_limits : undefined;
      const planType = str(limits?.plan_type);
      if (!info && !planType) return null;
      return {
        atMs,
        kind: 'token_count',
        total: info ? tokenCounts(info.total_token_usage) : undefined,
        last: info ? tokenCounts(info.last_token_usage) : undefined,
        ...(planType ? { planType } : {}),
      };
    }
    case 'user_message': {
      const text = str(payload.message);
      if (text === undefined) return null;
      const images = [
        ...(Array.isArray(payload.local_images) ? payload.local_images : []).flatMap((path) =>
          typeof path === 'string' ? [fileImage(path)] : [],
        ),
        ...(Array.isArray(payload.images) ? payload.images : []).flatMap((url) =>
          typeof url === 'string' ? [urlImage(url)] : [],
        ),
      ];
      return { atMs, kind: 'user_prompt', text, ...(images.length > 0 ? { images } : {}) };
    }
    case 'agent_message': {
      const text = str(payload.message);
      return text === undefined ? null : { atMs, kind: 'agent_message', text, source: 'event' };
    }
    case 'context_compacted':
      return { atMs, kind: 'compaction' };
    case 'item_completed':
      return completedItem(payload, atMs);
    case 'error':
    case 'stream_error':
      return {
        atMs,
        kind: 'model_error',
        fatal: payload.type === 'error',
        message: str(payload.message) ?? '',
        info: errorInfo(payload.codex_error_info),
      };
    default:
      return unread(atMs, payload.type, 'event_msg');
  }
}

/** task_complete's `error` (a failed turn): absent, null, or {message, codex_error_info}. */
function turnError(value: unknown): { message: string; info?: string } | undefined {
  if (typeof value === 'string') return { message: value };
  if (!isObject(value)) return undefined;
  return { message: str(value.message) ?? '', info: errorInfo(value.codex_error_info) };
}

/** `codex_error_info` is a variant name ("usage_limit_exceeded") or an object keyed by one. */
function errorInfo(value: unknown): string | undefined {
  if (typeof value === 'string') return typeName(value);
  if (isObject(value)) {
    const [key] = Object.keys(value);
    return key === undefined ? undefined : typeName(key);
  }
  return undefined;
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
};

/** An image named by a path (or a file: URL): its name and, from the extension, its type. */
function fileImage(path: string): ImageRef {
  const name =
    path
      .replace(/^file:\/\//, '')
      .split(/[\\/]/)
      .pop() ?? path;
  const type = IMAGE_TYPES[/\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? ''];
  return { name, path, ...(type ? { type } : {}) };
}

/** An image given as a URL: a data URL says its type and size (decoded length); its bytes are dropped. */
function urlImage(url: string): ImageRef {
  const data = /^data:([\w.+/-]+)?(;base64)?,/.exec(url);
  if (!data) return fileImage(url.split(/[?#]/)[0] ?? url);
  const body = url.length - data[0].length;
  const padding = url.endsWith('==') ? 2 : url.endsWith('=') ? 1 : 0;
  return {
    ...(data[1] ? { type: data[1] } : {}),
    sizeBytes: data[2] ? Math.max(0, Math.floor((body * 3) / 4) - padding) : body,
  };
}

/** The images of a UserMessage item's content: `local_image` {path}, `image` {image_url}. */
function promptImages(content: unknown): ImageRef[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) => {
    if (!isObject(part)) return [];
    if (part.type === 'local_image' && typeof part.path === 'string') return [fileImage(part.path)];
    if (part.type === 'image' && typeof part.image_url === 'string') return [urlImage(part.image_url)];
    return [];
  });
}

/**
 * The images of model input content parts (`input_image` with a data URL), each named by the
 * `<image name=[Image #N] path="...">` marker Codex puts before it when it came from a file.
 */
function inputImages(content: unknown): ImageRef[] {
  if (!Array.isArray(content)) return [];
  const images: ImageRef[] = [];
  let path: string | undefined;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (part.type === 'input_text') {
      path = /^<image name=[^>]*?path="([^"]*)">$/.exec(str(part.text) ?? '')?.[1];
    } else if (part.type === 'input_image' && typeof part.image_url === 'string') {
      images.push({ ...(path ? fileImage(path) : {}), ...urlImage(part.image_url) });
      path = undefined;
    }
  }
  return images;
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
  const record = completedItemRecord(payload, atMs);
  const turnId = str(payload.turn_id);
  return record?.kind === 'tool_item' && turnId ? { ...record, turnId } : record;
}

function completedItemRecord(payload: Json, atMs: number): RolloutRecord | null {
  const item = payload.item;
  if (!isObject(item)) return null;
  const type = str(item.type) ?? '';
  if (type === 'UserMessage') {
    const images = promptImages(item.content);
    return { atMs, kind: 'user_prompt', text: textOf(item.content), ...(images.length ? { images } : {}) };
  }
  if (type === 'Plan') return { atMs, kind: 'plan', text: str(item.text) ?? '' };
  if (type === 'AgentMessage') {
    return { atMs, kind: 'agent_message', text: textOf(item.content), source: 'event' };
  }
  if (type === 'ContextCompaction') return { atMs, kind: 'compaction' };
  if (type === 'HookPrompt') return { atMs, kind: 'hook_prompt', text: textOf(item.fragments) };
  const callId = str(item.id) ?? str(item.call_id);
  if (IGNORED.has(`item_completed:${type}`) || !callId) return unread(atMs, type, 'item_completed');
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
      // Role "user" (and developer) messages include Codex's injected context; the real prompt comes from
      // item_completed. An assistant message duplicates the AgentMessage item; it is kept for older builds.
      if (payload.role === 'user') {
        const images = inputImages(payload.content);
        return images.length > 0 ? { atMs, kind: 'prompt_images', images } : null;
      }
      if (payload.role !== 'assistant') return null;
      return {
        atMs,
        kind: 'agent_message',
        text: withoutPlanBlock(textOf(payload.content)),
        source: 'response',
      };
    case 'function_call': {
      const callId = str(payload.call_id);
      const name = str(payload.name);
      if (!callId || !name) return null;
      const raw = str(payload.arguments) ?? '';
      const args = parseArguments(raw);
      // Deferred MCP tools are called as {namespace: "mcp__<server>", name: "<tool>"}; hooks name them
      // mcp__<server>__<tool>, and so do we.
      // Codex 0.124-0.129 offer them up front in a namespace that already ends in `__` (mcp__<server>__).
      const namespace = str(payload.namespace);
      const fullName = namespace?.startsWith('mcp__')
        ? `${namespace.endsWith('__') ? namespace : `${namespace}__`}${name}`
        : name;
      return {
        atMs,
        kind: 'tool_call',
        callId,
        name: fullName,
        input: argumentsInput(args, raw),
        args,
        raw,
      };
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
      return unread(atMs, payload.type, 'response_item');
  }
}

/**
 * Plan mode: the model's `<proposed_plan>` block is Codex's markup for the Plan item it writes on its own;
 * the visible message (the AgentMessage item) is the text without it, and so is this.
 */
function withoutPlanBlock(text: string): string {
  return text.includes('<proposed_plan>')
    ? text.replace(/<proposed_plan>[\s\S]*?(?:<\/proposed_plan>\n?|$)/g, '')
    : text;
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
 * What Codex's tool router answers, instead of running anything, for a call it cannot route or parse
 * (codex-rs core tools router and handlers, 0.117-0.171): the whole output is this one message, with none
 * of the "Exit code / Wall time / Output:" header a call that ran gets.
 */
const ROUTER_REJECTIONS = [
  /^unsupported (?:custom tool )?call: /,
  /^failed to parse function arguments: /,
  /^unsupported payload for /,
  /^tool \S+ invoked with incompatible payload/,
];

/** Header lines Codex puts before a tool's own output ("Chunk ID", "Wall time", exit code, ...). */
const HEADER_LINE =
  /^(?:Chunk ID: .*|Wall time: .*|Process exited with code -?\d+|Exit code: -?\d+|Original token count: \d+|Process running with session ID .*|Total output lines: \d+)$/;

/**
 * Tool outputs come as plain text ("Process exited with code 0 ... Output:\n..."; "Wall time: ...
 * Output:\n..." for MCP calls on 0.124-0.129), as JSON text ({"output", "metadata": {"exit_code",
 * "duration_seconds"}}) in older builds, or as content parts. The header is dropped, the exit code kept.
 */
export function toolOutput(value: unknown): {
  output: string;
  exitCode?: number;
  durationMs?: number;
  rejected?: boolean;
  runningAs?: string;
} {
  if (Array.isArray(value)) {
    const images = inputImages(value);
    return { output: textOf(value), ...(images.length > 0 ? { images } : {}) };
  }
  if (isObject(value)) return toolOutput(value.content ?? stringify(value));
  const text = str(value) ?? '';
  if (ROUTER_REJECTIONS.some((pattern) => pattern.test(text))) return { output: text, rejected: true };
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
  const marker = text.indexOf('\nOutput:\n');
  const header = marker >= 0 && marker < 400 ? text.slice(0, marker) : '';
  const exited = /^(?:Process exited with code|Exit code:) (-?\d+)$/m.exec(header);
  // A header with an exit code, or made only of lines Codex writes there (an MCP call's "Wall time").
  const lines = header.split('\n');
  if (!exited && !(lines.length > 0 && lines.every((line) => HEADER_LINE.test(line))))
    return { output: text };
  const running = /^Process running with session ID (\S+)$/m.exec(header);
  return {
    output: text.slice(marker + '\nOutput:\n'.length),
    exitCode: exited ? Number(exited[1]) : undefined,
    ...(running && !exited ? { runningAs: running[1] } : {}),
  };
}

/**
 * An MCP call's output as text: older builds (0.117-0.129) pass the raw content array through as JSON
 * (`[{"type":"text","text":"..."}]`); newer ones write the text itself.
 */
export function mcpOutputText(output: string): string {
  const trimmed = output.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return output;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    const parts = Array.isArray(parsed) ? parsed : isObject(parsed) ? parsed.content : undefined;
    if (Array.isArray(parts) && parts.every((part) => isObject(part) && typeof part.type === 'string')) {
      const text = textOf(parts);
      if (text !== '') return text;
    }
  } catch {
    // Not JSON after all: the output as written.
  }
  return output;
}
