// Our edits to Codex's user config.toml. TOML libraries drop comments when they re-serialise, so we never
// re-serialise the user's file: our entries are text of our own, a header comment and the tables right below
// it, added and removed as text, and every result is re-parsed and compared with what it must mean before it
// is written. Removing them gives back the user's bytes exactly.
//
// Where they go follows from how Codex edits the file (toml_edit): a new root key goes after the root keys, a
// new table right after the last table of its parent in document order (a new `[hooks.state."…"]` after the
// last one, a new `[mcp_servers]` or `[projects]` after the last table), and a document's trailing comment
// stays last. So our tables sit before the user's first table, with no end marker: Codex's additions land
// above our header or after our last table, never between them, and what is ours is told by content (a trust
// entry for one of our hooks, our feature flag), never by position. Files written by versions before this
// one have the block at the end, closed by an end marker that Codex writes its tables before (splitOurBlock
// moves those out); the next `init` or `doctor --fix` re-places it.
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { parseTOML } from 'toml-eslint-parser';
import { readTextIfThere } from '../config/atomic-file';
import { CodexFileError } from './hooks-file';
import { textForm, withBom, withoutBom } from './text-form';

/** Our header: the trust entries for our hooks are the tables right below it. */
export const BLOCK_BEGIN =
  '# infinium-codex: trust for its Codex hooks, in the tables right below (`infinium-codex uninstall` removes them)';
/** Our header when it holds only the feature flag (Codex 0.117-0.123, which checks no trust). */
export const FEATURE_BLOCK_BEGIN =
  '# infinium-codex: turns on Codex hooks, in the table right below (`infinium-codex uninstall` removes it)';
const LEGACY_NOTE = '(managed by `infinium-codex`; `infinium-codex uninstall` removes it) >>>';
/** The headers and end marker of the block that earlier versions wrote at the end of the file. */
export const LEGACY_BLOCK_BEGIN = `# >>> infinium-codex: trust for its Codex hooks ${LEGACY_NOTE}`;
export const LEGACY_FEATURE_BLOCK_BEGIN = `# >>> infinium-codex: turns on Codex hooks ${LEGACY_NOTE}`;
export const LEGACY_BLOCK_END = '# <<< infinium-codex <<<';
const HEADERS = new Set([BLOCK_BEGIN, FEATURE_BLOCK_BEGIN, LEGACY_BLOCK_BEGIN, LEGACY_FEATURE_BLOCK_BEGIN]);
const LEGACY_HEADERS = new Set([LEGACY_BLOCK_BEGIN, LEGACY_FEATURE_BLOCK_BEGIN]);
/** Marks the one line we may add inside a user's own `[features]` table (Codex 0.117-0.123 only). */
const FEATURE_LINE = 'codex_hooks = true # added by infinium-codex';

export type TomlTable = Record<string, unknown>;

export interface TrustEntry {
  key: string;
  hash: string;
}

export interface ConfigTomlContents {
  /** The file's text, or null when it does not exist. */
  text: string | null;
  parsed: TomlTable;
}

export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(withoutBom(text)) as TomlTable;
  } catch {
    throw new CodexFileError(
      `${file} is not valid TOML, so it was left untouched; fix it and run this again.`,
    );
  }
}

export function readConfigToml(file: string): ConfigTomlContents {
  const text = readTextIfThere(file, CodexFileError);
  return { text, parsed: text === null ? {} : parseToml(text, file) };
}

function table(value: unknown): TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as TomlTable) : {};
}

/** `hooks.state` as Codex reads it: key -> { trusted_hash?, enabled? }. */
export function hookStates(parsed: TomlTable): Record<string, { trusted_hash?: string; enabled?: boolean }> {
  const states: Record<string, { trusted_hash?: string; enabled?: boolean }> = {};
  for (const [key, value] of Object.entries(table(table(parsed.hooks).state))) {
    const entry = table(value);
    states[key] = {
      trusted_hash: typeof entry.trusted_hash === 'string' ? entry.trusted_hash : undefined,
      enabled: typeof entry.enabled === 'boolean' ? entry.enabled : undefined,
    };
  }
  return states;
}

/** `[features] hooks` / `codex_hooks` as the user set them (undefined when unset). */
export function hooksFeature(parsed: TomlTable): { hooks?: boolean; codexHooks?: boolean } {
  const features = table(parsed.features);
  return {
    hooks: typeof features.hooks === 'boolean' ? features.hooks : undefined,
    codexHooks: typeof features.codex_hooks === 'boolean' ? features.codex_hooks : undefined,
  };
}

/** A table at the top of the document, as the TOML syntax tree has it (offsets into the text). */
interface TableNode {
  kind: 'standard' | 'array';
  key: (string | number)[];
  /** Offset of the start of its header's line. */
  lineStart: number;
  /** Offset just after its last line (its header's, or its last key/value's with any comment). */
  end: number;
  /** Its key/value pairs. */
  body: { key: (string | number)[]; value: unknown }[];
}

interface Syntax {
  tables: TableNode[];
  /** Comments: offset of their line's start, their end, their text from `#`, alone on their line or not. */
  comments: { lineStart: number; end: number; text: string; wholeLine: boolean }[];
}

function lineStartOf(text: string, offset: number): number {
  return offset === 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
}

/** Where the tables and whole-line comments are; comments and strings are told apart by a real parser. */
function syntaxOf(text: string, file: string): Syntax {
  let ast: ReturnType<typeof parseTOML>;
  try {
    ast = parseTOML(text);
  } catch {
    throw new CodexFileError(
      `${file} is not valid TOML, so it was left untouched; fix it and run this again.`,
    );
  }
  const tables: TableNode[] = [];
  for (const node of ast.body[0]?.body ?? []) {
    if (node.type !== 'TOMLTable') continue;
    tables.push({
      kind: node.kind,
      key: node.resolvedKey,
      lineStart: lineStartOf(text, node.range[0]),
      end: afterLine(text, node.range[1]),
      body: node.body.map((pair) => ({
        key: pair.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value)),
        value: pair.value.type === 'TOMLValue' ? pair.value.value : undefined,
      })),
    });
  }
  const comments = ast.comments.map((comment) => {
    const lineStart = lineStartOf(text, comment.range[0]);
    return {
      lineStart,
      end: comment.range[1],
      text: `#${comment.value}`.trimEnd(),
      wholeLine: text.slice(lineStart, comment.range[0]).trim() === '',
    };
  });
  return { tables, comments };
}

/** The offset just after the line break that ends the line holding `offset` (or the text's end). */
function afterLine(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

function isOurStateTable(table: TableNode, ourKeys: ReadonlySet<string>): boolean {
  const [hooks, state, key] = table.key;
  return (
    table.kind === 'standard' &&
    table.key.length === 3 &&
    hooks === 'hooks' &&
    state === 'state' &&
    typeof key === 'string' &&
    ourKeys.has(key) &&
    table.body.length === 1 &&
    table.body[0]?.key.join('.') === 'trusted_hash' &&
    typeof table.body[0]?.value === 'string'
  );
}

/** The `[features] codex_hooks = true` table we write in our block for Codex 0.114-0.123. */
function isOurFeatureTable(table: TableNode): boolean {
  return (
    table.kind === 'standard' &&
    table.key.join('.') === 'features' &&
    table.body.length === 1 &&
    table.body[0]?.key.join('.') === 'codex_hooks' &&
    table.body[0]?.value === true
  );
}

function describeTable(table: TableNode): string {
  const key = table.key
    .filter((part) => typeof part === 'string')
    .map((part) => (/^[A-Za-z0-9_-]+$/.test(part as string) ? part : JSON.stringify(part)))
    .join('.');
  return table.kind === 'array' ? `[[${key}]]` : `[${key}]`;
}

interface Split {
  /**
   * The text without our header and tables (and without the line break we put next to them) and without our
   * feature line; whatever an old block held that was not ours stays where that block was.
   */
  user: string;
  /** What an old block held that is not ours (Codex or the user put it there), e.g. `[mcp_servers.docs]`. */
  foreign: string[];
  /** Whether the text had a block as earlier versions wrote it (at the end, closed by an end marker). */
  legacy: boolean;
}

interface Edit {
  start: number;
  end: number;
  insert: string;
}

type Comment = Syntax['comments'][number];

/** Removes one line break just before `start`, if there is one. */
function withBreakBefore(text: string, start: number): number {
  if (text.slice(start - 2, start) === '\r\n') return start - 2;
  return text[start - 1] === '\n' ? start - 1 : start;
}

/**
 * Our header and the tables of ours right below it (only blank lines between them): the first table that is
 * not ours ends them, and whatever follows is the user's. We put one line break after them (a blank line
 * before the user's first table), or before them when they end the file.
 */
function blockEdit(
  text: string,
  header: Comment,
  tables: TableNode[],
  isOurs: (t: TableNode) => boolean,
): Edit {
  let end = afterLine(text, header.end);
  for (const table of tables) {
    if (table.lineStart < end) continue;
    if (text.slice(end, table.lineStart).trim() !== '' || !isOurs(table)) break;
    end = table.end;
  }
  if (text.startsWith('\r\n', end)) return { start: header.lineStart, end: end + 2, insert: '' };
  if (text[end] === '\n') return { start: header.lineStart, end: end + 1, insert: '' };
  const start = end === text.length ? withBreakBefore(text, header.lineStart) : header.lineStart;
  return { start, end, insert: '' };
}

/**
 * A block as earlier versions wrote it, at the end of the file up to an end marker. Codex adds new tables
 * before a document's trailing comment, i.e. inside such a block (`codex mcp add`, a trusted folder or hook,
 * `[tui]`): only our tables there are ours, the rest is the user's and is kept where the block was.
 */
function legacyBlockEdit(
  text: string,
  begin: Comment,
  end: Comment,
  tables: TableNode[],
  isOurs: (t: TableNode) => boolean,
  foreign: string[],
): Edit {
  const inner = { start: afterLine(text, begin.end), end: end.lineStart };
  const inside = tables.filter((t) => t.lineStart >= inner.start && t.lineStart < inner.end);
  // Lines before the block's first table belong to the table above the block: they stay right there.
  let kept = text.slice(inner.start, inside[0]?.lineStart ?? inner.end);
  if (kept.trim() !== '') foreign.push('settings of the table above it');
  inside.forEach((table, n) => {
    if (isOurs(table)) return;
    let chunk = text.slice(table.lineStart, inside[n + 1]?.lineStart ?? inner.end);
    // Codex added its own key to the [features] table we wrote: our flag goes, its keys stay.
    if (table.key.join('.') === 'features') chunk = chunk.replace(/^codex_hooks = true\r?\n/m, '');
    foreign.push(describeTable(table));
    kept += chunk;
  });
  if (kept === '')
    return { start: withBreakBefore(text, begin.lineStart), end: afterLine(text, end.end), insert: '' };
  if (!/\r?\n$/.test(kept)) kept += textForm(text).eol;
  return { start: begin.lineStart, end: afterLine(text, end.end), insert: kept };
}

/**
 * Separates the user's text from ours. Only the trust entries for `ourKeys` (computed from our hooks) and our
 * feature flag are ours; anything else is the user's and is kept. Headers are whole-line comments: the same
 * text inside a string value is not one. `text` has no BOM.
 */
export function splitOurBlock(text: string, file: string, ourKeys: ReadonlySet<string> = new Set()): Split {
  const { tables, comments } = syntaxOf(text, file);
  const isOurs = (table: TableNode) => isOurStateTable(table, ourKeys) || isOurFeatureTable(table);
  const edits: Edit[] = [];
  const foreign: string[] = [];
  let legacy = false;
  const markers = comments.filter((c) => c.wholeLine && (HEADERS.has(c.text) || c.text === LEGACY_BLOCK_END));
  for (let i = 0; i < markers.length; i += 1) {
    const begin = markers[i];
    if (!begin || !HEADERS.has(begin.text)) continue;
    const end = markers[i + 1];
    if (LEGACY_HEADERS.has(begin.text) && end?.text === LEGACY_BLOCK_END) {
      edits.push(legacyBlockEdit(text, begin, end, tables, isOurs, foreign));
      legacy = true;
      i += 1;
    } else {
      edits.push(blockEdit(text, begin, tables, isOurs));
    }
  }
  for (const comment of comments) {
    if (text.slice(comment.lineStart, comment.end) !== FEATURE_LINE) continue;
    if (edits.some((edit) => comment.lineStart >= edit.start && comment.lineStart < edit.end)) continue;
    edits.push({ start: comment.lineStart, end: afterLine(text, comment.end), insert: '' });
  }
  let user = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    user = user.slice(0, edit.start) + edit.insert + user.slice(edit.end);
  }
  return { user, foreign, legacy };
}

/** The start of the line above the one starting at `lineStart`, or null at the first line. */
function lineAbove(text: string, lineStart: number): number | null {
  return lineStart === 0 ? null : lineStartOf(text, lineStart - 1);
}

/**
 * `user` with our block: above the user's first table (and the comment lines right above it, which belong to
 * it), followed by a blank line; at the end when the file has no table. See the file's head for why.
 */
function placeBlock(user: string, lines: string[], eol: string, file: string): string {
  const block = `${lines.join(eol)}${eol}`;
  const { tables, comments } = syntaxOf(user, file);
  const first = tables[0];
  if (!first) return user === '' ? block : `${user}${eol}${block}`;
  const commentLines = new Set(comments.filter((c) => c.wholeLine).map((c) => c.lineStart));
  let at = first.lineStart;
  for (
    let above = lineAbove(user, at);
    above !== null && commentLines.has(above);
    above = lineAbove(user, at)
  ) {
    at = above;
  }
  return `${user.slice(0, at)}${block}${eol}${user.slice(at)}`;
}

/**
 * Removes a `[hooks.state."<key>"]` table from the user's text: Codex writes such a table when the user
 * approves our hook in `/hooks`, and it would clash with ours (a TOML table may be defined only once).
 * Returns null when the entry is not written as a table of its own.
 */
function removeStateTable(text: string, key: string, file: string): string | null {
  const { tables } = syntaxOf(text, file);
  const table = tables.find(
    (t) =>
      t.kind === 'standard' && t.key.length === 3 && t.key.join('\u0000') === `hooks\u0000state\u0000${key}`,
  );
  if (!table) return null;
  // With the blank line Codex puts above a table it adds; the lines below it belong to the next table.
  const before = text.slice(0, table.lineStart);
  const start = /\r?\n\r?\n$/.test(before) ? withBreakBefore(text, table.lineStart) : table.lineStart;
  return text.slice(0, start) + text.slice(table.end);
}

export interface TrustBlockRequest {
  /** Trust entries to hold (ours, for the hooks as they are in hooks.json now). */
  entries: TrustEntry[];
  /** Keys of ours that must not remain anywhere (e.g. stale positions); `entries` keys are implied. */
  staleKeys?: string[];
  /** Codex 0.114-0.123 needs `[features] codex_hooks = true`. */
  featureFlag: boolean;
  /** What the caller is doing, for the error message: adding entries (init, doctor) or removing them. */
  purpose?: 'add' | 'remove';
}

export interface TrustBlockResult {
  text: string;
  /** Entries left as the user has them (already trusted, or disabled by the user in /hooks). */
  skipped: string[];
  /** What our block held that was not ours, now moved out of it (see splitOurBlock). */
  movedOut: string[];
  /** Whether a block as earlier versions wrote it (at the end of the file) was replaced. */
  replacedLegacy: boolean;
}

function quoteKey(key: string): string {
  return JSON.stringify(key);
}

/**
 * The new config.toml text, verified by re-parsing; throws CodexFileError when that cannot be done safely.
 * The user's BOM and line endings are kept; our lines use the file's line ending.
 */
export function withTrustBlock(
  text: string | null,
  request: TrustBlockRequest,
  file: string,
): TrustBlockResult {
  const form = textForm(text);
  const body = withoutBom(text ?? '');
  const original = parseToml(body, file);
  const ourKeys = new Set([...request.entries.map((e) => e.key), ...(request.staleKeys ?? [])]);
  const split = splitOurBlock(body, file, ourKeys);
  let user = split.user;
  const userStates = hookStates(parseToml(user, file));
  const skipped: string[] = [];
  const entries: TrustEntry[] = [];
  for (const entry of request.entries) {
    const state = userStates[entry.key];
    if (state?.enabled === false || (state && state.trusted_hash === entry.hash)) {
      skipped.push(entry.key);
      continue;
    }
    entries.push(entry);
  }
  for (const key of ourKeys) {
    if (!userStates[key] || skipped.includes(key)) continue;
    const removed = removeStateTable(user, key, file);
    if (removed === null) {
      throw new CodexFileError(
        `${file} already has a trust entry for ${key} in a form we do not edit, so it was left untouched; ${request.purpose === 'remove' ? 'remove that entry yourself' : 'approve the hook in Codex with /hooks instead'}.`,
      );
    }
    user = removed;
  }
  const userParsed = parseToml(user, file);
  // Only `codex_hooks` counts: the versions that need the flag ignore `hooks` (codex-matrix case, F4).
  const needFeature = request.featureFlag && hooksFeature(userParsed).codexHooks === undefined;
  const featureInBlock = needFeature && userParsed.features === undefined;
  if (needFeature && !featureInBlock) {
    const table = syntaxOf(user, file).tables.find(
      (t) => t.kind === 'standard' && t.key.join('.') === 'features',
    );
    if (!table) {
      throw new CodexFileError(
        `${file} sets [features] in a form we do not edit; add \`codex_hooks = true\` under [features] yourself.`,
      );
    }
    const at = afterLine(user, table.lineStart);
    const breakBefore = at === user.length && !user.endsWith('\n') ? form.eol : '';
    user = `${user.slice(0, at)}${breakBefore}${FEATURE_LINE}${form.eol}${user.slice(at)}`;
  }
  const tables: string[][] = [];
  if (featureInBlock) tables.push(['[features]', FEATURE_LINE]);
  for (const entry of entries) {
    tables.push([`[hooks.state.${quoteKey(entry.key)}]`, `trusted_hash = ${JSON.stringify(entry.hash)}`]);
  }
  let result = user;
  if (tables.length > 0) {
    const header = entries.length === 0 ? FEATURE_BLOCK_BEGIN : BLOCK_BEGIN;
    const lines = [header, ...tables.flatMap((table, n) => (n === 0 ? table : ['', ...table]))];
    result = placeBlock(user, lines, form.eol, file);
  }
  verify(original, parseResult(result, file, request), ourKeys, request, file);
  return { text: withBom(result, form), skipped, movedOut: split.foreign, replacedLegacy: split.legacy };
}

/** Whether `text` has a block of ours (any header of ours, as a whole-line comment). */
export function hasOurBlock(text: string, file: string): boolean {
  return syntaxOf(withoutBom(text), file).comments.some((c) => c.wholeLine && HEADERS.has(c.text));
}

/** What to tell the user when a change would not be safe. */
function unsafe(file: string, request: TrustBlockRequest, why: string): CodexFileError {
  return new CodexFileError(
    request.purpose === 'remove'
      ? `Removing our trust entries from ${file} would ${why}, so it was left untouched; delete the \`# infinium-codex\` comment and the trust entries for our hooks right below it yourself.`
      : `Adding the trust entries to ${file} would ${why}, so it was left untouched; approve the hooks in Codex with /hooks instead.`,
  );
}

function parseResult(text: string, file: string, request: TrustBlockRequest): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch {
    throw unsafe(file, request, 'not give valid TOML (it may define [hooks] inline)');
  }
}

/** Everything but our own keys must mean exactly what it meant before; ours must be what was asked. */
function verify(
  before: TomlTable,
  after: TomlTable,
  ourKeys: Set<string>,
  request: TrustBlockRequest,
  file: string,
): void {
  const strip = (parsed: TomlTable): TomlTable => {
    const copy = structuredClone(parsed);
    const features = table(copy.features);
    // Only our marked line or our block ever adds or removes it; the user's own line is never touched.
    if (features.codex_hooks === true) delete features.codex_hooks;
    if (copy.features !== undefined && Object.keys(features).length === 0) delete copy.features;
    const hooks = table(copy.hooks);
    const state = table(hooks.state);
    for (const key of ourKeys) delete state[key];
    if (hooks.state !== undefined && Object.keys(state).length === 0) delete hooks.state;
    if (copy.hooks !== undefined && Object.keys(hooks).length === 0) delete copy.hooks;
    return copy;
  };
  const states = hookStates(after);
  const trustedAsAsked = request.entries.every(
    (entry) => states[entry.key]?.trusted_hash === entry.hash || states[entry.key]?.enabled === false,
  );
  if (!trustedAsAsked || !isDeepStrictEqual(strip(before), strip(after))) {
    throw unsafe(file, request, 'change other settings');
  }
}

/** The config.toml text without anything of ours (our block, our feature line, trust for our keys). */
export function withoutTrustBlock(text: string, ourKeys: string[], file: string): string {
  return withTrustBlock(
    text,
    { entries: [], staleKeys: ourKeys, featureFlag: false, purpose: 'remove' },
    file,
  ).text;
}

/**
 * For `doctor`: whether `text` has a block as earlier versions wrote it (at the end, where Codex adds its
 * tables), and what that block holds that is not ours, e.g. `[mcp_servers.docs]`.
 */
export function legacyBlockIn(
  text: string,
  ourKeys: string[],
  file: string,
): { legacy: boolean; foreign: string[] } {
  const { legacy, foreign } = splitOurBlock(withoutBom(text), file, new Set(ourKeys));
  return { legacy, foreign };
}
