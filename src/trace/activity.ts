// What happened in one turn, in order, from the two sources: the rollout (complete: every tool call with
// its output, exit code and timing) and the hook events (full capture mode: a documented contract that
// survives when the rollout is missing or its format drifts). With the rollout present the rollout decides
// everything it knows, so lean and full capture give the same trace; hook facts only fill what it lacks.
import type { HookPayload } from '../codex/hook-payload';
import {
  type ImageRef,
  mcpOutputText,
  mcpResultText,
  type RolloutRecord,
  type ToolItem,
  toolOutput,
  unknownItemType,
} from '../codex/rollout';

/** A hook event as the worker hands it over (the shape of its SpooledEvent; trace/ depends on no stage after it). */
export interface HookEvent {
  event: string;
  /** When our hook front-end received it (epoch ms). */
  arrivedAtMs: number;
  payload: HookPayload;
}

export type ToolKind = 'command' | 'patch' | 'mcp' | 'subagent_tool' | 'other';
export type ToolStatus = 'success' | 'failure' | 'incomplete';

export interface ToolActivity {
  type: 'tool';
  callId: string;
  name: string;
  kind: ToolKind;
  input: string;
  output?: string;
  exitCode?: number;
  status: ToolStatus;
  atMs: number;
  durationMs?: number;
  files?: string[];
  /** Codex's router refused the call (unknown tool, unparseable arguments): it never ran. */
  rejected?: boolean;
  /**
   * Still running in the background as Codex's process N when last heard of ("Process running with
   * session ID N"): not finished, so neither a success nor a failure.
   */
  runningAs?: string;
  /** A background command Codex killed (exit -1) after the turn had ended: not the agent's failure. */
  killed?: boolean;
  /** Images the call returned (view_image), described. */
  images?: ImageRef[];
}

/** A background command's completion that reached the rollout in a later turn than the one that ran it. */
export interface LateResult {
  callId: string;
  /** The turn that ran the command. */
  turnId: string;
  atMs: number;
  exitCode?: number;
  /** Codex killed it (exit -1) rather than it ending on its own. */
  killed: boolean;
}

/** A model request that failed (rollout `error` / `stream_error` events). */
export interface ModelError {
  atMs: number;
  /** The turn ended on it (`error`); a `stream_error` is a dropped stream Codex retried. */
  fatal: boolean;
  message: string;
  /** Codex's `codex_error_info` variant, e.g. `usage_limit_exceeded`. */
  info?: string;
}

export type Activity =
  | ToolActivity
  /** `responseOnly`: written only as a response_item, never shown as an agent message. */
  | { type: 'message'; atMs: number; text: string; responseOnly?: boolean }
  | { type: 'compaction'; atMs: number; summary?: string }
  /**
   * A prompt that joined the running turn: a message the user steered in while it ran, or the text of a
   * blocking Stop hook that made Codex continue it. The turn's first prompt is TurnActivity.prompt.
   */
  | { type: 'prompt'; atMs: number; text: string; source: 'user' | 'hook'; images?: ImageRef[] }
  /** Plan mode's proposed plan (Codex's Plan item). */
  | { type: 'plan'; atMs: number; text: string };

export interface TurnActivity {
  prompt?: string;
  promptAtMs?: number;
  /** Images the user attached to or pasted into the prompt (never their bytes). */
  promptImages?: ImageRef[];
  finalMessage?: string;
  /** In order; the final message is the last `message` activity when there is one. */
  activities: Activity[];
  startedAtMs?: number;
  endedAtMs?: number;
  /** From task_complete. */
  durationMs?: number;
  model?: string;
  aborted: boolean;
  /** turn_aborted's `reason`: `interrupted` (the user), `replaced` (a new turn took its place), ... */
  abortReason?: string;
  ended: boolean;
  /** The turn ended on an error (task_complete's `error`, or a fatal model error nothing followed). */
  failed?: boolean;
  /** Failed model requests, in order. */
  modelErrors: ModelError[];
  /** Line and item types the reader does not know, with how often each was seen (drift sentinel). */
  unread: Map<string, number>;
  /** Results of earlier turns' background commands that landed in this turn's lines. */
  late?: LateResult[];
}

const SHELL_TOOLS = new Set([
  'exec_command',
  'shell',
  'local_shell',
  'container.exec',
  'shell_command',
  'Bash',
]);

function toolKind(name: string): ToolKind {
  if (SHELL_TOOLS.has(name)) return 'command';
  if (name === 'apply_patch') return 'patch';
  if (name.startsWith('mcp__')) return 'mcp';
  // Hooks glue the namespace on (`multi_agent_v1wait_agent`, `collaborationspawn_agent`).
  if (/(spawn_agent|wait_agent|send_input|close_agent|resume_agent)$/.test(name)) return 'subagent_tool';
  return 'other';
}

/** Files named by an apply_patch body (`*** Update File: path`, `*** Move to: path`, ...). */
function patchFiles(patch: string): string[] {
  const files: string[] = [];
  for (const match of patch.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) {
    const file = (match[1] ?? match[2] ?? '').trim();
    if (file && !files.includes(file)) files.push(file);
  }
  return files;
}

/** The turn as its rollout lines tell it. */
export function activityFromRollout(records: readonly RolloutRecord[], ended: boolean): TurnActivity {
  const turn: TurnActivity = {
    activities: [],
    aborted: false,
    ended,
    modelErrors: [],
    unread: new Map(),
  };
  const countUnread = (lineType: string | undefined) => {
    if (lineType) turn.unread.set(lineType, (turn.unread.get(lineType) ?? 0) + 1);
  };
  const tools = new Map<string, ToolActivity>();
  /** Background processes by Codex's process id: the command that started each. */
  const processes = new Map<string, ToolActivity>();
  /** write_stdin calls: the command whose process each one wrote to or polled. */
  const polls = new Map<ToolActivity, ToolActivity>();
  /** The images of the prompt as the model received them, by path, for their type and size. */
  const sentImages = new Map<string, ImageRef>();
  let turnId: string | undefined;
  let over = false;
  for (const record of records) {
    switch (record.kind) {
      case 'task_started':
        turn.startedAtMs ??= record.atMs;
        turnId ??= record.turnId;
        break;
      case 'turn_context':
        turn.startedAtMs ??= record.atMs;
        turnId ??= record.turnId;
        if (record.model) turn.model = record.model;
        break;
      case 'prompt_images':
        for (const image of record.images) if (image.path) sentImages.set(image.path, image);
        break;
      case 'user_prompt': {
        const images = record.images?.map((image) => ({
          ...(image.path ? sentImages.get(image.path) : undefined),
          ...image,
        }));
        if (turn.prompt === undefined) {
          turn.prompt = record.text;
          turn.promptAtMs = record.atMs;
          if (images) turn.promptImages = images;
        } else {
          turn.activities.push({
            type: 'prompt',
            atMs: record.atMs,
            text: record.text,
            source: 'user',
            ...(images ? { images } : {}),
          });
        }
        break;
      }
      case 'hook_prompt':
        turn.activities.push({ type: 'prompt', atMs: record.atMs, text: record.text, source: 'hook' });
        break;
      case 'plan':
        // Codex writes one Plan item per proposed plan; a repeated one (a replay) is the same plan.
        if (!turn.activities.some((a) => a.type === 'plan' && a.text === record.text)) {
          turn.activities.push({ type: 'plan', atMs: record.atMs, text: record.text });
        }
        break;
      case 'agent_message': {
        if (record.text.trim() === '') break;
        // Codex writes each visible message twice (an AgentMessage item and a response_item message).
        const last = turn.activities.findLast((activity) => activity.type === 'message');
        if (last?.type === 'message' && last.text.trim() === record.text.trim()) {
          if (record.source === 'event') {
            last.responseOnly = false;
            last.text = record.text;
          }
          break;
        }
        const responseOnly = record.source === 'response';
        turn.activities.push({ type: 'message', atMs: record.atMs, text: record.text, responseOnly });
        break;
      }
      case 'tool_call': {
        const kind = toolKind(record.name);
        const tool: ToolActivity = {
          type: 'tool',
          callId: record.callId,
          name: record.name,
          kind,
          input: record.input,
          status: 'incomplete',
          atMs: record.atMs,
          files: kind === 'patch' ? patchFiles(record.input) : undefined,
        };
        const process = processOf(record.args);
        const polled = process === undefined ? undefined : processes.get(process);
        if (polled) polls.set(tool, polled);
        if (process !== undefined) writesToProcess.add(tool);
        if (record.raw !== undefined) rawInputs.set(tool, record.raw);
        if (typeof record.args?.path === 'string') pathArgs.set(tool, record.args.path);
        tools.set(record.callId, tool);
        turn.activities.push(tool);
        break;
      }
      case 'tool_item': {
        let tool = tools.get(record.callId);
        const unknown = unknownItemType(record.item);
        countUnread(unknown);
        if (!tool) {
          // A type we do not know is no evidence of a call: counted above, never shown as one.
          if (unknown) break;
          // A background command of an earlier turn finishing now: that turn's result, not a call of this one.
          if (record.turnId && turnId && record.turnId !== turnId) {
            const exitCode = record.item.type === 'command' ? record.item.exitCode : undefined;
            turn.late ??= [];
            turn.late.push({
              callId: record.callId,
              turnId: record.turnId,
              atMs: record.atMs,
              exitCode,
              killed: exitCode === -1,
            });
            break;
          }
          tool = toolFromItem(record.callId, record.item, record.atMs);
          tools.set(record.callId, tool);
          turn.activities.push(tool);
        }
        applyItem(tool, record.item);
        tool.runningAs = undefined;
        // Codex kills the background commands still running when it exits, after the turn ended.
        if (over && !turn.aborted && tool.exitCode === -1) {
          tool.killed = true;
          tool.status = 'incomplete';
        }
        break;
      }
      case 'tool_output': {
        const tool = tools.get(record.callId);
        if (!tool) break;
        const polled = polls.get(tool);
        if (record.images) tool.images = record.images.map((image) => ({ ...imageNamed(tool), ...image }));
        if (record.rejected) {
          tool.output ??= record.output;
          tool.rejected = true;
          tool.status = 'failure';
          // It never ran: the model's arguments as written, and no duration.
          tool.input = rawInputs.get(tool) ?? tool.input;
          tool.durationMs = undefined;
          break;
        }
        tool.output ??= tool.kind === 'mcp' ? mcpOutputText(record.output) : record.output;
        tool.durationMs ??= record.durationMs ?? Math.max(0, record.atMs - tool.atMs);
        if (new RegExp(`^${escapeRegExp(tool.name)} failed: `).test(record.output)) {
          // Codex could not do what the call asked ("write_stdin failed: Unknown process id 5978").
          tool.status = 'failure';
          break;
        }
        if (record.runningAs !== undefined) {
          // Not over: the command runs on in the background; a later poll or item says how it ended.
          const owner = polled ?? tool;
          if (owner.status === 'incomplete') owner.runningAs = record.runningAs;
          processes.set(record.runningAs, owner);
          if (polled) tool.status = 'success';
          break;
        }
        if (polled) {
          // A poll's exit code is the polled command's: the poll itself did its job.
          settleFromPoll(polled, record, tool);
          tool.status = 'success';
          break;
        }
        if (writesToProcess.has(tool)) {
          // A process started in an earlier turn: its exit code is still not this call's own.
          tool.status = 'success';
          break;
        }
        tool.exitCode ??= record.exitCode;
        if (tool.status === 'incomplete') tool.status = statusOf(tool);
        break;
      }
      case 'model_error':
        turn.modelErrors.push({
          atMs: record.atMs,
          fatal: record.fatal,
          message: record.message,
          info: record.info,
        });
        break;
      case 'unread':
        countUnread(record.lineType);
        break;
      case 'compaction':
        addCompaction(turn.activities, record.atMs, record.summary);
        break;
      case 'task_complete':
        over = true;
        turn.endedAtMs = record.atMs;
        turn.durationMs = record.durationMs;
        if (record.lastMessage) turn.finalMessage = record.lastMessage;
        if (record.error) failTurn(turn, { atMs: record.atMs, fatal: true, ...record.error });
        break;
      case 'turn_aborted':
        over = true;
        turn.endedAtMs = record.atMs;
        turn.durationMs = record.durationMs;
        turn.aborted = true;
        turn.abortReason = record.reason;
        break;
    }
  }
  if (turn.aborted) markInterrupted(turn.activities, turn.endedAtMs);
  // Before 0.171 a failed turn wrote an `error` event and a task_complete without a message: the error
  // ended it unless the agent still answered after it.
  const fatal = turn.modelErrors.findLast((error) => error.fatal);
  if (fatal && !turn.activities.some((a) => a.type === 'message' && a.atMs >= fatal.atMs)) turn.failed = true;
  // A failed turn gave no answer (task_complete's message is null): an earlier message is not made one.
  const lastActivity = turn.activities.findLast((activity) => activity.type === 'message');
  if (!turn.failed) turn.finalMessage ??= lastActivity?.type === 'message' ? lastActivity.text : undefined;
  return turn;
}

/** Calls that address a background process (write_stdin): what they report of it is not their own result. */
const writesToProcess = new WeakSet<ToolActivity>();

/** The raw arguments of each call, kept apart so a call Codex rejects can show them as written. */
const rawInputs = new WeakMap<ToolActivity, string>();
/** The file a call names (view_image's `path`): the name of the image it returns. */
const pathArgs = new WeakMap<ToolActivity, string>();

function imageNamed(tool: ToolActivity): ImageRef {
  const path = pathArgs.get(tool);
  return path === undefined ? {} : { name: path.split(/[\\/]/).pop() ?? path };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The background process a call addresses (write_stdin's `session_id`). */
function processOf(args: Record<string, unknown> | undefined): string | undefined {
  const id = args?.session_id;
  return typeof id === 'number' || typeof id === 'string' ? String(id) : undefined;
}

/**
 * A poll saw the polled command end: when no item of the command's own said so, the exit code, output and
 * end time are the command's (its step holds the whole run).
 */
function settleFromPoll(
  command: ToolActivity,
  poll: { atMs: number; output: string; exitCode?: number },
  pollTool: ToolActivity,
): void {
  if (poll.exitCode === undefined || command.exitCode !== undefined) return;
  command.exitCode = poll.exitCode;
  command.output = `${command.output ?? ''}${poll.output}`;
  command.durationMs = Math.max(0, poll.atMs - command.atMs);
  command.runningAs = undefined;
  if (command.status === 'incomplete') command.status = statusOf(command);
  // The poll's own output is what it saw, without the exit code that is not its own.
  pollTool.exitCode = undefined;
}

/**
 * The turn ended on this error (task_complete's `error`, Codex 0.171+). Older builds wrote the same failure
 * as an `error` event first: that one is the same error, not a second.
 */
function failTurn(turn: TurnActivity, error: ModelError): void {
  const same = turn.modelErrors.find(
    (known) => known.fatal && known.message === error.message && (known.info ?? error.info) === error.info,
  );
  if (same) same.info ??= error.info;
  else turn.modelErrors.push(error);
  turn.failed = true;
}

/**
 * One compaction is written as several lines (the summary as a bare assistant response_item, a `compacted`
 * line, a ContextCompaction item): they become one step carrying the summary.
 */
function addCompaction(activities: Activity[], atMs: number, summary: string | undefined): void {
  const last = activities.at(-1);
  if (last?.type === 'compaction') {
    last.summary ??= summary;
    return;
  }
  if (last?.type === 'message' && last.responseOnly) {
    activities.pop();
    activities.push({ type: 'compaction', atMs: last.atMs, summary: last.text });
    return;
  }
  activities.push({ type: 'compaction', atMs, summary });
}

/** Exit codes of a command killed by SIGINT, SIGKILL or SIGTERM. */
const KILLED_BY_SIGNAL = new Set([130, 137, 143]);
/** How long before the abort is written a command killed by it may have ended. */
const KILLED_AT_ABORT_MS = 2_000;

/**
 * Calls cut short by an interrupt are unfinished, not failed. Codex usually reports them as exit -1, but
 * when a command it kills dies first, the real exit code of the kill (137) is what gets written: calls
 * killed by a signal that ended as the turn was aborted (or, without timings, the turn's last call) are
 * cut as well; parallel calls are all killed at once.
 */
function markInterrupted(activities: Activity[], abortedAtMs: number | undefined): void {
  const last = activities.findLast((activity) => activity.type === 'tool');
  const endedAtAbort = (tool: ToolActivity) =>
    abortedAtMs === undefined || tool.durationMs === undefined
      ? tool === last
      : abortedAtMs - (tool.atMs + tool.durationMs) <= KILLED_AT_ABORT_MS;
  for (const activity of activities) {
    if (activity.type !== 'tool') continue;
    const cut =
      activity.exitCode === -1 ||
      /aborted by user/.test(activity.output ?? '') ||
      (KILLED_BY_SIGNAL.has(activity.exitCode ?? 0) && endedAtAbort(activity));
    if (cut || activity.status === 'incomplete') activity.status = 'incomplete';
  }
}

function toolFromItem(callId: string, item: ToolItem, atMs: number): ToolActivity {
  const base = {
    type: 'tool' as const,
    callId,
    status: 'incomplete' as const,
    atMs: item.startedAtMs ?? atMs,
  };
  switch (item.type) {
    case 'command':
      return { ...base, name: 'exec_command', kind: 'command', input: item.command };
    case 'file_change':
      return { ...base, name: 'apply_patch', kind: 'patch', input: '' };
    case 'mcp':
      return { ...base, name: `mcp__${item.server ?? ''}__${item.tool ?? ''}`, kind: 'mcp', input: '' };
    default:
      // Items without a call line of their own (WebSearch, ImageView, ...) are named like tools.
      return { ...base, name: snakeCase(item.itemType), kind: 'other', input: item.input ?? '' };
  }
}

const FAILED_STATUSES = new Set(['failed', 'declined', 'error', 'rejected']);

function applyItem(tool: ToolActivity, item: ToolItem): void {
  if (item.startedAtMs !== undefined) tool.atMs = item.startedAtMs;
  if (item.durationMs !== undefined) tool.durationMs = item.durationMs;
  switch (item.type) {
    case 'command':
      if (item.output !== undefined) tool.output = item.output;
      if (item.exitCode !== undefined) tool.exitCode = item.exitCode;
      if (tool.input === '') tool.input = item.command;
      break;
    case 'file_change':
      // The patch names files relative to the cwd; the item names them absolute: prefer the patch's.
      if (item.files.length > 0 && !tool.files?.length) tool.files = item.files;
      if (item.output !== undefined) tool.output = item.output;
      break;
    case 'mcp':
      if (item.output !== undefined) tool.output = item.output;
      if (item.failed) {
        tool.status = 'failure';
        return;
      }
      break;
  }
  // An item_completed line means the call is over: failed by its status or exit code, else done.
  tool.status = item.status && FAILED_STATUSES.has(item.status) ? 'failure' : statusOf(tool);
}

const snakeCase = (name: string) => name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();

function statusOf(tool: ToolActivity): ToolStatus {
  if (tool.status === 'failure') return 'failure';
  if (tool.exitCode !== undefined) return tool.exitCode === 0 ? 'success' : 'failure';
  return 'success';
}

function hookText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  try {
    return JSON.stringify(value);
  } catch {
    // Nested deeper than JSON.stringify can recurse (JSON.parse read it): the turn is still traced.
    return '[not shown: nested too deeply]';
  }
}

function hookInput(payload: HookPayload): string {
  const input = payload.tool_input;
  if (input && typeof input === 'object' && typeof (input as { command?: unknown }).command === 'string') {
    return (input as { command: string }).command;
  }
  return hookText(input);
}

/** Tool calls as Pre/PostToolUse hooks saw them (full capture mode), paired by tool_use_id. */
export function toolsFromHooks(events: readonly HookEvent[]): ToolActivity[] {
  const tools = new Map<string, ToolActivity>();
  const order: ToolActivity[] = [];
  events.forEach((event, index) => {
    const payload = event.payload;
    if (event.event !== 'PreToolUse' && event.event !== 'PostToolUse') return;
    const id = payload.tool_use_id ?? `hook-${index}`;
    const name = payload.tool_name ?? 'tool';
    let tool = tools.get(id);
    if (!tool) {
      const kind = toolKind(name);
      const input = hookInput(payload);
      tool = {
        type: 'tool',
        callId: id,
        name,
        kind,
        input,
        status: 'incomplete',
        atMs: event.arrivedAtMs,
        files: kind === 'patch' ? patchFiles(input) : undefined,
      };
      tools.set(id, tool);
      order.push(tool);
    }
    if (event.event === 'PostToolUse') {
      const response = payload.tool_response;
      tool.durationMs = Math.max(0, event.arrivedAtMs - tool.atMs);
      // Older Codex builds send only a success boolean.
      if (typeof response === 'boolean') {
        tool.status = response ? 'success' : 'failure';
      } else {
        if (typeof response === 'string') {
          // apply_patch results carry Codex's "Exit code: N ... Output:" header, as in the rollout.
          const parsed = toolOutput(response);
          tool.output = parsed.output;
          tool.exitCode = parsed.exitCode;
          tool.rejected = parsed.rejected;
        } else {
          tool.output = tool.kind === 'mcp' ? (mcpResultText(response) ?? '') : hookText(response);
        }
        tool.status = isErrorResult(response) || tool.rejected ? 'failure' : statusOf(tool);
      }
    }
  });
  return order;
}

function isErrorResult(response: unknown): boolean {
  return (
    typeof response === 'object' && response !== null && (response as { isError?: unknown }).isError === true
  );
}

/**
 * Adds hook facts to a rollout turn: tool calls the rollout does not have (a format it does not parse)
 * are inserted by time; a rollout call left without a result takes the hook's result.
 */
export function mergeHookTools(turn: TurnActivity, hookTools: readonly ToolActivity[]): TurnActivity {
  if (hookTools.length === 0) return turn;
  const byId = new Map<string, ToolActivity>();
  for (const activity of turn.activities) if (activity.type === 'tool') byId.set(activity.callId, activity);
  const activities = [...turn.activities];
  for (const hookTool of hookTools) {
    const known = byId.get(hookTool.callId);
    if (!known) {
      const at = activities.findIndex((activity) => activity.atMs > hookTool.atMs);
      activities.splice(at < 0 ? activities.length : at, 0, { ...hookTool });
      continue;
    }
    if (known.status === 'incomplete' && hookTool.status !== 'incomplete') {
      const index = activities.indexOf(known);
      activities[index] = {
        ...known,
        output: hookTool.output,
        status: hookTool.status,
        durationMs: hookTool.durationMs,
      };
    }
  }
  return { ...turn, activities };
}
