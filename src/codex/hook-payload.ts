// What Codex writes to a hook's stdin (0.169.0; schemas in test/fixtures/codex-0.169.0/schemas). Hooks
// change between Codex releases: unknown events and fields are kept, never rejected; only the fields we
// rely on are checked, where the payload enters (the worker reading the spool).

export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'PostToolUse',
  'PreCompact',
  'PostCompact',
  'Stop',
  'SubagentStart',
  'SubagentStop',
  'Interrupt',
  'SessionEnd',
] as const;

export type HookEventName = (typeof HOOK_EVENTS)[number];

export interface HookPayload {
  hook_event_name: string;
  /** The root thread id; a sub-agent's events carry its parent's. */
  session_id: string;
  /** The rollout file, or null for an ephemeral session. */
  transcript_path: string | null;
  cwd: string;
  model?: string;
  permission_mode?: string;
  turn_id?: string;
  /** Present on events from a sub-agent thread. */
  agent_id?: string;
  agent_type?: string;
  /** SessionStart: startup | resume | clear | compact | fork. */
  source?: string;
  /** UserPromptSubmit. */
  prompt?: string;
  /** Pre/PostToolUse, PermissionRequest. */
  tool_name?: string;
  tool_input?: unknown;
  tool_use_id?: string;
  /** PostToolUse: output text for shell commands; an MCP result object; a boolean on old builds. */
  tool_response?: unknown;
  /** Stop, SubagentStop. */
  last_assistant_message?: string | null;
  stop_hook_active?: boolean;
  /** SubagentStop: the child's rollout. */
  agent_transcript_path?: string | null;
  /** Pre/PostCompact: auto | manual. */
  trigger?: string;
  /** SessionEnd. */
  reason?: string;
  [unknown: string]: unknown;
}

const OPTIONAL_STRINGS = [
  'model',
  'permission_mode',
  'turn_id',
  'agent_id',
  'agent_type',
  'source',
  'prompt',
  'tool_name',
  'tool_use_id',
  'trigger',
  'reason',
] as const;

/**
 * Checks a parsed payload. Returns null when it lacks what every event must have (event name, session id,
 * cwd), or when a field we use has the wrong type; such a payload cannot be placed in a turn.
 */
export function parseHookPayload(json: unknown): HookPayload | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const p = json as Record<string, unknown>;
  if (typeof p.hook_event_name !== 'string' || p.hook_event_name === '') return null;
  if (typeof p.session_id !== 'string' || p.session_id === '') return null;
  if (typeof p.cwd !== 'string') return null;
  if (
    p.transcript_path !== undefined &&
    p.transcript_path !== null &&
    typeof p.transcript_path !== 'string'
  ) {
    return null;
  }
  for (const key of OPTIONAL_STRINGS) {
    if (p[key] !== undefined && p[key] !== null && typeof p[key] !== 'string') return null;
  }
  const lastMessage = p.last_assistant_message;
  if (lastMessage !== undefined && lastMessage !== null && typeof lastMessage !== 'string') return null;
  return { ...p, transcript_path: (p.transcript_path as string | null | undefined) ?? null } as HookPayload;
}

/**
 * Events after which the worker should run: a turn (or a sub-agent's turn, or the session) just ended, or a
 * session began (its worker snapshots the working tree before Codex runs a tool: src/worker/evidence.ts).
 */
export const WORKER_TRIGGERS: readonly string[] = [
  'SessionStart',
  'Stop',
  'SubagentStop',
  'Interrupt',
  'SessionEnd',
];

/** Which events each capture mode registers (product.md). */
export const LEAN_EVENTS: readonly HookEventName[] = [
  // Once per session: the start snapshot of the outcome evidence.
  'SessionStart',
  'UserPromptSubmit',
  'Stop',
  'Interrupt',
  'SubagentStop',
  'SessionEnd',
];
export const FULL_EVENTS: readonly HookEventName[] = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'Stop',
  'Interrupt',
  'SessionEnd',
  'SubagentStart',
  'SubagentStop',
];
