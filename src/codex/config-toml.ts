// Our edits to Codex's user config.toml. TOML libraries drop comments when they re-serialise, so we never
// re-serialise the user's file: our entries live in one clearly marked block of our own text at the end,
// replaced or removed as text, and every result is re-parsed and compared with what it must mean before it
// is written. Removing the block gives back the user's bytes exactly. Codex itself writes new tables into
// that block (see splitOurBlock): only the trust entries computed from our hooks are ours there.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { parseTOML } from 'toml-eslint-parser';
import { CodexFileError } from './hooks-file';
import { textForm, withBom, withoutBom } from './text-form';

const BLOCK_NOTE = '(managed by `infinium-codex`; `infinium-codex uninstall` removes it) >>>';
export const BLOCK_BEGIN = `# >>> infinium-codex: trust for its Codex hooks ${BLOCK_NOTE}`;
/** Our block's header when it holds only the feature flag (Codex 0.117-0.123, which checks no trust). */
export const FEATURE_BLOCK_BEGIN = `# >>> infinium-codex: turns on Codex hooks ${BLOCK_NOTE}`;
export const BLOCK_END = '# <<< infinium-codex <<<';
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, parsed: {} };
    throw new CodexFileError(`Cannot read ${file}: ${(error as Error).message}.`);
  }
  return { text, parsed: parseToml(text, file) };
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
  /** Its key/value pairs. */
  body: { key: (string | number)[]; value: unknown }[];
}

interface Syntax {
  tables: TableNode[];
  /** Comments: offset of their line's start, their end, their text from `#`, alone on their line or not. */
  comments: { lineStart: number; end: number; text: string; wholeLine: boolean }[];
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
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
   * The text without our block (and without the line break we put before it) and without our feature
   * line; whatever else was inside the block stays where the block was.
   */
  user: string;
  /** What our block held that is not ours (Codex or the user put it there), e.g. `[mcp_servers.docs]`. */
  foreign: string[];
}

/**
 * Separates the user's text from ours. Only the trust entries for `ourKeys` (computed from our hooks) and
 * our feature flag are ours; anything else between our markers (Codex adds new tables before a document's
 * trailing comment, i.e. inside our block: `codex mcp add`, a trusted folder or hook, `[tui]`) is the
 * user's and is kept. Markers are whole-line comments: the same text inside a string value is not one.
 * `text` has no BOM.
 */
export function splitOurBlock(text: string, file: string, ourKeys: ReadonlySet<string> = new Set()): Split {
  const { tables, comments } = syntaxOf(text, file);
  const form = textForm(text);
  const edits: { start: number; end: number; insert: string }[] = [];
  const foreign: string[] = [];
  const isBegin = (c: { text: string }) => c.text === BLOCK_BEGIN || c.text === FEATURE_BLOCK_BEGIN;
  const markers = comments.filter((c) => c.wholeLine && (isBegin(c) || c.text === BLOCK_END));
  for (let i = 0; i < markers.length; i += 1) {
    const begin = markers[i];
    if (!begin || !isBegin(begin)) continue;
    const endIndex = markers.findIndex((c, j) => j > i && c.text === BLOCK_END);
    const end = markers[endIndex];
    if (!end) {
      throw new CodexFileError(
        `${file} has the start of the infinium-codex block but not its end, so it was left untouched; remove the block by hand.`,
      );
    }
    i = endIndex;
    const inner = { start: afterLine(text, begin.end), end: end.lineStart };
    const inside = tables.filter((t) => t.lineStart >= inner.start && t.lineStart < inner.end);
    // Lines before the block's first table belong to the table above the block: they stay right there.
    let kept = text.slice(inner.start, inside[0]?.lineStart ?? inner.end);
    if (kept.trim() !== '') foreign.push('settings of the table above it');
    inside.forEach((table, n) => {
      if (isOurStateTable(table, ourKeys) || isOurFeatureTable(table)) return;
      let chunk = text.slice(table.lineStart, inside[n + 1]?.lineStart ?? inner.end);
      // Codex added its own key to the [features] table we wrote: keep ours recognisable as ours.
      if (table.key.join('.') === 'features')
        chunk = chunk.replace(/^codex_hooks = true(?=\r?$)/m, FEATURE_LINE);
      foreign.push(describeTable(table));
      kept += chunk;
    });
    let start = begin.lineStart;
    if (kept === '') {
      // The block is always preceded by one line break of ours, unless it starts the file.
      if (text.slice(start - 2, start) === '\r\n') start -= 2;
      else if (text[start - 1] === '\n') start -= 1;
    } else if (!/\r?\n$/.test(kept)) {
      kept += form.eol;
    }
    edits.push({ start, end: afterLine(text, end.end), insert: kept });
  }
  for (const comment of comments) {
    const line = text.slice(comment.lineStart, comment.end);
    if (line !== FEATURE_LINE) continue;
    edits.push({ start: comment.lineStart, end: afterLine(text, comment.end), insert: '' });
  }
  let user = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    user = user.slice(0, edit.start) + edit.insert + user.slice(edit.end);
  }
  return { user, foreign };
}

/**
 * Removes a `[hooks.state."<key>"]` table from the user's text: Codex writes such a table when the user
 * approves our hook in `/hooks`, and it would clash with ours (a TOML table may be defined only once).
 * Returns null when the entry is not written as a table of its own.
 */
function removeStateTable(text: string, key: string, file: string): string | null {
  const { tables } = syntaxOf(text, file);
  const at = tables.findIndex(
    (t) =>
      t.kind === 'standard' && t.key.length === 3 && t.key.join('\u0000') === `hooks\u0000state\u0000${key}`,
  );
  const table = tables[at];
  if (!table) return null;
  return text.slice(0, table.lineStart) + text.slice(tables[at + 1]?.lineStart ?? text.length);
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
  const lines: string[] = [];
  if (featureInBlock) lines.push('[features]', 'codex_hooks = true', '');
  for (const entry of entries) {
    lines.push(`[hooks.state.${quoteKey(entry.key)}]`, `trusted_hash = ${JSON.stringify(entry.hash)}`, '');
  }
  let result = user;
  if (lines.length > 0) {
    const header = entries.length === 0 ? FEATURE_BLOCK_BEGIN : BLOCK_BEGIN;
    const block = [header, ...lines, BLOCK_END, ''].join(form.eol);
    result = user === '' ? block : `${user}${form.eol}${block}`;
  }
  verify(original, parseResult(result, file, request), ourKeys, request, file);
  return { text: withBom(result, form), skipped, movedOut: split.foreign };
}

/** Whether `text` has a block of ours (either header, as a whole-line comment). */
export function hasOurBlock(text: string, file: string): boolean {
  return syntaxOf(withoutBom(text), file).comments.some(
    (c) => c.wholeLine && (c.text === BLOCK_BEGIN || c.text === FEATURE_BLOCK_BEGIN),
  );
}

/** What to tell the user when a change would not be safe. */
function unsafe(file: string, request: TrustBlockRequest, why: string): CodexFileError {
  return new CodexFileError(
    request.purpose === 'remove'
      ? `Removing our trust entries from ${file} would ${why}, so it was left untouched; delete the lines from \`# >>> infinium-codex\` to \`${BLOCK_END}\` yourself.`
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

/** What our block in `text` holds that is not ours (for `doctor`), e.g. `[mcp_servers.docs]`. */
export function foreignInOurBlock(text: string, ourKeys: string[], file: string): string[] {
  return splitOurBlock(withoutBom(text), file, new Set(ourKeys)).foreign;
}
