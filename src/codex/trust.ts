// Codex's trust entries for non-managed hooks (0.129+): a hook runs only when the user config.toml holds
// `[hooks.state."<hooks.json>:<event_label>:<group>:<handler>"] trusted_hash = "sha256:<hex>"` whose hash
// matches the hook as it is in the file now. The hash is Codex's: sha256 over the canonical JSON (keys
// sorted recursively, no whitespace) of a normalised identity of one handler (spec: codex-hooks.md).
import { createHash } from 'node:crypto';

export const EVENT_LABELS: Readonly<Record<string, string>> = {
  SessionStart: 'session_start',
  UserPromptSubmit: 'user_prompt_submit',
  PreToolUse: 'pre_tool_use',
  PermissionRequest: 'permission_request',
  PostToolUse: 'post_tool_use',
  PreCompact: 'pre_compact',
  PostCompact: 'post_compact',
  Stop: 'stop',
  SubagentStart: 'subagent_start',
  SubagentStop: 'subagent_stop',
  Interrupt: 'interrupt',
  SessionEnd: 'session_end',
};

/** A handler as it sits in hooks.json; unknown fields are kept by the file code, ignored here. */
export interface HookHandler {
  type?: unknown;
  command?: unknown;
  commandWindows?: unknown;
  timeout?: unknown;
  timeoutSec?: unknown;
  async?: unknown;
  statusMessage?: unknown;
  [other: string]: unknown;
}

export interface MatcherGroup {
  matcher?: unknown;
  hooks?: unknown;
  [other: string]: unknown;
}

/** Events whose end Codex clamps to a short timeout: 1..3 s, 1 s by default. */
const SHORT_TIMEOUT_EVENTS = new Set(['SessionEnd', 'Interrupt']);
/** Events for which Codex ignores the matcher (and leaves it out of the hash). */
const MATCHERLESS_EVENTS = new Set(['UserPromptSubmit', 'Stop']);

export function eventLabel(event: string): string | undefined {
  return EVENT_LABELS[event];
}

/** The timeout Codex actually applies, in whole seconds. */
export function effectiveTimeout(event: string, handler: HookHandler): number {
  const raw = handler.timeout ?? handler.timeoutSec;
  const given = typeof raw === 'number' && Number.isFinite(raw) ? Math.floor(raw) : undefined;
  if (SHORT_TIMEOUT_EVENTS.has(event)) return Math.min(3, Math.max(1, given ?? 1));
  return Math.max(1, given ?? 600);
}

/** JSON with object keys sorted at every depth and no whitespace, as Codex hashes it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The identity Codex hashes for one command handler. On Windows Codex runs (and hashes) `commandWindows`
 * when it is set; `commandWindows` itself is never part of the identity.
 */
export function hookIdentity(
  event: string,
  group: MatcherGroup,
  handler: HookHandler,
  platform: NodeJS.Platform = process.platform,
): Record<string, unknown> {
  const command =
    platform === 'win32' && typeof handler.commandWindows === 'string'
      ? handler.commandWindows
      : handler.command;
  const matcher =
    !MATCHERLESS_EVENTS.has(event) && typeof group.matcher === 'string' ? group.matcher : undefined;
  return {
    event_name: eventLabel(event),
    matcher,
    hooks: [
      {
        type: 'command',
        command,
        timeout: effectiveTimeout(event, handler),
        async: handler.async === true,
        statusMessage: typeof handler.statusMessage === 'string' ? handler.statusMessage : undefined,
      },
    ],
  };
}

export function hookTrustHash(
  event: string,
  group: MatcherGroup,
  handler: HookHandler,
  platform: NodeJS.Platform = process.platform,
): string {
  const json = canonicalJson(hookIdentity(event, group, handler, platform));
  return `sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}`;
}

/** The `hooks.state` key: the hooks.json path (as Codex resolves it), the event label, and positions. */
export function hookTrustKey(
  hooksFile: string,
  event: string,
  groupIndex: number,
  handlerIndex: number,
): string {
  const label = eventLabel(event);
  if (!label) throw new Error(`unknown Codex hook event ${event}`);
  return `${hooksFile}:${label}:${groupIndex}:${handlerIndex}`;
}
