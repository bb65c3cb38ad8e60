// Our entries in a Codex hooks.json: built, recognised, merged with the user's own and removed again.
// Ours are appended AFTER the user's groups, because Codex's trust key holds each hook's position: a group
// inserted before a user's hook would silently untrust it. Ours carry a mark of our own (OUR_MARK), so
// `uninstall` removes exactly ours whatever else is in the file, another package's look-alike included.
// A file Codex would reject as a whole is refused, since Codex then runs none of its hooks.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type AnyNode, parse as parseJson } from '@humanwhocodes/momoa';
import { readTextIfThere } from '../config/atomic-file';
import type { FrontEnd } from '../config/settings';
import { textForm } from './text-form';
import { EVENT_LABELS, type HookHandler, type MatcherGroup } from './trust';

export interface HooksDocument {
  hooks: Record<string, MatcherGroup[]>;
  [other: string]: unknown;
}

/** A hooks.json or config.toml we will not touch, said in one sentence. */
export class CodexFileError extends Error {
  override name = 'CodexFileError';
}

/**
 * Where our hook front-ends are: the package's dist/ folder, the node that runs the CLI and, when it is
 * used, the host's native front-end (src/codex/native-hook.ts); without one the POSIX command runs hook.sh,
 * and `nativeRefused` may say why.
 */
export interface HookTarget {
  distDir: string;
  nodePath: string;
  nativeHook?: string;
  nativeRefused?: string;
}

/** Codex's default is 600 s; ours return at once, so a small bound limits the damage of a stuck disk. */
export const HOOK_TIMEOUT_SECONDS = 10;
/** Codex clamps SessionEnd and Interrupt to at most 3 s. */
const SHORT_EVENTS = new Set(['SessionEnd', 'Interrupt']);
export const SHORT_HOOK_TIMEOUT_SECONDS = 3;

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** hook.sh's call, `'<dist>/hook.sh' <Event> '<node>'`: what init wrote before guardedCommand. */
export function hookCommand(event: string, target: HookTarget): string {
  return `${shellQuote(join(target.distDir, 'hook.sh'))} ${event} ${shellQuote(target.nodePath)}`;
}

/**
 * The native front-end's call (native/hook.c): `'<binary>' <Event> '<node>' '<dist>'`. It is told where
 * dist/ is (worker.mjs, and bin.cjs for the Node front-end it hands over to). Same quoting as hookCommand.
 */
export function nativeHookCommand(event: string, binary: string, target: HookTarget): string {
  return `${shellQuote(binary)} ${event} ${shellQuote(target.nodePath)} ${shellQuote(target.distDir)}`;
}

/** What a guarded command runs when its program is gone: stdin drained, silently, then success. */
const WHEN_GONE = '/bin/cat >/dev/null 2>&1; exit 0';

/**
 * A call as init writes it into hooks.json: `[ -x '<program>' ] && exec <call>; <WHEN_GONE>`. Codex prints a
 * failure for every hook that exits non-zero or writes to stderr, so a package removed without `uninstall`
 * must not leave commands that fail: without the program the command reads the payload and exits 0. With
 * it, the shell execs the program as it would a lone command: one stat() more, no process more (`[` is a
 * shell builtin). cat by absolute path: a PATH the project sets cannot put its own there.
 */
export function guardedCommand(call: string): string {
  const program = QUOTED_WORD.exec(call)?.[0] ?? '';
  return `[ -x ${program} ] && exec ${call}; ${WHEN_GONE}`;
}

export function hookCommandWindows(event: string, target: HookTarget): string {
  return `"${target.nodePath}" "${join(target.distDir, 'bin.cjs')}" hook ${event}`;
}

/**
 * The mark on each handler of ours. Codex ignores unknown keys inside a handler (0.145, 0.169 and 0.171
 * checked) and leaves them out of the trust hash, so the mark costs nothing and survives Codex.
 */
export const OUR_MARK = 'x-infinium-codex';
/** The package whose dist/ holds our hook front-ends (for handlers written before the mark). */
const PACKAGE_NAME = 'infinium-codex-connector';

function timeoutFor(event: string): number {
  return SHORT_EVENTS.has(event) ? SHORT_HOOK_TIMEOUT_SECONDS : HOOK_TIMEOUT_SECONDS;
}

export function ourHandler(event: string, target: HookTarget): HookHandler {
  return {
    type: 'command',
    command: guardedCommand(
      target.nativeHook ? nativeHookCommand(event, target.nativeHook, target) : hookCommand(event, target),
    ),
    commandWindows: hookCommandWindows(event, target),
    timeout: timeoutFor(event),
    [OUR_MARK]: true,
  };
}

/**
 * Whether a handler is ours: it carries our mark. A handler written before the mark existed (always the
 * unguarded hook.sh form then) counts when it is exactly what we wrote then (same four keys, both commands)
 * AND its front-end is in an installed copy of this package, so another package's hook that merely looks
 * like ours is never taken.
 */
export function isOurHandler(handler: unknown): boolean {
  if (typeof handler !== 'object' || handler === null || Array.isArray(handler)) return false;
  const fields = handler as HookHandler;
  if (fields[OUR_MARK] === true) return true;
  const parts = posixCommandParts(fields.command);
  if (parts?.frontEnd !== 'sh' || parts.guarded) return false;
  const target = { distDir: parts.distDir, nodePath: parts.node };
  const { [OUR_MARK]: _mark, ...written } = ourHandler(parts.event, target);
  written.command = hookCommand(parts.event, target);
  if (!isDeepStrictEqual(fields, written)) return false;
  try {
    const manifest = JSON.parse(readFileSync(join(target.distDir, '..', 'package.json'), 'utf8'));
    return manifest.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** What one of our POSIX commands runs: its front-end program (hook.sh or the native one), node and dist/. */
export interface HandlerPaths {
  frontEnd: FrontEnd;
  /** The program the command starts: `<dist>/hook.sh`, or the native front-end. */
  program: string;
  node: string;
  distDir: string;
  /** In guardedCommand's form: silent when the program is gone. False for what init wrote before it. */
  guarded: boolean;
}

/** A shellQuote'd word: `'...'`, where a quote inside is written `'\\''`. */
const QUOTED = String.raw`'((?:[^']|'\\'')*)'`;
const QUOTED_WORD = new RegExp(`^${QUOTED}`);
const SH_CALL = `${QUOTED} ([A-Za-z]+) ${QUOTED}`;
const NATIVE_CALL = `${QUOTED} ([A-Za-z]+) ${QUOTED} ${QUOTED}`;
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** guardedCommand's form around a call; the program tested is the one run (checked after matching). */
const guardedForm = (call: string) =>
  new RegExp(`^\\[ -x ${QUOTED} \\] && exec ${call}; ${escaped(WHEN_GONE)}$`);
const FORMS = [
  { frontEnd: 'native', guarded: true, form: guardedForm(NATIVE_CALL) },
  { frontEnd: 'sh', guarded: true, form: guardedForm(SH_CALL) },
  { frontEnd: 'native', guarded: false, form: new RegExp(`^${NATIVE_CALL}$`) },
  { frontEnd: 'sh', guarded: false, form: new RegExp(`^${SH_CALL}$`) },
] as const;

/**
 * The parts of a command in one of our POSIX forms, or null: guardedCommand around hookCommand or
 * nativeHookCommand (what init writes), or either call alone (what init wrote before; `guarded` false).
 */
function posixCommandParts(command: unknown): (HandlerPaths & { event: string; guarded: boolean }) | null {
  if (typeof command !== 'string') return null;
  const unquote = (text: string | undefined) => (text ?? '').replace(/'\\''/g, "'");
  for (const { frontEnd, guarded, form } of FORMS) {
    const match = form.exec(command);
    if (!match) continue;
    const words = match.slice(1).map(unquote);
    if (guarded && words.shift() !== words[0]) return null;
    const [program = '', event = '', node = '', distDir = dirname(program)] = words;
    return { frontEnd, guarded, program, event, node, distDir };
  }
  return null;
}

/** What our handler's POSIX command runs (for doctor's "path gone" check and `status`), or null. */
export function ourHandlerPaths(handler: HookHandler): HandlerPaths | null {
  const parts = posixCommandParts(handler.command);
  if (!parts) return null;
  const { event: _event, ...paths } = parts;
  return paths;
}

/** Keys Codex reads at each level of hooks.json (0.169.0); a duplicate of one makes Codex reject the file. */
const KNOWN_KEYS: Record<string, ReadonlySet<string>> = {
  document: new Set(['hooks', 'description']),
  events: new Set(Object.keys(EVENT_LABELS)),
  group: new Set(['matcher', 'hooks']),
  handler: new Set(['type', 'command', 'commandWindows', 'timeout', 'async', 'statusMessage']),
};
/** Codex reads `timeout` as a u64 and then writes it to TOML, whose integers are i64. */
const MAX_TIMEOUT = 2n ** 63n - 1n;

function levelOf(path: (string | number)[]): keyof typeof KNOWN_KEYS | null {
  if (path.length === 0) return 'document';
  if (path.length === 1 && path[0] === 'hooks') return 'events';
  if (path.length === 3 && path[0] === 'hooks') return 'group';
  if (path.length === 5 && path[0] === 'hooks' && path[3] === 'hooks') return 'handler';
  return null;
}

/**
 * What JSON.parse cannot see: a key given twice in one object (JSON.parse keeps the last) and a timeout
 * that is not a plain integer literal (`5.0` and `1e2` parse as numbers, Codex rejects them). Returns why
 * the text is refused, or null.
 */
function lexicalProblem(text: string): string | null {
  const walk = (node: AnyNode, path: (string | number)[]): string | null => {
    if (node.type === 'Array') {
      for (const [index, element] of node.elements.entries()) {
        const problem = walk(element.value, [...path, index]);
        if (problem) return problem;
      }
    }
    if (node.type !== 'Object') return null;
    const seen = new Set<string>();
    const level = levelOf(path);
    for (const member of node.members) {
      const key = member.name.type === 'String' ? member.name.value : member.name.name;
      if (seen.has(key)) {
        return level && KNOWN_KEYS[level]?.has(key)
          ? `it has "${key}" twice in one object, which Codex rejects`
          : `it has "${key}" twice in one object, which we cannot keep when we rewrite it`;
      }
      seen.add(key);
      if (level === 'handler' && key === 'timeout' && member.value.type === 'Number') {
        const raw = text.slice(member.value.loc.start.offset, member.value.loc.end.offset);
        if (!/^\d+$/.test(raw) || BigInt(raw) > MAX_TIMEOUT) {
          return `the timeout ${raw} is not a whole number of seconds from 0 to ${MAX_TIMEOUT}, which Codex rejects`;
        }
      }
      const problem = walk(member.value, [...path, key]);
      if (problem) return problem;
    }
    return null;
  };
  return walk(parseJson(text, { mode: 'json' }).body, []);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why Codex (0.145-0.171, checked with `hooks/list`) would reject this document as a whole, or null. */
function schemaProblem(doc: Record<string, unknown>): string | null {
  const unknown = Object.keys(doc).find((key) => !KNOWN_KEYS.document?.has(key));
  if (unknown !== undefined) {
    return `it has the top-level key "${unknown}", and Codex allows only "hooks" and "description"`;
  }
  const optional = (value: unknown, type: 'string' | 'boolean') =>
    value === undefined || typeof value === type;
  if (!optional(doc.description, 'string') && doc.description !== null)
    return '"description" is not a string';
  if (doc.hooks === undefined) return null;
  if (!isObject(doc.hooks)) return '"hooks" is not an object';
  for (const [event, groups] of Object.entries(doc.hooks)) {
    if (!KNOWN_KEYS.events?.has(event)) continue;
    if (!Array.isArray(groups)) return `"${event}" is not a list of matcher groups`;
    for (const group of groups) {
      if (!isObject(group)) return `a matcher group of "${event}" is not an object`;
      if (!optional(group.matcher, 'string') && group.matcher !== null)
        return `a matcher of "${event}" is not a string`;
      if (group.hooks === undefined) continue;
      if (!Array.isArray(group.hooks)) return `the "hooks" of a "${event}" group is not a list`;
      for (const handler of group.hooks) {
        if (!isObject(handler)) return `a "${event}" hook is not an object`;
        if (!['command', 'mcp_tool', 'prompt', 'agent'].includes(handler.type as string)) {
          return `a "${event}" hook has no known "type"`;
        }
        if (handler.type !== 'command') continue;
        if (typeof handler.command !== 'string') return `a "${event}" command hook has no "command" string`;
        for (const key of ['commandWindows', 'statusMessage'] as const) {
          if (!optional(handler[key], 'string') && handler[key] !== null)
            return `"${key}" of a "${event}" hook is not a string`;
        }
        if (!optional(handler.async, 'boolean')) return `"async" of a "${event}" hook is not true or false`;
        if (
          handler.timeout !== undefined &&
          handler.timeout !== null &&
          typeof handler.timeout !== 'number'
        ) {
          return `"timeout" of a "${event}" hook is not a number`;
        }
      }
    }
  }
  return null;
}

/**
 * Parses hooks.json as Codex does. Throws CodexFileError, in one sentence, for text Codex would reject as a
 * whole (it then runs none of the file's hooks): invalid JSON, a byte order mark, a top-level key other
 * than `hooks`/`description`, a key given twice, a wrong type or a timeout out of range. Unknown events
 * and unknown keys inside groups and handlers are kept, as Codex ignores them.
 */
export function parseHooksDocument(text: string, file: string): HooksDocument {
  const refuse = (why: string) =>
    new CodexFileError(
      `${file} is not a hooks file Codex accepts (${why}), so Codex runs none of its hooks and we left it untouched; fix it and run this again.`,
    );
  if (textForm(text).bom) throw refuse('it starts with a byte order mark; save it as UTF-8 without one');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CodexFileError(
      `${file} is not valid JSON, so it was left untouched; fix it and run this again.`,
    );
  }
  if (!isObject(json)) {
    throw new CodexFileError(
      `${file} does not have the shape Codex expects ({"hooks": {"<Event>": [{"hooks": [...]}]}}), so it was left untouched.`,
    );
  }
  const problem = lexicalProblem(text) ?? schemaProblem(json);
  if (problem) throw refuse(problem);
  if (json.hooks === undefined) return { ...json, hooks: {} };
  // Unknown events may hold anything: keep them as they are, but only lists of groups are ours to walk.
  return json as HooksDocument;
}

export interface HooksFileContents {
  /** The file's text, or null when it does not exist. */
  text: string | null;
  doc: HooksDocument;
}

export function readHooksFile(file: string): HooksFileContents {
  const text = readTextIfThere(file, CodexFileError);
  return { text, doc: text === null ? { hooks: {} } : parseHooksDocument(text, file) };
}

/** Serialises like the user's file: same indentation, same line ending, same final newline. */
export function serializeHooks(doc: HooksDocument, previousText: string | null): string {
  const indent = previousText ? (/\n([ \t]+)"/.exec(previousText)?.[1] ?? '  ') : '  ';
  const newline = previousText === null || previousText.endsWith('\n') ? '\n' : '';
  const text = `${JSON.stringify(doc, null, indent)}${newline}`;
  return textForm(previousText).eol === '\r\n' ? text.replaceAll('\n', '\r\n') : text;
}

export interface OurHook {
  event: string;
  groupIndex: number;
  handlerIndex: number;
  group: MatcherGroup;
  handler: HookHandler;
}

/** The events Codex knows, with their groups (parseHooksDocument checked those); unknown ones may hold anything. */
export function eventGroups(doc: HooksDocument): [event: string, groups: MatcherGroup[]][] {
  return Object.entries(doc.hooks).filter(([event]) => KNOWN_KEYS.events?.has(event));
}

export function findOurHooks(doc: HooksDocument): OurHook[] {
  const found: OurHook[] = [];
  for (const [event, groups] of eventGroups(doc)) {
    groups.forEach((group, groupIndex) => {
      const handlers = Array.isArray(group.hooks) ? (group.hooks as HookHandler[]) : [];
      handlers.forEach((handler, handlerIndex) => {
        if (isOurHandler(handler)) found.push({ event, groupIndex, handlerIndex, group, handler });
      });
    });
  }
  return found;
}

/** Whether the hooks file holds any hook of ours (throws CodexFileError as readHooksFile does). */
export function holdsOurHooks(file: string): boolean {
  return findOurHooks(readHooksFile(file).doc).length > 0;
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
    if (!KNOWN_KEYS.events?.has(event)) {
      hooks[event] = groups;
      continue;
    }
    const kept: MatcherGroup[] = [];
    for (const group of groups) {
      if (!Array.isArray(group.hooks)) {
        kept.push(group);
        continue;
      }
      const handlers: unknown[] = [];
      for (const handler of group.hooks as unknown[]) {
        if (!isOurHandler(handler)) handlers.push(handler);
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
