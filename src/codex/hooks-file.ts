// Our entries in a Codex hooks.json: built, recognised, merged with the user's own and removed again.
// Ours are appended AFTER the user's groups, because Codex's trust key holds each hook's position: a group
// inserted before a user's hook would silently untrust it. Ours are recognised by the shape of their
// command (our hook front-end's path), so `uninstall` removes exactly ours whatever else is in the file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookHandler, MatcherGroup } from './trust';

export interface HooksDocument {
  hooks: Record<string, MatcherGroup[]>;
  [other: string]: unknown;
}

/** A hooks.json or config.toml we will not touch, said in one sentence. */
export class CodexFileError extends Error {
  override name = 'CodexFileError';
}

/** Where our hook front-ends are: the package's dist/ folder and the node that runs the CLI. */
export interface HookTarget {
  distDir: string;
  nodePath: string;
}

/** Codex's default is 600 s; ours return at once, so a small bound limits the damage of a stuck disk. */
export const HOOK_TIMEOUT_SECONDS = 10;
/** Codex clamps SessionEnd and Interrupt to at most 3 s. */
const SHORT_EVENTS = new Set(['SessionEnd', 'Interrupt']);
export const SHORT_HOOK_TIMEOUT_SECONDS = 3;

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function hookCommand(event: string, target: HookTarget): string {
  return `${shellQuote(join(target.distDir, 'hook.sh'))} ${event} ${shellQuote(target.nodePath)}`;
}

export function hookCommandWindows(event: string, target: HookTarget): string {
  return `"${target.nodePath}" "${join(target.distDir, 'bin.cjs')}" hook ${event}`;
}

export function ourHandler(event: string, target: HookTarget): HookHandler {
  return {
    type: 'command',
    command: hookCommand(event, target),
    commandWindows: hookCommandWindows(event, target),
    timeout: SHORT_EVENTS.has(event) ? SHORT_HOOK_TIMEOUT_SECONDS : HOOK_TIMEOUT_SECONDS,
  };
}

const OUR_POSIX_COMMAND = /^'(?:[^']|'\\'')*[/\\]dist[/\\]hook\.sh' ([A-Za-z]+) '(?:[^']|'\\'')*'$/;
const OUR_WINDOWS_COMMAND = /^"[^"]*" "[^"]*[/\\]dist[/\\]bin\.cjs" hook ([A-Za-z]+)$/;

/** The event our handler was written for, or null when the handler is not ours. */
export function ourHandlerEvent(handler: unknown): string | null {
  if (typeof handler !== 'object' || handler === null) return null;
  const { command, commandWindows } = handler as HookHandler;
  const posix = typeof command === 'string' ? OUR_POSIX_COMMAND.exec(command) : null;
  if (posix) return posix[1] ?? null;
  const windows = typeof commandWindows === 'string' ? OUR_WINDOWS_COMMAND.exec(commandWindows) : null;
  return windows ? (windows[1] ?? null) : null;
}

/** The paths our handler runs: the POSIX front-end script and node (for doctor's "path gone" check). */
export function ourHandlerPaths(handler: HookHandler): { script: string; node: string } | null {
  if (typeof handler.command !== 'string') return null;
  const parts = /^'((?:[^']|'\\'')*)' [A-Za-z]+ '((?:[^']|'\\'')*)'$/.exec(handler.command);
  if (!parts) return null;
  const unquote = (text: string) => text.replace(/'\\''/g, "'");
  return { script: unquote(parts[1] ?? ''), node: unquote(parts[2] ?? '') };
}

export function parseHooksDocument(text: string, file: string): HooksDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CodexFileError(
      `${file} is not valid JSON, so it was left untouched; fix it and run this again.`,
    );
  }
  const bad = () =>
    new CodexFileError(
      `${file} does not have the shape Codex expects ({"hooks": {"<Event>": [{"hooks": [...]}]}}), so it was left untouched.`,
    );
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad();
  const doc = json as Record<string, unknown>;
  if (doc.hooks === undefined) return { ...doc, hooks: {} };
  if (typeof doc.hooks !== 'object' || doc.hooks === null || Array.isArray(doc.hooks)) throw bad();
  for (const groups of Object.values(doc.hooks)) {
    if (!Array.isArray(groups)) throw bad();
    for (const group of groups) {
      if (typeof group !== 'object' || group === null || Array.isArray(group)) throw bad();
      const handlers = (group as MatcherGroup).hooks;
      if (handlers !== undefined && !Array.isArray(handlers)) throw bad();
    }
  }
  return doc as HooksDocument;
}

export interface HooksFileContents {
  /** The file's text, or null when it does not exist. */
  text: string | null;
  doc: HooksDocument;
}

export function readHooksFile(file: string): HooksFileContents {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, doc: { hooks: {} } };
    throw new CodexFileError(`Cannot read ${file}: ${(error as Error).message}.`);
  }
  return { text, doc: parseHooksDocument(text, file) };
}

/** Serialises like the user's file: same indentation, same final newline. */
export function serializeHooks(doc: HooksDocument, previousText: string | null): string {
  const indent = previousText ? (/\n([ \t]+)"/.exec(previousText)?.[1] ?? '  ') : '  ';
  const newline = previousText === null || previousText.endsWith('\n') ? '\n' : '';
  return `${JSON.stringify(doc, null, indent)}${newline}`;
}

export interface OurHook {
  event: string;
  groupIndex: number;
  handlerIndex: number;
  group: MatcherGroup;
  handler: HookHandler;
}

export function findOurHooks(doc: HooksDocument): OurHook[] {
  const found: OurHook[] = [];
  for (const [event, groups] of Object.entries(doc.hooks)) {
    groups.forEach((group, groupIndex) => {
      const handlers = Array.isArray(group.hooks) ? (group.hooks as HookHandler[]) : [];
      handlers.forEach((handler, handlerIndex) => {
        if (ourHandlerEvent(handler) !== null)
          found.push({ event, groupIndex, handlerIndex, group, handler });
      });
    });
  }
  return found;
}

/**
 * The document with exactly one handler of ours for each of `events` and none elsewhere. A handler of ours
 * already in place is updated where it is (its trust key stays); a missing one is appended in a group of
 * its own after the user's groups. Groups and events that only we had are removed with our handlers.
 */
export function withOurHooks(
  doc: HooksDocument,
  events: readonly string[],
  target: HookTarget,
): HooksDocument {
  const wanted = new Set(events);
  const placed = new Set<string>();
  const hooks: Record<string, MatcherGroup[]> = {};
  for (const [event, groups] of Object.entries(doc.hooks)) {
    const kept: MatcherGroup[] = [];
    for (const group of groups) {
      if (!Array.isArray(group.hooks)) {
        kept.push(group);
        continue;
      }
      const handlers: unknown[] = [];
      for (const handler of group.hooks as unknown[]) {
        if (ourHandlerEvent(handler) === null) handlers.push(handler);
        else if (wanted.has(event) && !placed.has(event)) {
          placed.add(event);
          handlers.push(ourHandler(event, target));
        }
      }
      if (handlers.length > 0 || group.hooks.length === 0) kept.push({ ...group, hooks: handlers });
    }
    if (kept.length > 0 || groups.length === 0) hooks[event] = kept;
  }
  for (const event of events) {
    if (placed.has(event)) continue;
    hooks[event] = [...(hooks[event] ?? []), { hooks: [ourHandler(event, target)] }];
  }
  return { ...doc, hooks };
}

export function withoutOurHooks(doc: HooksDocument): HooksDocument {
  return withOurHooks(doc, [], { distDir: '', nodePath: '' });
}

export function userHooksFile(codexHomeDir: string): string {
  return join(codexHomeDir, 'hooks.json');
}

export function projectHooksFile(projectDir: string): string {
  return join(projectDir, '.codex', 'hooks.json');
}
