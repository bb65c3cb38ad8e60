// The Infinium trace body (TaskData), as it goes on the wire: snake_case keys, absent fields omitted.
// Infinium publishes the top-level keys and llm_usage's basic counters. The shapes of Step, TraceError and
// Environment, and the cached/reasoning token keys, are NOT published: they are our choice (spec:
// infinium-api.md) and live only in this module, so they can be corrected in one place.

export const LIMITS = {
  nameMax: 500,
  descriptionMax: 10_000,
  durationMaxSeconds: 86_400,
  bodyMaxBytes: 1_000_000,
} as const;

export interface LlmUsage {
  model?: string;
  provider?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  api_calls_count?: number;
  /** Our choice: part of prompt_tokens served from the provider's cache. */
  cached_tokens?: number;
  /** Our choice: part of completion_tokens spent on reasoning. */
  reasoning_tokens?: number;
  /**
   * Our choice: when the turn's requests ran on more than one model (a sub-agent on another model), the
   * usage of each model; the counters above are then those of `model` alone, so no token is priced as a
   * model that did not serve it. Absent when one model served the whole turn.
   */
  by_model?: ModelUsage[];
  /**
   * Our choice: what the turn's model requests cost in USD, over every model whose requests were all
   * priced (see environment.pricing for the table, the basis and any model left out). Absent when no
   * request could be priced.
   */
  cost?: number;
}

/** Our choice: one model's share of a turn's usage (same keys and meaning as in LlmUsage). */
export interface ModelUsage {
  /** Absent when Codex did not record which model served these requests. */
  model?: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  api_calls_count: number;
  /** USD; absent when the price table does not know this model. */
  cost?: number;
}

/** Our choice: how llm_usage.cost was priced. */
export interface Pricing {
  /** The price table (an npm package) and its version. */
  table: string;
  table_version: string;
  /**
   * `api`: what the requests are billed at the provider's API prices. `plan-included`: the session ran on a
   * ChatGPT plan (Codex recorded its plan type): the cost is what the requests would cost on the API, not
   * what was billed.
   */
  basis: 'api' | 'plan-included';
  /** Models the table does not know: their requests are in the token counts but not in the cost. */
  unpriced_models?: string[];
}

export type StepAction =
  | 'user_prompt'
  /** The text a blocking Stop hook gave Codex to continue the turn. */
  | 'hook_prompt'
  | 'tool_call'
  | 'assistant_message'
  | 'subagent'
  | 'compaction'
  /** Plan mode's proposed plan (Codex's Plan item). */
  | 'plan';
export type StepStatus = 'success' | 'failure' | 'incomplete';

/** Our choice of shape (not published by Infinium). */
export interface Step {
  step_number: number;
  action: StepAction;
  description: string;
  started_at?: string;
  duration_ms?: number;
  status: StepStatus;
  tool_name?: string;
  input?: string;
  output?: string;
  exit_code?: number;
  agent_id?: string;
  /** A sub-agent step: the model its own requests ran on. */
  model?: string;
  /** Sub-agent work nested under its parent step. */
  steps?: Step[];
  /** Our choice: images the user gave (prompt steps) or a tool returned (view_image), never their bytes. */
  attachments?: Attachment[];
}

/** Our choice: an image as a step shows it: its name, MIME type and size, never its content. */
export interface Attachment {
  name: string;
  type?: string;
  size_bytes?: number;
}

/** Our choice: a background command of an earlier turn whose end reached the rollout in this one. */
export interface LateResult {
  call_id: string;
  /** The turn that ran the command (its trace has the command's step, sent before this result came). */
  turn_id: string;
  exit_code?: number;
  /** Codex killed it (exit -1) instead of it ending on its own. */
  killed?: boolean;
  occurred_at?: string;
}

export type TraceErrorType =
  | 'command_failed'
  | 'tool_failed'
  | 'tool_incomplete'
  | 'turn_interrupted'
  | 'turn_incomplete'
  | 'rollout_unavailable'
  /** Codex's router refused a tool call (unknown tool, unparseable arguments): it never ran. */
  | 'tool_rejected'
  /** A model request failed and ended the turn (usage limit, provider error). */
  | 'model_error'
  /** A model response stream dropped and Codex retried it. */
  | 'stream_error';

/** Our choice of shape (not published by Infinium). */
export interface TraceError {
  message: string;
  error_type: TraceErrorType;
  step_number?: number;
  tool_name?: string;
  occurred_at?: string;
}

/** Our choice of shape (not published by Infinium). */
export interface Environment {
  agent: 'codex-cli';
  /** Our choice: set only on `infinium-codex test --send-trace` traces, so they can be filtered out. */
  purpose?: 'connection_test';
  codex_version?: string;
  model?: string;
  os?: string;
  cwd?: string;
  project?: string;
  git_branch?: string;
  git_commit?: string;
  connector_version?: string;
  session_id?: string;
  turn_id?: string;
  capture_mode?: string;
  content_mode?: string;
  tool_detail?: 'rollout' | 'hooks' | 'unavailable';
  /** Our choice: results of earlier turns' background commands that arrived during this turn. */
  late_results?: LateResult[];
  /** Our choice: how the turn ended (docs/traced-events.md, "How a turn ends"); never success by default. */
  turn_status?: TurnStatus;
  /**
   * Drift sentinel: rollout line and item types of this turn the reader does not know (e.g.
   * `event_msg:some_new_event`), with how many lines of each. Type names only, never content.
   */
  unread_rollout_lines?: Record<string, number>;
  /** Our choice: what came of the turn (files, checks, commits): see OutcomeEvidence. */
  outcome?: OutcomeEvidence;
  /** Our choice: INFINIUM_CODEX_RUN_ID / _LABEL of the session, to find one run's traces across sessions. */
  run_id?: string;
  run_label?: string;
  /**
   * Our choice: true on a trace `infinium-codex import` built afterwards from a past session's rollout
   * (no hook events: facts only hooks give are absent). Absent on live traces.
   */
  imported?: boolean;
  /** Our choice: present when the trace has model requests. */
  pricing?: Pricing;
}

/** Our choice: `completed`, `failed` (ended on an error), `interrupted`, `incomplete` (its end was never recorded). */
export type TurnStatus = 'completed' | 'failed' | 'interrupted' | 'incomplete';
/**
 * Our choice of shape (not published by Infinium): what came of the turn, from the working tree before and
 * after it (git) and from its commands. Paths and counts only, never file contents; in metadata content
 * mode no path, command text, subject or URL.
 */
export interface OutcomeEvidence {
  /** `partial`: the snapshot before the turn was taken after its first tool call; `unavailable`: no git evidence (`reason`). */
  evidence: 'complete' | 'partial' | 'unavailable';
  reason?: string;
  /** Where `files` come from: the two snapshots, or (git unavailable) the patches the rollout records. */
  files_source: 'git' | 'rollout_patches';
  git: {
    head_before?: string;
    head_after?: string;
    branch_before?: string;
    branch_after?: string;
    dirty_before?: boolean;
    dirty_after?: boolean;
  };
  files_changed: number;
  lines_added: number;
  lines_removed: number;
  /** At most MAX_LISTED_FILES; the rest are counted in files_not_listed. Absent in metadata mode. */
  files?: OutcomeFile[];
  files_not_listed?: number;
  commits: OutcomeCommit[];
  pushed: boolean;
  pull_request_url?: string;
  checks: OutcomeCheck[];
  /** Per kind, how its LAST run ended. */
  checks_final: Partial<Record<CheckKind, 'passed' | 'failed'>>;
}

export type FileChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed';
export type CheckKind = 'test' | 'build' | 'typecheck' | 'lint' | 'format';
export const CHECK_KINDS: readonly CheckKind[] = ['test', 'build', 'typecheck', 'lint', 'format'];
/** At most this many files are listed in environment.outcome.files; the rest are counted. */
export const MAX_LISTED_FILES = 200;
/** A commit id as environment.outcome.commits gives it: abbreviated (`git log %h`), sha-1 or sha-256. */
export const COMMIT_ID = /^[0-9a-f]{4,64}$/;

export interface OutcomeFile {
  path: string;
  /** The path before a rename. */
  from?: string;
  status: FileChangeStatus;
  /** Absent for a binary file (and a file a patch deleted). */
  added?: number;
  removed?: number;
}

export interface OutcomeCommit {
  /** Abbreviated. */
  sha: string;
  subject?: string;
  /** How many files it changed. */
  files: number;
}

export interface OutcomeCheck {
  kind: CheckKind;
  /** The command (metadata mode: the tool's name, e.g. `vitest`). */
  command: string;
  /** The step that ran it (a sub-agent's check: its sub-agent step, and agent_id). */
  step_number?: number;
  agent_id?: string;
  exit_code?: number;
  status: 'passed' | 'failed';
  passed?: number;
  failed?: number;
  skipped?: number;
}

/** Infinium's domain section for software work (keys as its older SDK documents them). */
export interface Development {
  programming_language?: string;
  framework_used?: string;
  /** Percent, 0..100, as the turn's coverage tool printed it. */
  test_coverage?: number;
}

export interface TimeTracking {
  start_time: string;
  end_time: string;
}

export interface TaskData {
  name: string;
  description: string;
  current_datetime: string;
  duration: number;
  input_summary?: string;
  output_summary?: string;
  llm_usage?: LlmUsage;
  steps?: Step[];
  errors?: TraceError[];
  environment?: Environment;
  time_tracking?: TimeTracking;
  general?: { tools_used?: string; agent_notes?: string };
  /** "Outcome description" (Infinium's Node SDK): what came of the turn, in one or two sentences. */
  outcome?: string;
  development?: Development;
}

export class TaskDataInvalid extends Error {
  override name = 'TaskDataInvalid';
  constructor(readonly problems: string[]) {
    super(`trace body is invalid: ${problems.join('; ')}`);
  }
}

// ISO 8601 date-time with an explicit zone (Z or ±hh:mm), as Infinium requires.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function isIsoDateTime(value: unknown): value is string {
  return typeof value === 'string' && ISO_WITH_ZONE.test(value) && !Number.isNaN(Date.parse(value));
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Every rule the API enforces, as a list of problems (empty when the body is valid). */
export function taskDataProblems(data: TaskData): string[] {
  const problems: string[] = [];
  if (typeof data.name !== 'string' || data.name.length === 0 || data.name.length > LIMITS.nameMax) {
    problems.push(`name must be 1..${LIMITS.nameMax} characters`);
  }
  if (
    typeof data.description !== 'string' ||
    data.description.length === 0 ||
    data.description.length > LIMITS.descriptionMax
  ) {
    problems.push(`description must be 1..${LIMITS.descriptionMax} characters`);
  }
  if (!isIsoDateTime(data.current_datetime)) {
    problems.push('current_datetime must be an ISO 8601 date-time with a zone');
  }
  if (
    typeof data.duration !== 'number' ||
    !Number.isFinite(data.duration) ||
    data.duration < 0 ||
    data.duration > LIMITS.durationMaxSeconds
  ) {
    problems.push(`duration must be a number of seconds in 0..${LIMITS.durationMaxSeconds}`);
  }
  if (data.time_tracking) {
    if (!isIsoDateTime(data.time_tracking.start_time) || !isIsoDateTime(data.time_tracking.end_time)) {
      problems.push('time_tracking needs ISO 8601 start_time and end_time');
    }
  }
  if (data.llm_usage) {
    for (const key of [
      'prompt_tokens',
      'completion_tokens',
      'total_tokens',
      'api_calls_count',
      'cached_tokens',
      'reasoning_tokens',
    ] as const) {
      const value = data.llm_usage[key];
      if (value !== undefined && !isCount(value))
        problems.push(`llm_usage.${key} must be a whole number >= 0`);
      for (const [index, share] of (data.llm_usage.by_model ?? []).entries()) {
        if (key in share && !isCount(share[key as keyof ModelUsage]))
          problems.push(`llm_usage.by_model[${index}].${key} must be a whole number >= 0`);
      }
    }
  }
  problems.push(...costProblems(data));
  problems.push(...outcomeProblems(data));
  if (data.steps !== undefined && !Array.isArray(data.steps)) problems.push('steps must be an array');
  if (data.errors !== undefined && !Array.isArray(data.errors)) problems.push('errors must be an array');
  if (hasNull(data)) problems.push('absent fields must be omitted, not null');
  return problems;
}

const isUsd = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function costProblems(data: TaskData): string[] {
  const problems: string[] = [];
  if (data.llm_usage?.cost !== undefined && !isUsd(data.llm_usage.cost))
    problems.push('llm_usage.cost must be a number of USD >= 0');
  for (const [index, share] of (data.llm_usage?.by_model ?? []).entries()) {
    if (share.cost !== undefined && !isUsd(share.cost))
      problems.push(`llm_usage.by_model[${index}].cost must be a number of USD >= 0`);
  }
  const pricing = data.environment?.pricing;
  if (pricing) {
    if (
      typeof pricing.table !== 'string' ||
      pricing.table === '' ||
      typeof pricing.table_version !== 'string'
    )
      problems.push('environment.pricing needs its table and table_version');
    if (pricing.basis !== 'api' && pricing.basis !== 'plan-included')
      problems.push('environment.pricing.basis must be "api" or "plan-included"');
    if (
      pricing.unpriced_models !== undefined &&
      !(Array.isArray(pricing.unpriced_models) && pricing.unpriced_models.every((m) => typeof m === 'string'))
    )
      problems.push('environment.pricing.unpriced_models must be a list of model names');
  } else if (data.llm_usage?.cost !== undefined) {
    problems.push('llm_usage.cost needs environment.pricing to say how it was priced');
  }
  return problems;
}

const FILE_STATUSES: readonly string[] = ['added', 'modified', 'deleted', 'renamed'];
const VERDICTS: readonly string[] = ['passed', 'failed'];

/** The rules of `outcome`, environment.outcome and `development`. */
function outcomeProblems(data: TaskData): string[] {
  const problems: string[] = [];
  if (
    data.outcome !== undefined &&
    (typeof data.outcome !== 'string' || data.outcome.length > LIMITS.descriptionMax)
  )
    problems.push(`outcome must be a string of at most ${LIMITS.descriptionMax} characters`);
  const coverage = data.development?.test_coverage;
  if (coverage !== undefined && !(typeof coverage === 'number' && coverage >= 0 && coverage <= 100))
    problems.push('development.test_coverage must be a percentage in 0..100');
  const evidence = data.environment?.outcome;
  if (!evidence) return problems;
  const at = 'environment.outcome';
  if (!['complete', 'partial', 'unavailable'].includes(evidence.evidence))
    problems.push(`${at}.evidence must be complete, partial or unavailable`);
  for (const key of ['files_changed', 'lines_added', 'lines_removed'] as const) {
    if (!isCount(evidence[key])) problems.push(`${at}.${key} must be a whole number >= 0`);
  }
  const files = evidence.files ?? [];
  if (files.length > MAX_LISTED_FILES) problems.push(`${at}.files lists more than ${MAX_LISTED_FILES} files`);
  for (const [index, file] of files.entries()) {
    if (typeof file.path !== 'string' || !FILE_STATUSES.includes(file.status))
      problems.push(`${at}.files[${index}] needs a path and a known status`);
    if (
      (file.added !== undefined && !isCount(file.added)) ||
      (file.removed !== undefined && !isCount(file.removed))
    )
      problems.push(`${at}.files[${index}] line counts must be whole numbers >= 0`);
  }
  for (const [index, commit] of evidence.commits.entries()) {
    if (!COMMIT_ID.test(commit.sha) || !isCount(commit.files))
      problems.push(`${at}.commits[${index}] needs a commit id and a file count`);
  }
  for (const [index, check] of evidence.checks.entries()) {
    if (
      !CHECK_KINDS.includes(check.kind) ||
      !VERDICTS.includes(check.status) ||
      typeof check.command !== 'string'
    )
      problems.push(`${at}.checks[${index}] needs a known kind, a command and passed or failed`);
    for (const key of ['passed', 'failed', 'skipped'] as const) {
      if (check[key] !== undefined && !isCount(check[key]))
        problems.push(`${at}.checks[${index}].${key} must be a whole number >= 0`);
    }
  }
  for (const [kind, verdict] of Object.entries(evidence.checks_final)) {
    if (!CHECK_KINDS.includes(kind as CheckKind) || !VERDICTS.includes(verdict as string))
      problems.push(`${at}.checks_final.${kind} must be passed or failed`);
  }
  return problems;
}

function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.some(hasNull);
  if (typeof value === 'object') return Object.values(value as object).some(hasNull);
  return false;
}

/**
 * Serialises a trace body for the wire: drops undefined fields (JSON.stringify does), checks every rule
 * and the 1 MB cap. Throws TaskDataInvalid with all problems at once.
 */
export function serializeTaskData(data: TaskData): string {
  const problems = taskDataProblems(data);
  const body = JSON.stringify(data);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > LIMITS.bodyMaxBytes)
    problems.push(`body is ${bytes} bytes, over the ${LIMITS.bodyMaxBytes} limit`);
  if (problems.length > 0) throw new TaskDataInvalid(problems);
  return body;
}
