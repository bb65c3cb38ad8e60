// Our edits to Codex's user config.toml. TOML libraries drop comments when they re-serialise, so we never
// re-serialise the user's file: our entries live in one clearly marked block of our own text at the end,
// replaced or removed as text, and every result is re-parsed and compared with what it must mean before it
// is written. Removing the block gives back the user's bytes exactly.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { CodexFileError } from './hooks-file';

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
    return parse(text) as TomlTable;
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

interface Split {
  /** The text without our block (and without the newline we put before it). */
  user: string;
  /** The trust keys our block held. */
  blockKeys: string[];
}

/** Where our block starts in config.toml text (either header), or -1. */
export function ourBlockStart(text: string): number {
  const starts = [text.indexOf(BLOCK_BEGIN), text.indexOf(FEATURE_BLOCK_BEGIN)].filter((at) => at !== -1);
  return starts.length > 0 ? Math.min(...starts) : -1;
}

/** Separates the user's text from ours. */
export function splitOurBlock(text: string, file: string): Split {
  let user = text;
  let blockKeys: string[] = [];
  const begin = ourBlockStart(user);
  if (begin !== -1) {
    const endMarker = user.indexOf(BLOCK_END, begin);
    if (endMarker === -1) {
      throw new CodexFileError(
        `${file} has the start of the infinium-codex block but not its end, so it was left untouched; remove the block by hand.`,
      );
    }
    let end = endMarker + BLOCK_END.length;
    if (user[end] === '\n') end += 1;
    // The block is always preceded by one newline of ours, unless it starts the file.
    const start = begin > 0 && user[begin - 1] === '\n' ? begin - 1 : begin;
    blockKeys = Object.keys(hookStates(parseToml(user.slice(begin, end), file)));
    user = user.slice(0, start) + user.slice(end);
  }
  const featureAt = user.indexOf(`\n${FEATURE_LINE}\n`);
  if (featureAt !== -1) user = user.slice(0, featureAt + 1) + user.slice(featureAt + FEATURE_LINE.length + 2);
  return { user, blockKeys };
}

const TABLE_HEADER = /^[ \t]*\[/;

/**
 * Removes a `[hooks.state."<key>"]` table from the user's text: Codex writes such a table when the user
 * approves our hook in `/hooks`, and it would clash with ours (a TOML table may be defined only once).
 * Returns null when the entry is not written in that plain form.
 */
function removeStateTable(text: string, key: string): string | null {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => {
    const match =
      /^[ \t]*\[[ \t]*hooks[ \t]*\.[ \t]*state[ \t]*\.[ \t]*("(?:[^"\\]|\\.)*"|'[^']*')[ \t]*\][ \t]*(#.*)?$/.exec(
        line,
      );
    if (!match) return false;
    try {
      return (parse(`k = ${match[1]}`) as { k: string }).k === key;
    } catch {
      return false;
    }
  });
  if (header === -1) return null;
  let end = header + 1;
  while (end < lines.length && !TABLE_HEADER.test(lines[end] ?? '')) end += 1;
  lines.splice(header, end - header);
  return lines.join('\n');
}

export interface TrustBlockRequest {
  /** Trust entries to hold (ours, for the hooks as they are in hooks.json now). */
  entries: TrustEntry[];
  /** Keys of ours that must not remain anywhere (e.g. stale positions); `entries` keys are implied. */
  staleKeys?: string[];
  /** Codex 0.117-0.123 needs `[features] codex_hooks = true`. */
  featureFlag: boolean;
}

export interface TrustBlockResult {
  text: string;
  /** Entries left as the user has them (already trusted, or disabled by the user in /hooks). */
  skipped: string[];
}

function quoteKey(key: string): string {
  return JSON.stringify(key);
}

/** The new config.toml text, verified by re-parsing; throws CodexFileError when that cannot be done safely. */
export function withTrustBlock(
  text: string | null,
  request: TrustBlockRequest,
  file: string,
): TrustBlockResult {
  const original = parseToml(text ?? '', file);
  const split = splitOurBlock(text ?? '', file);
  let user = split.user;
  const ourKeys = new Set([...request.entries.map((e) => e.key), ...(request.staleKeys ?? [])]);
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
    const removed = removeStateTable(user, key);
    if (removed === null) {
      throw new CodexFileError(
        `${file} already has a trust entry for ${key} in a form we do not edit, so it was left untouched; approve the hook in Codex with /hooks instead.`,
      );
    }
    user = removed;
  }
  const userParsed = parseToml(user, file);
  // Only `codex_hooks` counts: the versions that need the flag ignore `hooks` (codex-matrix case, F4).
  const needFeature = request.featureFlag && hooksFeature(userParsed).codexHooks === undefined;
  const featureInBlock = needFeature && userParsed.features === undefined;
  if (needFeature && !featureInBlock) {
    const header = /^[ \t]*\[[ \t]*features[ \t]*\][ \t]*(#.*)?$/m.exec(user);
    if (!header) {
      throw new CodexFileError(
        `${file} sets [features] in a form we do not edit; add \`codex_hooks = true\` under [features] yourself.`,
      );
    }
    const at = header.index + header[0].length;
    user = `${user.slice(0, at)}\n${FEATURE_LINE}${user.slice(at)}`;
  }
  const body: string[] = [];
  if (featureInBlock) body.push('[features]', 'codex_hooks = true', '');
  for (const entry of entries) {
    body.push(`[hooks.state.${quoteKey(entry.key)}]`, `trusted_hash = ${JSON.stringify(entry.hash)}`, '');
  }
  let result = user;
  if (body.length > 0) {
    const header = entries.length === 0 ? FEATURE_BLOCK_BEGIN : BLOCK_BEGIN;
    const block = `${header}\n${body.join('\n')}${BLOCK_END}\n`;
    result = user === '' ? block : `${user}\n${block}`;
  }
  verify(original, parseResult(result, file), new Set([...ourKeys, ...split.blockKeys]), request, file);
  return { text: result, skipped };
}

function parseResult(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch {
    throw new CodexFileError(
      `Adding the trust entries to ${file} would not give valid TOML (it may define [hooks] inline), so it was left untouched; approve the hooks in Codex with /hooks instead.`,
    );
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
    throw new CodexFileError(
      `Could not add the trust entries to ${file} without changing other settings, so it was left untouched; approve the hooks in Codex with /hooks instead.`,
    );
  }
}

/** The config.toml text without anything of ours (our block, our feature line, trust for our keys). */
export function withoutTrustBlock(text: string, ourKeys: string[], file: string): string {
  return withTrustBlock(text, { entries: [], staleKeys: ourKeys, featureFlag: false }, file).text;
}
