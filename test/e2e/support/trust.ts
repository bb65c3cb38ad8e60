// Codex 0.169's hook trust entries, computed from the spec (codex-hooks.md, "Trust") independently of our
// own installer, so an e2e run can tell our installer's entries from a correct reading of the contract.
import { createHash } from 'node:crypto';

const EVENT_LABELS: Record<string, string> = {
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

const EVENTS_WITHOUT_MATCHER = new Set(['UserPromptSubmit', 'Stop']);
const SHORT_TIMEOUT_EVENTS = new Set(['SessionEnd', 'Interrupt']);

export interface HookHandler {
  type: string;
  command: string;
  timeout?: number;
  timeoutSec?: number;
  async?: boolean;
  statusMessage?: string;
  commandWindows?: string;
}

export interface HookGroup {
  matcher?: string;
  hooks: HookHandler[];
}

export interface HooksFile {
  hooks: Record<string, HookGroup[]>;
}

export interface TrustEntry {
  key: string;
  canonical: string;
  hash: string;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function effectiveTimeout(event: string, handler: HookHandler): number {
  const raw = handler.timeout ?? handler.timeoutSec;
  if (SHORT_TIMEOUT_EVENTS.has(event)) return Math.min(3, Math.max(1, raw ?? 1));
  return Math.max(1, raw ?? 600);
}

/** Every trust entry a hooks.json at `hooksPath` (absolute, canonical) needs, in file order. */
export function trustEntries(hooksPath: string, file: HooksFile): TrustEntry[] {
  const entries: TrustEntry[] = [];
  for (const [event, groups] of Object.entries(file.hooks)) {
    const label = EVENT_LABELS[event];
    if (!label) throw new Error(`unknown hook event ${event}`);
    groups.forEach((group, groupIndex) => {
      group.hooks.forEach((handler, handlerIndex) => {
        const identity = {
          event_name: label,
          matcher: EVENTS_WITHOUT_MATCHER.has(event) ? undefined : group.matcher,
          hooks: [
            {
              type: handler.type,
              command: handler.command,
              timeout: effectiveTimeout(event, handler),
              async: handler.async ?? false,
              statusMessage: handler.statusMessage,
            },
          ],
        };
        const canonical = canonicalJson(identity);
        entries.push({
          key: `${hooksPath}:${label}:${groupIndex}:${handlerIndex}`,
          canonical,
          hash: `sha256:${createHash('sha256').update(canonical).digest('hex')}`,
        });
      });
    });
  }
  return entries;
}

/** The `[hooks.state."<key>"]` tables that mark the entries trusted in the user's config.toml. */
export function trustToml(entries: TrustEntry[]): string {
  return entries
    .map((entry) => `[hooks.state.${JSON.stringify(entry.key)}]\ntrusted_hash = "${entry.hash}"\n`)
    .join('\n');
}
