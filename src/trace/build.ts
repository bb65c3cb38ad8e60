// Turn (or session) facts -> TaskData. Pure: the rollout records, hook events, environment facts and the
// current time all come in as data. Every text field passes the content mode (full | redacted | metadata)
// and the per-field limits here, and the whole body is fitted under 1 MB, so nothing after this point
// ever holds unredacted or oversized text.
import type { ImageRef, RolloutRecord, SessionFacts, TokenCounts } from '../codex/rollout';
import type { CaptureMode, ContentMode } from '../config/settings';
import {
  type Attachment,
  type Environment,
  LIMITS,
  type LlmUsage,
  type Step,
  type TaskData,
  type TraceError,
  type TurnStatus,
} from '../infinium/task-data';
import {
  type Activity,
  activityFromRollout,
  type HookEvent,
  type ModelError,
  mergeHookTools,
  type ToolActivity,
  type TurnActivity,
  toolsFromHooks,
} from './activity';
import {
  FIELD_LIMITS,
  fitBody,
  joinCut,
  truncateEnd,
  truncateMiddle,
  withoutCutEnd,
  withoutCutStart,
} from './limits';
import { type GitEvidence, type PlacedTool, turnOutcome } from './outcome';
import { addRequests, type ModelShare, pricingFacts, shareCost, totalCost } from './pricing';
import { makeRedactor, type Redactor } from './redact';
import { type ModelRequest, turnRequests } from './tokens';

/** The part of a rollout that belongs to one turn, as the reader found it. */
export interface RolloutTurnFacts {
  records: readonly RolloutRecord[];
  /** task_complete or turn_aborted was read. */
  ended: boolean;
  /** Cumulative token_count total before the turn (older builds). */
  tokenBaseline?: TokenCounts;
  /** The model in force before the turn's own turn_context. */
  modelBefore?: string;
  session: SessionFacts;
}

export interface SubagentFacts {
  agentId: string;
  agentType?: string;
  /** The sub-agent's turn(s) from its own rollout; null when that rollout could not be read. */
  rollout: RolloutTurnFacts | null;
  /** Its hook events (full capture mode), for when its rollout is missing. */
  events: readonly HookEvent[];
}

export interface EnvironmentFacts {
  project: string;
  /** The cwd as shown: relative to the project root, never the user's home layout. */
  cwd?: string;
  os?: string;
  connectorVersion?: string;
  gitBranch?: string;
  gitCommit?: string;
  /** INFINIUM_CODEX_RUN_ID / _LABEL of the session (src/config/settings.ts). */
  runId?: string;
  runLabel?: string;
  /** The turn was traced afterwards by `infinium-codex import`, from its rollout alone. */
  imported?: boolean;
}

export interface TraceOptions {
  contentMode: ContentMode;
  redactPatterns: readonly string[];
  /** The agent secret(s) the trace may be sent with: scrubbed from every text in every content mode. */
  agentSecrets?: readonly string[];
  capture: CaptureMode;
  /** When the trace is built (epoch ms). */
  nowMs: number;
  /** Runs each redaction (the turn-cpu bench times them; src/worker/timing.ts). */
  measureRedaction?: <T>(run: () => T) => T;
}

export interface TurnTraceInput {
  sessionId: string;
  turnId: string | null;
  turnNumber: number;
  /** Why the turn was closed (the worker's TurnEnding). */
  ending: 'stop' | 'interrupt' | 'session_end' | 'stale';
  /** The root thread's hook events in arrival order (sub-agent events are in `subagents`). */
  events: readonly HookEvent[];
  /** The turn in the rollout, or null when there is no rollout or it lacks this turn. */
  rollout: RolloutTurnFacts | null;
  /** True when the session has a rollout path that could not be read. */
  rolloutMissing: boolean;
  /** What was missing, when the rollout was read but lacked the turn (the rollout_unavailable message). */
  rolloutProblem?: string;
  subagents: readonly SubagentFacts[];
  environment: EnvironmentFacts;
  /**
   * What git says the turn changed (src/worker/evidence.ts); absent when it was not looked for (then the
   * trace has no outcome). In a session trace, the last turn's input carries the whole session's.
   */
  git?: GitEvidence;
}

/** One turn, resolved but not yet rendered as text. */
interface TurnParts {
  input: TurnTraceInput;
  activity: TurnActivity;
  /** The root thread's model requests (undefined: no usage lines). */
  requests?: ModelRequest[];
  startMs: number;
  endMs: number;
  toolDetail: 'rollout' | 'hooks' | 'unavailable';
  subagents: { facts: SubagentFacts; activity: TurnActivity; requests?: ModelRequest[]; model?: string }[];
  model?: string;
  provider?: string;
  codexVersion?: string;
}

const hookPrompt = (events: readonly HookEvent[]) =>
  events.find((event) => event.event === 'UserPromptSubmit')?.payload.prompt ?? undefined;
const hookFinal = (events: readonly HookEvent[]) =>
  events.findLast((event) => event.event === 'Stop' || event.event === 'SubagentStop')?.payload
    .last_assistant_message ?? undefined;

/**
 * A thread's activity from its rollout merged with its hook events, or from the hooks alone; the prompt
 * and final message from the hooks when the rollout lacks them.
 */
function threadActivity(rollout: RolloutTurnFacts | null, events: readonly HookEvent[]): TurnActivity {
  const hookTools = toolsFromHooks(events);
  const activity: TurnActivity = rollout
    ? mergeHookTools(activityFromRollout(rollout.records, rollout.ended), hookTools)
    : { activities: hookTools, aborted: false, ended: false, modelErrors: [], unread: new Map() };
  activity.prompt ??= hookPrompt(events);
  activity.finalMessage ??= hookFinal(events);
  if (activity.finalMessage !== undefined) {
    const last = activity.activities.findLast((a) => a.type === 'message');
    if (last?.type !== 'message' || last.text.trim() !== activity.finalMessage.trim()) {
      activity.activities.push({
        type: 'message',
        atMs: activity.endedAtMs ?? lastArrival(events) ?? activity.startedAtMs ?? 0,
        text: activity.finalMessage,
      });
    }
  }
  return activity;
}

function resolveTurn(input: TurnTraceInput): TurnParts {
  const activity = threadActivity(input.rollout, input.events);
  const toolDetail: TurnParts['toolDetail'] = input.rollout
    ? 'rollout'
    : input.events.some((event) => event.event === 'PreToolUse' || event.event === 'PostToolUse')
      ? 'hooks'
      : 'unavailable';

  const firstArrival = input.events[0]?.arrivedAtMs;
  const startMs = activity.startedAtMs ?? firstArrival ?? activity.activities[0]?.atMs ?? 0;
  const hookSpan =
    firstArrival === undefined ? undefined : (lastArrival(input.events) ?? firstArrival) - firstArrival;
  const durationMs = activity.durationMs ?? spanOf(activity, startMs) ?? hookSpan ?? 0;

  const subagents = input.subagents.map((facts) => {
    const sub = threadActivity(facts.rollout, facts.events);
    const requests = facts.rollout
      ? turnRequests(facts.rollout.records, undefined, facts.rollout.tokenBaseline)
      : undefined;
    // Its own rollout's turn_context; else what its hook events say (they carry the sub-agent's model).
    const model =
      sub.model ??
      facts.rollout?.modelBefore ??
      facts.events.findLast((event) => event.payload.model)?.payload.model;
    return { facts, activity: sub, requests, model };
  });

  const model =
    activity.model ??
    input.rollout?.modelBefore ??
    input.events.findLast((event) => event.payload.model)?.payload.model;
  return {
    input,
    activity,
    requests: input.rollout
      ? turnRequests(input.rollout.records, input.turnId ?? undefined, input.rollout.tokenBaseline)
      : undefined,
    startMs,
    endMs: startMs + durationMs,
    toolDetail,
    subagents,
    model,
    provider: input.rollout?.session.provider,
    codexVersion: input.rollout?.session.cliVersion,
  };
}

/**
 * How the turn ended, as far as is known (never `completed` by default): `interrupted` (turn_aborted or
 * the Interrupt hook), `failed` (it ended on an error), `completed` (its end is recorded: task_complete,
 * or a Stop when there is no rollout), else `incomplete`.
 */
function turnStatus(parts: TurnParts): TurnStatus {
  const { activity, input } = parts;
  if (activity.aborted || input.ending === 'interrupt') return 'interrupted';
  if (activity.failed) return 'failed';
  if (input.rollout ? input.rollout.ended : input.ending === 'stop') return 'completed';
  return 'incomplete';
}

/** A session trace's status: its worst turn's. */
function sessionStatus(turns: readonly TurnParts[]): TurnStatus {
  const statuses = new Set(turns.map(turnStatus));
  return (['failed', 'interrupted', 'incomplete'] as const).find((s) => statuses.has(s)) ?? 'completed';
}

/** The turn's prompt as the trace names it (see promptText). */
const shownPrompt = (activity: TurnActivity) => promptText(activity.prompt, activity.promptImages);

/**
 * What the turn answered: its final message, and in Plan mode the plan it proposed with it (Codex takes
 * the plan out of the message into a Plan item: the plan is the answer when no tool call came after it).
 */
function answer(activity: TurnActivity): string | undefined {
  const last = activity.activities.findLastIndex((a) => a.type === 'plan');
  const plan = activity.activities[last];
  if (plan?.type !== 'plan' || activity.activities.slice(last).some((a) => a.type === 'tool')) {
    return activity.finalMessage;
  }
  const message = activity.finalMessage?.trim();
  return message ? `${message}\n\n${plan.text}` : plan.text;
}

/** Late results of earlier turns' background commands, as the environment lists them. */
function lateResults(activity: TurnActivity): Environment['late_results'] {
  if (!activity.late?.length) return undefined;
  return activity.late.map((late) => ({
    call_id: late.callId,
    turn_id: late.turnId,
    exit_code: late.exitCode,
    killed: late.killed || undefined,
    occurred_at: iso(late.atMs),
  }));
}

/** The activity of the turn's root thread and of each of its sub-agents. */
const threadsOf = (parts: TurnParts) => [parts.activity, ...parts.subagents.map((sub) => sub.activity)];

function lastArrival(events: readonly HookEvent[]): number | undefined {
  return events.at(-1)?.arrivedAtMs;
}

/** From the turn's first line to its end line (or last line, when it has not ended). */
function spanOf(activity: TurnActivity, startMs: number): number | undefined {
  const end = activity.endedAtMs ?? activity.activities.at(-1)?.atMs;
  return end === undefined ? undefined : Math.max(0, end - startMs);
}

/** Applies the content mode and field limits to every piece of text. */
class TextPolicy {
  private readonly redact: Redactor;
  // A command is shown as a step's input and again in its description and error: redact it once.
  // Only short texts are kept (commands); outputs are seen once and would only cost hashing.
  private readonly redacted = new Map<string, string>();
  private readonly measure: <T>(run: () => T) => T;
  constructor(
    readonly mode: ContentMode,
    redactPatterns: readonly string[],
    agentSecrets: readonly string[] = [],
    measure: <T>(run: () => T) => T = (run) => run(),
  ) {
    this.measure = measure;
    this.redact = measure(() => makeRedactor(redactPatterns, mode !== 'full', agentSecrets));
  }

  get withText(): boolean {
    return this.mode !== 'metadata';
  }

  /** Content text (prompt, command, output, message): absent in metadata mode. */
  content(text: string | undefined, max: number): string | undefined {
    if (text === undefined || !this.withText) return undefined;
    // Redaction comes before any cut. A text too long to scan whole is scanned as a head and a tail far
    // above the final limit, each redacted on its own and trimmed back to whitespace at the edge where it
    // was cut off, so a secret split there leaves no half behind; the final cut takes only from those two.
    const window = Math.max(max * 4, 65_536);
    if (text.length <= window) return truncateMiddle(this.clean(text), max);
    const headLength = Math.ceil(window * 0.6);
    const tailLength = window - headLength;
    const head = this.clean(text.slice(0, headLength));
    const tail = this.clean(text.slice(text.length - tailLength));
    return joinCut(withoutCutEnd(head), withoutCutStart(tail), text.length - headLength - tailLength, max);
  }

  private clean(text: string): string {
    let clean = this.redacted.get(text);
    if (clean === undefined) {
      clean = this.measure(() => this.redact(text));
      if (text.length <= 1_024) this.redacted.set(text, clean);
    }
    return clean;
  }

  /**
   * A name the trace's metadata carries in every content mode (project, working directory, branch, run
   * label): redacted like any text, since a branch or a folder can be named after a secret.
   */
  metadata(text: string | undefined): string | undefined {
    return text === undefined ? undefined : this.clean(text);
  }

  /** A one-line excerpt for names and descriptions. */
  excerpt(text: string | undefined, max: number): string | undefined {
    const content = this.content(text, 4_000);
    if (content === undefined) return undefined;
    const line = content.replace(/\s+/g, ' ').trim();
    return line === '' ? undefined : truncateEnd(line, max);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

interface RenderedTurn {
  steps: Step[];
  errors: TraceError[];
}

function describeTool(tool: ToolActivity, text: TextPolicy): string {
  switch (tool.kind) {
    case 'command': {
      const command = text.excerpt(tool.input, 120);
      return command ? `Ran \`${command}\`` : 'Ran a shell command';
    }
    case 'patch': {
      const files = tool.files ?? [];
      if (files.length === 0) return 'Applied a patch';
      if (!text.withText) return `Applied a patch to ${files.length} file${files.length === 1 ? '' : 's'}`;
      return `Applied a patch to ${files.map((file) => text.excerpt(file, 200)).join(', ')}`;
    }
    case 'mcp': {
      const [, server, tool_] = /^mcp__(.*?)__(.*)$/.exec(tool.name) ?? [];
      return server ? `MCP call ${server}/${tool_}` : `MCP call ${tool.name}`;
    }
    case 'subagent_tool':
      return `Sub-agent tool ${tool.name}`;
    default:
      return `Called ${tool.name}`;
  }
}

function toolStep(tool: ToolActivity, text: TextPolicy, stepNumber: number, agentId?: string): Step {
  return {
    step_number: stepNumber,
    action: 'tool_call',
    description: describeTool(tool, text),
    started_at: iso(tool.atMs),
    duration_ms: tool.durationMs === undefined ? undefined : Math.max(0, Math.round(tool.durationMs)),
    status: tool.status,
    tool_name: tool.name,
    input: text.content(tool.input, FIELD_LIMITS.input),
    output: text.content(tool.output, FIELD_LIMITS.output),
    exit_code: tool.exitCode,
    agent_id: agentId,
    attachments: attachments(tool.images, text),
  };
}

/** Images as steps show them: name, type and size; names pass the content mode like any text. */
function attachments(images: readonly ImageRef[] | undefined, text: TextPolicy): Attachment[] | undefined {
  if (!images || images.length === 0) return undefined;
  return images.map((image, index) => ({
    name: (image.name && text.excerpt(image.name, 200)) || `image ${index + 1}`,
    type: image.type,
    size_bytes: image.sizeBytes,
  }));
}

/**
 * The prompt as a trace names it: its text, or for a prompt made only of images "[image] <names>" (an
 * image-only turn is still a turn with a meaningful name).
 */
function promptText(prompt: string | undefined, images: readonly ImageRef[] | undefined): string | undefined {
  if ((prompt === undefined || prompt.trim() === '') && images && images.length > 0) {
    const names = images.map((image, index) => image.name ?? `image ${index + 1}`);
    return `[image] ${names.join(', ')}`;
  }
  return prompt;
}

function toolError(tool: ToolActivity, text: TextPolicy, stepNumber: number): TraceError | undefined {
  if (tool.status === 'success') return undefined;
  const what = tool.kind === 'command' ? text.excerpt(tool.input, 200) : undefined;
  const base = { step_number: stepNumber, tool_name: tool.name, occurred_at: iso(tool.atMs) };
  if (tool.status === 'incomplete') {
    const how = tool.killed
      ? 'was still running when the turn ended; Codex killed it when it exited'
      : tool.runningAs !== undefined
        ? `was still running in the background (process ${tool.runningAs}) when the turn ended`
        : 'call did not finish';
    return {
      ...base,
      error_type: 'tool_incomplete',
      message: `${tool.name} ${how}${what ? `: ${what}` : ''}`,
    };
  }
  if (tool.rejected) {
    // Codex's own message ("unsupported call: no_such_tool"); it can quote the model's arguments.
    const reason = text.excerpt(tool.output, FIELD_LIMITS.error - 100);
    return {
      ...base,
      error_type: 'tool_rejected',
      message: `Codex rejected the ${tool.name} call; it never ran${reason ? `: ${reason}` : ''}`,
    };
  }
  if (tool.kind === 'command') {
    const code = tool.exitCode === undefined ? 'failed' : `exited with code ${tool.exitCode}`;
    return { ...base, error_type: 'command_failed', message: `Command ${code}${what ? `: ${what}` : ''}` };
  }
  // Codex's own short answer says why ("write_stdin failed: Unknown process id 5978").
  const reason = tool.output && tool.output.length <= 500 ? text.excerpt(tool.output, 300) : undefined;
  const message = reason?.startsWith(`${tool.name} failed`)
    ? reason
    : `${tool.name} call failed${reason ? `: ${reason}` : ''}`;
  return { ...base, error_type: 'tool_failed', message };
}

/** Renders activities as numbered steps (from `firstNumber`) with the errors they carry. */
function renderActivities(
  activities: readonly Activity[],
  text: TextPolicy,
  firstNumber: number,
  finalMessage: string | undefined,
  agentId?: string,
): RenderedTurn {
  const steps: Step[] = [];
  const errors: TraceError[] = [];
  const lastMessage = activities.findLastIndex((activity) => activity.type === 'message');
  activities.forEach((activity, index) => {
    const number = firstNumber + steps.length;
    if (activity.type === 'tool') {
      steps.push(toolStep(activity, text, number, agentId));
      const error = toolError(activity, text, number);
      if (error) errors.push(error);
    } else if (activity.type === 'prompt') {
      const hook = activity.source === 'hook';
      steps.push({
        step_number: number,
        action: hook ? 'hook_prompt' : 'user_prompt',
        description: hook ? 'Stop hook continued the turn' : 'User prompt (steered into the running turn)',
        started_at: iso(activity.atMs),
        status: 'success',
        input: text.content(promptText(activity.text, activity.images), FIELD_LIMITS.summary),
        agent_id: agentId,
        attachments: attachments(activity.images, text),
      });
    } else if (activity.type === 'plan') {
      steps.push({
        step_number: number,
        action: 'plan',
        description: 'Proposed plan',
        started_at: iso(activity.atMs),
        status: 'success',
        output: text.content(activity.text, FIELD_LIMITS.summary),
        agent_id: agentId,
      });
    } else if (activity.type === 'compaction') {
      steps.push({
        step_number: number,
        action: 'compaction',
        description: 'Context compacted',
        started_at: iso(activity.atMs),
        status: 'success',
        output: text.content(activity.summary, FIELD_LIMITS.output),
        agent_id: agentId,
      });
    } else {
      const final = index === lastMessage && activity.text.trim() === finalMessage?.trim();
      steps.push({
        step_number: number,
        action: 'assistant_message',
        description: final ? 'Final assistant message' : 'Assistant message',
        started_at: iso(activity.atMs),
        status: 'success',
        output: text.content(activity.text, FIELD_LIMITS.summary),
        agent_id: agentId,
      });
    }
  });
  return { steps, errors };
}

function promptStep(activity: TurnActivity, atMs: number, text: TextPolicy, number: number): Step {
  const images = activity.promptImages;
  return {
    step_number: number,
    action: 'user_prompt',
    description: images?.length
      ? `User prompt with ${images.length} image${images.length === 1 ? '' : 's'}`
      : 'User prompt',
    started_at: iso(atMs),
    status: 'success',
    input: text.content(promptText(activity.prompt, images), FIELD_LIMITS.summary),
    attachments: attachments(images, text),
  };
}

/** Why Codex aborted a turn (turn_aborted's reason), when it was not the user's interrupt. */
const ABORTED_BECAUSE: Record<string, string> = {
  replaced: 'Codex ended the turn to start another in its place',
  review_ended: 'The review ended the turn',
  budget_limited: 'Codex stopped the turn at its budget limit',
};

function renderTurn(parts: TurnParts, text: TextPolicy, firstNumber: number): RenderedTurn {
  const { activity, input } = parts;
  const steps: Step[] = [promptStep(activity, activity.promptAtMs ?? parts.startMs, text, firstNumber)];
  const errors: TraceError[] = [];
  const body = renderActivities(activity.activities, text, firstNumber + 1, activity.finalMessage);
  steps.push(...body.steps);
  errors.push(...body.errors);

  for (const sub of parts.subagents) {
    const subStart = sub.activity.startedAtMs ?? sub.activity.activities[0]?.atMs ?? parts.startMs;
    const nested = renderActivities(
      sub.activity.activities,
      text,
      1,
      sub.activity.finalMessage,
      sub.facts.agentId,
    );
    const subEnd = sub.activity.endedAtMs ?? sub.activity.activities.at(-1)?.atMs;
    const failed = nested.steps.some((step) => step.status === 'failure');
    const step: Step = {
      step_number: 0,
      action: 'subagent',
      description: `Sub-agent ${sub.facts.agentType ?? 'agent'} (${sub.facts.agentId})${sub.model ? ` on ${sub.model}` : ''}`,
      model: sub.model,
      started_at: iso(subStart),
      duration_ms:
        sub.activity.durationMs ?? (subEnd === undefined ? undefined : Math.max(0, subEnd - subStart)),
      status: sub.activity.aborted ? 'incomplete' : failed ? 'failure' : 'success',
      input: text.content(sub.activity.prompt, FIELD_LIMITS.summary),
      output: text.content(sub.activity.finalMessage, FIELD_LIMITS.summary),
      agent_id: sub.facts.agentId,
      steps: nested.steps,
    };
    // Placed by start time among the parent's steps (after the call that spawned it).
    const at = steps.findIndex(
      (existing, i) => i > 0 && (existing.started_at ?? '') > (step.started_at ?? ''),
    );
    steps.splice(at < 0 ? steps.length : at, 0, step);
    for (const error of nested.errors) {
      errors.push({
        ...error,
        message: `Sub-agent ${sub.facts.agentId}: ${error.message}`,
        step_number: undefined,
      });
    }
  }
  // Numbers follow the final order; errors follow their steps.
  const renumber = new Map<number, number>();
  steps.forEach((step, index) => {
    if (step.action !== 'subagent') renumber.set(step.step_number, firstNumber + index);
    step.step_number = firstNumber + index;
  });
  for (const error of errors) {
    if (error.step_number !== undefined) error.step_number = renumber.get(error.step_number);
  }

  const endIso = iso(parts.endMs);
  if (activity.aborted || input.ending === 'interrupt') {
    errors.push({
      error_type: 'turn_interrupted',
      message: ABORTED_BECAUSE[activity.abortReason ?? ''] ?? 'The user interrupted the turn',
      occurred_at: endIso,
    });
  } else if ((input.ending === 'stale' || input.ending === 'session_end') && !activity.ended) {
    errors.push({
      error_type: 'turn_incomplete',
      message:
        input.ending === 'stale'
          ? 'The turn never finished (no Stop arrived before the stale timeout)'
          : 'The session ended before the turn finished',
      occurred_at: endIso,
    });
  } else if (input.rollout && !input.rollout.ended) {
    // The worker waited for the rollout to confirm the Stop (src/worker/run.ts) and gave up.
    errors.push({
      error_type: 'turn_incomplete',
      message:
        'Codex never recorded the end of the turn in its rollout (no task_complete after the Stop); the trace holds what was written',
      occurred_at: endIso,
    });
  }
  for (const [source, list] of [
    [undefined, activity.modelErrors],
    ...parts.subagents.map((sub) => [sub.facts.agentId, sub.activity.modelErrors] as const),
  ] as const) {
    for (const error of list) errors.push(modelError(error, text, source));
  }
  if (input.rolloutMissing) {
    errors.push({
      error_type: 'rollout_unavailable',
      message: input.rolloutProblem ?? 'The session rollout file could not be read; tool detail is missing',
      occurred_at: endIso,
    });
  }
  return { steps, errors };
}

/** A failed model request as an error entry; `agentId` names the sub-agent whose request it was. */
function modelError(error: ModelError, text: TextPolicy, agentId: string | undefined): TraceError {
  const what = error.fatal ? 'Model request failed' : 'Model response stream dropped (Codex retried)';
  const detail = text.excerpt(error.message, FIELD_LIMITS.error - 200);
  return {
    error_type: error.fatal ? 'model_error' : 'stream_error',
    message: `${agentId ? `Sub-agent ${agentId}: ` : ''}${what}${error.info ? ` (${error.info})` : ''}${detail ? `: ${detail}` : ''}`,
    occurred_at: iso(error.atMs),
  };
}

/**
 * Token usage and cost per model (insertion order: the parent's model first); `undefined` is an unknown
 * model.
 */
type UsageByModel = Map<string | undefined, ModelShare>;

function addTo(
  byModel: UsageByModel,
  model: string | undefined,
  requests: readonly ModelRequest[] | undefined,
  provider: string | undefined,
): void {
  if (!requests) return;
  byModel.set(model, addRequests(byModel.get(model), requests, model, provider));
}

/**
 * The turn's usage by model: each request on the model in force when it was made (the root thread's and
 * each sub-agent's own), so a request on another model (a compaction Codex runs on the previous model
 * after a /model switch) is never added to the turn's model.
 */
function usageOf(parts: TurnParts, into: UsageByModel = new Map()): UsageByModel {
  const threads = [
    {
      model: parts.model,
      before: parts.input.rollout?.modelBefore,
      requests: parts.requests,
      provider: parts.provider,
    },
    ...parts.subagents.map((sub) => ({
      model: sub.model,
      before: sub.facts.rollout?.modelBefore,
      requests: sub.requests,
      provider: sub.facts.rollout?.session.provider ?? parts.provider,
    })),
  ];
  for (const thread of threads) {
    if (!thread.requests) continue;
    // The thread's own model first, so the parent's model stays the first of by_model.
    addTo(into, thread.model, [], thread.provider);
    const onModel = new Map<string | undefined, ModelRequest[]>();
    for (const request of thread.requests) {
      const model = request.model ?? thread.before ?? thread.model;
      onModel.set(model, [...(onModel.get(model) ?? []), request]);
    }
    for (const [model, requests] of onModel) addTo(into, model, requests, thread.provider);
  }
  for (const [model, share] of into) if (share.usage.responses === 0) into.delete(model);
  return into;
}

/** Every rollout record the turn's threads hold (for the facts of the session's account). */
const recordsOf = (parts: TurnParts) => [
  parts.input.rollout?.records ?? [],
  ...parts.subagents.map((sub) => sub.facts.rollout?.records ?? []),
];

const counters = ({ usage, ...share }: ModelShare) => ({
  prompt_tokens: usage.input,
  completion_tokens: usage.output,
  total_tokens: usage.total,
  cached_tokens: usage.cached,
  reasoning_tokens: usage.reasoning,
  api_calls_count: usage.responses,
  cost: shareCost({ usage, ...share }),
});

/**
 * llm_usage: with one model, every counter of the turn. With several (a sub-agent on another model), the
 * counters are `model`'s alone and `by_model` gives each model's share, so no token is priced as a model
 * that did not serve it.
 */
function llmUsage(byModel: UsageByModel, model: string | undefined, provider: string | undefined): LlmUsage {
  const result: LlmUsage = { model, provider: provider ?? 'openai' };
  const own = byModel.size === 1 ? [...byModel.values()][0] : byModel.get(model);
  if (own) Object.assign(result, counters(own));
  if (byModel.size > 1) {
    result.by_model = [...byModel].map(([name, share]) => ({ model: name, ...counters(share) }));
  }
  // The whole trace's cost, over every model (the counters above may be one model's).
  result.cost = totalCost(byModel.values());
  return result;
}

function environment(
  parts: TurnParts,
  options: TraceOptions,
  text: TextPolicy,
  toolDetail: Environment['tool_detail'],
  unread: Environment['unread_rollout_lines'],
  status: TurnStatus,
): Environment {
  const env = parts.input.environment;
  return {
    agent: 'codex-cli',
    codex_version: parts.codexVersion,
    model: parts.model,
    os: env.os,
    cwd: text.metadata(env.cwd) as string,
    project: text.metadata(env.project) as string,
    // Read from the cwd's .git; Codex's own record of it (session_meta) when that is not readable.
    git_branch: text.metadata(env.gitBranch ?? parts.input.rollout?.session.gitBranch),
    git_commit: env.gitCommit ?? parts.input.rollout?.session.gitCommit,
    connector_version: env.connectorVersion,
    session_id: parts.input.sessionId,
    turn_id: parts.input.turnId ?? undefined,
    capture_mode: options.capture,
    content_mode: options.contentMode,
    tool_detail: toolDetail,
    turn_status: status,
    late_results: lateResults(parts.activity),
    unread_rollout_lines: unread,
    run_id: env.runId,
    run_label: text.metadata(env.runLabel),
    imported: env.imported,
  };
}

function toolsUsed(steps: readonly Step[]): string | undefined {
  const names = new Set<string>();
  const visit = (list: readonly Step[]) => {
    for (const step of list) {
      if (step.tool_name && step.action === 'tool_call') names.add(step.tool_name);
      if (step.steps) visit(step.steps);
    }
  };
  visit(steps);
  return names.size > 0 ? [...names].join(', ') : undefined;
}

function general(steps: readonly Step[]): TaskData['general'] {
  const tools = toolsUsed(steps);
  return tools ? { tools_used: tools } : undefined;
}

function countTools(steps: readonly Step[]): { calls: number; failed: number } {
  let calls = 0;
  let failed = 0;
  for (const step of steps) {
    if (step.action === 'tool_call') {
      calls += 1;
      if (step.status !== 'success') failed += 1;
    }
    if (step.steps) {
      const nested = countTools(step.steps);
      calls += nested.calls;
      failed += nested.failed;
    }
  }
  return { calls, failed };
}

/** How much of the prompt opens the description. */
const DESCRIPTION_PROMPT_CHARS = 1_000;

/**
 * The task first, as Infinium's sibling connectors write it (Maestro judges the turn against what was
 * asked): the prompt's excerpt, then one statistics line (which turn, tool calls, failures, duration,
 * model). Without prompt text (metadata mode, a turn without one) only the statistics line.
 */
function describe(
  prompt: string | undefined,
  what: string,
  steps: readonly Step[],
  errors: readonly TraceError[],
  durationMs: number,
  model: string | undefined,
  outcome: string | undefined,
): string {
  const { calls, failed } = countTools(steps);
  const parts = [`${what}: ${calls} tool call${calls === 1 ? '' : 's'}`];
  if (failed > 0) parts.push(`${failed} failed or unfinished`);
  const modelErrors = errors.filter((error) => error.error_type === 'model_error').length;
  if (modelErrors > 0) parts.push(`${modelErrors} failed model request${modelErrors === 1 ? '' : 's'}`);
  parts.push(`${(durationMs / 1000).toFixed(1)} s`);
  if (model) parts.push(`model ${model}`);
  const statistics = parts.join(', ');
  const task = prompt === undefined ? '' : `${prompt}\n\n`;
  return truncateMiddle(`${task}${statistics}${outcome ? `\n${outcome}` : ''}`, LIMITS.descriptionMax);
}

/** Drift counts of the turn's threads (root and sub-agents) together; absent when there are none. */
function unreadCounts(activities: readonly TurnActivity[]): Record<string, number> | undefined {
  const counts: Record<string, number> = {};
  for (const activity of activities) {
    for (const [type, count] of activity.unread) counts[type] = (counts[type] ?? 0) + count;
  }
  return Object.keys(counts).length > 0 ? counts : undefined;
}

const seconds = (ms: number) => Math.min(LIMITS.durationMaxSeconds, Math.max(0, ms) / 1000);

/** The trace of one turn. */
export function buildTurnTrace(input: TurnTraceInput, options: TraceOptions): TaskData {
  const text = new TextPolicy(
    options.contentMode,
    options.redactPatterns,
    options.agentSecrets,
    options.measureRedaction,
  );
  const parts = resolveTurn(input);
  const { steps, errors } = renderTurn(parts, text, 1);
  const outcome = input.git && turnOutcome(placedTools([parts], steps), input.git, text);
  const project = text.metadata(input.environment.project) as string;
  const title = text.excerpt(shownPrompt(parts.activity), 100);
  const usage = usageOf(parts);
  const data: TaskData = {
    name: truncateEnd(`${project}: ${title ?? `Codex turn ${input.turnNumber}`}`, LIMITS.nameMax),
    description: describe(
      text.excerpt(shownPrompt(parts.activity), DESCRIPTION_PROMPT_CHARS),
      `Codex CLI turn ${input.turnNumber} of session ${input.sessionId} in ${project}`,
      steps,
      errors,
      parts.endMs - parts.startMs,
      parts.model,
      outcome?.sentence,
    ),
    current_datetime: iso(options.nowMs),
    duration: seconds(parts.endMs - parts.startMs),
    input_summary: text.content(shownPrompt(parts.activity), FIELD_LIMITS.summary),
    output_summary: text.content(answer(parts.activity), FIELD_LIMITS.summary),
    llm_usage: llmUsage(usage, parts.model, parts.provider),
    steps,
    errors,
    environment: {
      ...environment(
        parts,
        options,
        text,
        parts.toolDetail,
        unreadCounts(threadsOf(parts)),
        turnStatus(parts),
      ),
      pricing: pricingFacts(usage, recordsOf(parts)),
      outcome: outcome?.evidence,
    },
    time_tracking: { start_time: iso(parts.startMs), end_time: iso(parts.endMs) },
    general: general(steps),
    outcome: outcome?.sentence,
    development: outcome?.development,
  };
  return fitBody(dropUndefined(data));
}

/** One trace for several turns of a session (per-session granularity). */
export function buildSessionTrace(inputs: readonly TurnTraceInput[], options: TraceOptions): TaskData {
  const first = inputs[0];
  if (!first) throw new Error('buildSessionTrace needs at least one turn');
  const text = new TextPolicy(
    options.contentMode,
    options.redactPatterns,
    options.agentSecrets,
    options.measureRedaction,
  );
  const turns = inputs.map(resolveTurn);
  const steps: Step[] = [];
  const errors: TraceError[] = [];
  const usage: UsageByModel = new Map();
  for (const parts of turns) {
    const rendered = renderTurn(parts, text, steps.length + 1);
    steps.push(...rendered.steps);
    errors.push(...rendered.errors);
    usageOf(parts, usage);
  }
  const startMs = Math.min(...turns.map((t) => t.startMs));
  const endMs = Math.max(...turns.map((t) => t.endMs));
  const last = turns[turns.length - 1] as TurnParts;
  const git = last.input.git;
  const outcome = git && turnOutcome(placedTools(turns, steps), git, text);
  const project = text.metadata(first.environment.project) as string;
  const toolDetails = new Set(turns.map((t) => t.toolDetail));
  const toolDetail = toolDetails.has('rollout')
    ? 'rollout'
    : toolDetails.has('hooks')
      ? 'hooks'
      : 'unavailable';
  const model = turns.findLast((t) => t.model)?.model;
  const withModel: TurnParts = {
    ...last,
    model,
    codexVersion: turns.find((t) => t.codexVersion)?.codexVersion,
  };
  const data: TaskData = {
    name: truncateEnd(
      `${project}: Codex session ${first.sessionId} (${inputs.length} turn${inputs.length === 1 ? '' : 's'})`,
      LIMITS.nameMax,
    ),
    description: describe(
      text.excerpt(turns[0] && shownPrompt(turns[0].activity), DESCRIPTION_PROMPT_CHARS),
      `Codex CLI session ${first.sessionId} in ${project}, ${inputs.length} turn${inputs.length === 1 ? '' : 's'}`,
      steps,
      errors,
      endMs - startMs,
      model,
      outcome?.sentence,
    ),
    current_datetime: iso(options.nowMs),
    duration: seconds(endMs - startMs),
    input_summary: text.content(turns[0] && shownPrompt(turns[0].activity), FIELD_LIMITS.summary),
    output_summary: text.content(answer(last.activity), FIELD_LIMITS.summary),
    llm_usage: llmUsage(usage, model, turns.find((t) => t.provider)?.provider),
    steps,
    errors,
    environment: {
      ...environment(
        withModel,
        options,
        text,
        toolDetail,
        unreadCounts(turns.flatMap(threadsOf)),
        sessionStatus(turns),
      ),
      turn_id: undefined,
      pricing: pricingFacts(usage, turns.flatMap(recordsOf)),
      outcome: outcome?.evidence,
    },
    time_tracking: { start_time: iso(startMs), end_time: iso(endMs) },
    general: general(steps),
    outcome: outcome?.sentence,
    development: outcome?.development,
  };
  return fitBody(dropUndefined(data));
}

/**
 * The tool calls of these turns (sub-agents' included), each with the number of the step that shows it (a
 * sub-agent's: its sub-agent step), found by tool name and start time, as renderTurn made the steps.
 */
function placedTools(turns: readonly TurnParts[], steps: readonly Step[]): PlacedTool[] {
  const numbers = new Map<string, number[]>();
  const key = (agentId: string | undefined, name: string | undefined, at: string | undefined) =>
    `${agentId ?? ''}\0${name ?? ''}\0${at ?? ''}`;
  for (const step of steps) {
    const nested = step.action === 'subagent' ? (step.steps ?? []) : [step];
    for (const shown of nested) {
      if (shown.action !== 'tool_call') continue;
      const id = key(shown.agent_id, shown.tool_name, shown.started_at);
      numbers.set(id, [...(numbers.get(id) ?? []), step.step_number]);
    }
  }
  const place = (tool: ToolActivity, agentId?: string): PlacedTool => ({
    tool,
    agentId,
    stepNumber: numbers.get(key(agentId, tool.name, iso(tool.atMs)))?.shift(),
  });
  const tools = (activities: readonly Activity[]) =>
    activities.filter((activity): activity is ToolActivity => activity.type === 'tool');
  return turns.flatMap((parts) => [
    ...tools(parts.activity.activities).map((tool) => place(tool)),
    ...parts.subagents.flatMap((sub) =>
      tools(sub.activity.activities).map((tool) => place(tool, sub.facts.agentId)),
    ),
  ]);
}

/** TaskData omits absent fields: drops undefined keys at any depth, in place. */
function dropUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) dropUndefined(item);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (record[key] === undefined) delete record[key];
      else dropUndefined(record[key]);
    }
  }
  return value;
}
