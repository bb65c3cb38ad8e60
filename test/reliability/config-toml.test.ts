// Our config.toml edits on generated files: user files of every shape we could think of (root keys with
// and without comments, comment lines above a table, multi-line strings holding `#` and `[x]` lines, arrays
// of tables, dotted keys, a hook trust entry of the user's own, a [features] table, CRLF, no final line
// break), then Codex's own writes as toml_edit makes them (test/fixtures/codex-config-writes: a root key
// after the root keys, a new table after the last table, a `[hooks.state]` entry right after the last one).
// For each: init's text means the user's settings plus ours, init again changes nothing, removing ours gives
// the user's bytes back; after Codex's writes nothing of Codex's is inside our block, uninstall keeps all
// of it and init again changes nothing. Scale: CONFIG_TOML_RUNS files (1,500); CONFIG_TOML_SEED (printed)
// replays a run.
import { parse } from 'smol-toml';
import { parseTOML } from 'toml-eslint-parser';
import { describe, expect, it } from 'vitest';
import {
  hookStates,
  legacyBlockIn,
  type TrustEntry,
  withoutTrustBlock,
  withTrustBlock,
} from '../../src/codex/config-toml';
import { envCount } from '../support/codex-simulator';
import { prng } from '../support/fuzz-inputs';

const RUNS = envCount('CONFIG_TOML_RUNS', 1_500);
const SEED = envCount('CONFIG_TOML_SEED', 20_261_207);
const FILE = '/home/dev/.codex/config.toml';
const HOOKS = '/home/dev/.codex/hooks.json';
const ENTRIES: TrustEntry[] = ['user_prompt_submit', 'stop', 'session_end'].map((label, n) => ({
  key: `${HOOKS}:${label}:0:0`,
  hash: `sha256:${String(n).repeat(64)}`,
}));
const KEYS = ENTRIES.map((entry) => entry.key);

const ROOT = [
  'model = "gpt-5.5"\n',
  'approval_policy = "never"   # a comment after a value\n',
  '# a comment line\n',
  '\n',
  'notes = """\n# not a comment\n[not.a.table]\n"""\n',
  'sandbox.mode = "workspace-write"\n',
];
const TABLES = [
  '[projects."/home/dev/work"]\ntrust_level = "trusted"\n',
  '# the TUI\n[tui]\nanimations = false\n',
  '[[skills.config]]\nname = "a"\nenabled = false\n',
  `[hooks.state."${HOOKS}:post_tool_use:0:0"]\ntrusted_hash = "sha256:${'d'.repeat(64)}"\n`,
  '[mcp_servers.docs]\ncommand = "npx" # its server\n',
  '[features]\nweb_search_request = true\n',
  '\n',
  '# a comment between tables\n',
];

function generate(next: () => number): string {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)] as T;
  let text = '';
  for (let n = Math.floor(next() * 4); n > 0; n -= 1) text += pick(ROOT);
  const used = new Set<string>();
  for (let n = Math.floor(next() * 5); n > 0; n -= 1) {
    const table = pick(TABLES);
    if (used.has(table) && table.includes('[')) continue;
    used.add(table);
    text += table;
  }
  if (next() < 0.2) text = text.replace(/\n$/, '');
  if (next() < 0.2) text = text.replace(/\n/g, '\r\n');
  return text;
}

/** What Codex's toml_edit does: a root key after the root keys, tables after the last table. */
function codexWrites(text: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const nodes = parseTOML(text).body[0]?.body ?? [];
  const firstTable = nodes.findIndex((node) => node.type === 'TOMLTable');
  const lastRoot = (firstTable === -1 ? nodes : nodes.slice(0, firstTable)).at(-1);
  const at = lastRoot ? text.indexOf('\n', lastRoot.range[1]) + 1 || text.length : 0;
  const withKey = `${text.slice(0, at)}${at === text.length && at > 0 && !text.endsWith('\n') ? eol : ''}model_reasoning_effort = "high"${eol}${text.slice(at)}`;
  const ended = withKey.endsWith('\n') ? withKey : `${withKey}${eol}`;
  return `${ended}${eol}[mcp_servers.codex-added]${eol}command = "c"${eol}`;
}

describe('config.toml edits on generated files', () => {
  it(`init, init again, Codex's writes and uninstall on ${RUNS} files (seed ${SEED})`, () => {
    const next = prng(SEED);
    const kinds = { trust: 0, flag: 0, skipped: 0 };
    for (let run = 0; run < RUNS; run += 1) {
      const user = generate(next);
      try {
        parse(user);
      } catch {
        kinds.skipped += 1;
        continue;
      }
      const flag = next() < 0.3;
      const request = { entries: flag ? [] : ENTRIES, featureFlag: flag };
      kinds[flag ? 'flag' : 'trust'] += 1;
      const where = `run ${run}: ${JSON.stringify(user)}`;
      const once = withTrustBlock(user, request, FILE).text;
      const parsed = parse(once);
      if (!flag) expect(hookStates(parsed)[KEYS[0] ?? '']?.trusted_hash, where).toBe(ENTRIES[0]?.hash);
      expect(withTrustBlock(once, request, FILE).text, where).toBe(once);
      expect(withoutTrustBlock(once, KEYS, FILE), where).toBe(user);

      const written = codexWrites(once);
      expect(legacyBlockIn(written, KEYS, FILE), where).toEqual({ legacy: false, foreign: [] });
      const again = withTrustBlock(written, request, FILE).text;
      expect(withTrustBlock(again, request, FILE).text, where).toBe(again);
      const removed = withoutTrustBlock(written, KEYS, FILE);
      expect(removed, where).not.toContain('infinium-codex');
      expect(parse(removed), where).toEqual(parse(withoutTrustBlock(codexWrites(user), KEYS, FILE)));
    }
    console.log(
      `config-toml: ${kinds.trust} files with trust entries, ${kinds.flag} with the feature flag (${kinds.skipped} generated files were not valid TOML): every round trip exact, Codex's writes kept (seed ${SEED})`,
    );
    expect(kinds.trust + kinds.flag).toBeGreaterThan(RUNS / 2);
  });
});
