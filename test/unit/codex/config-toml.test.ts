import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_BEGIN,
  FEATURE_BLOCK_BEGIN,
  hookStates,
  LEGACY_BLOCK_BEGIN,
  LEGACY_BLOCK_END,
  LEGACY_FEATURE_BLOCK_BEGIN,
  legacyBlockIn,
  splitOurBlock,
  withoutTrustBlock,
  withTrustBlock,
} from '../../../src/codex/config-toml';
import { CodexFileError } from '../../../src/codex/hooks-file';

const FILE = '/home/dev/.codex/config.toml';
const entries = [
  { key: '/home/dev/.codex/hooks.json:stop:1:0', hash: 'sha256:aa' },
  { key: '/home/dev/.codex/hooks.json:user_prompt_submit:0:0', hash: 'sha256:bb' },
];
const USER = `# my Codex settings
model = "gpt-5.5"   # the best one

[projects."/home/dev/work"]
trust_level = "trusted"
`;

describe('the trust block in config.toml', () => {
  it('puts a headed block that Codex reads as trust entries above the user’s first table, keeping every byte of theirs', () => {
    const { text } = withTrustBlock(USER, { entries, featureFlag: false }, FILE);
    const [before, after] = USER.split('[projects.');
    expect(text.startsWith(`${before}${BLOCK_BEGIN}\n[hooks.state.`)).toBe(true);
    expect(text.endsWith(`trusted_hash = "sha256:bb"\n\n[projects.${after}`)).toBe(true);
    expect(text).not.toContain(LEGACY_BLOCK_END);
    const states = hookStates(parse(text));
    expect(states[entries[0]?.key ?? '']?.trusted_hash).toBe('sha256:aa');
    expect(states[entries[1]?.key ?? '']?.trusted_hash).toBe('sha256:bb');
  });

  it('is idempotent and removes back to the exact original bytes', () => {
    for (const original of [USER, USER.trimEnd(), '', '# only a comment']) {
      const once = withTrustBlock(original, { entries, featureFlag: false }, FILE).text;
      expect(withTrustBlock(once, { entries, featureFlag: false }, FILE).text).toBe(once);
      expect(splitOurBlock(once, FILE, new Set(entries.map((e) => e.key))).user).toBe(original);
      expect(
        withoutTrustBlock(
          once,
          entries.map((e) => e.key),
          FILE,
        ),
      ).toBe(original);
    }
  });

  it('replaces the entries when the hooks change', () => {
    const once = withTrustBlock(USER, { entries, featureFlag: false }, FILE).text;
    const next = withTrustBlock(
      once,
      {
        entries: [{ key: 'k:stop:0:0', hash: 'sha256:cc' }],
        staleKeys: entries.map((e) => e.key),
        featureFlag: false,
      },
      FILE,
    ).text;
    expect(Object.keys(hookStates(parse(next)))).toEqual(['k:stop:0:0']);
  });

  it('escapes Windows paths in keys', () => {
    const key = 'C:\\Users\\dev\\.codex\\hooks.json:stop:0:0';
    const { text } = withTrustBlock('', { entries: [{ key, hash: 'sha256:dd' }], featureFlag: false }, FILE);
    expect(hookStates(parse(text))[key]?.trusted_hash).toBe('sha256:dd');
  });

  it('leaves an entry the user approved in /hooks, and replaces a stale one Codex wrote for our hook', () => {
    const approved = `${USER}\n[hooks.state."${entries[0]?.key}"]\ntrusted_hash = "sha256:aa"\n`;
    const same = withTrustBlock(approved, { entries, featureFlag: false }, FILE);
    expect(same.skipped).toEqual([entries[0]?.key]);
    expect(splitOurBlock(same.text, FILE, new Set(entries.map((e) => e.key))).user).toBe(approved);
    const stale = approved.replace('sha256:aa', 'sha256:old');
    const replaced = withTrustBlock(stale, { entries, featureFlag: false }, FILE);
    expect(hookStates(parse(replaced.text))[entries[0]?.key ?? '']?.trusted_hash).toBe('sha256:aa');
    expect(splitOurBlock(replaced.text, FILE, new Set(entries.map((e) => e.key))).user).toBe(USER);
  });

  it('leaves a hook the user disabled in /hooks disabled', () => {
    const disabled = `${USER}\n[hooks.state."${entries[0]?.key}"]\nenabled = false\n`;
    const result = withTrustBlock(disabled, { entries, featureFlag: false }, FILE);
    expect(result.skipped).toEqual([entries[0]?.key]);
    expect(hookStates(parse(result.text))[entries[0]?.key ?? '']?.enabled).toBe(false);
  });

  it('refuses invalid TOML, and a file where the block would change the meaning', () => {
    expect(() => withTrustBlock('model = "x\n', { entries, featureFlag: false }, FILE)).toThrow(
      CodexFileError,
    );
    expect(() => withTrustBlock('hooks = { state = {} }\n', { entries, featureFlag: false }, FILE)).toThrow(
      /would not give valid TOML/,
    );
  });

  it('writes the old feature flag only when asked, in its own block or as a marked line in [features]', () => {
    const own = withTrustBlock(USER, { entries: [], featureFlag: true }, FILE).text;
    expect((parse(own) as { features: { codex_hooks: boolean } }).features.codex_hooks).toBe(true);
    const withFeatures = `${USER}\n[features]\nweb_search = true\n`;
    const marked = withTrustBlock(withFeatures, { entries, featureFlag: true }, FILE).text;
    expect(parse(marked)).toMatchObject({ features: { web_search: true, codex_hooks: true } });
    expect(
      withoutTrustBlock(
        marked,
        entries.map((e) => e.key),
        FILE,
      ),
    ).toBe(withFeatures);
    const already = `${USER}\n[features]\ncodex_hooks = true\n`;
    expect(withTrustBlock(already, { entries: [], featureFlag: true }, FILE).text).toBe(already);
  });
});

/** The case folder's files (test/fixtures/adversarial/codex-writes-inside-our-block). */
const caseFile = (name: string) =>
  readFileSync(
    join(import.meta.dirname, '../../fixtures/adversarial/codex-writes-inside-our-block', name),
    'utf8',
  );
const HOOKS = '/home/dev/.codex/hooks.json';
const OUR_KEYS = ['user_prompt_submit', 'stop', 'interrupt', 'subagent_stop', 'session_end'].map(
  (label) => `${HOOKS}:${label}:0:0`,
);

describe('what Codex wrote inside the block earlier versions put at the end (codex-writes-inside-our-block)', () => {
  it('keeps `codex mcp add`’s table, moved out of the block, on re-init and on uninstall', () => {
    const text = caseFile('config-after-mcp-add.toml');
    expect(legacyBlockIn(text, OUR_KEYS, FILE)).toEqual({ legacy: true, foreign: ['[mcp_servers.docs]'] });
    const entries = OUR_KEYS.map((key) => ({ key, hash: 'sha256:new' }));
    const again = withTrustBlock(text, { entries, featureFlag: false }, FILE);
    expect(again.movedOut).toEqual(['[mcp_servers.docs]']);
    expect(again.replacedLegacy).toBe(true);
    expect(parse(again.text)).toMatchObject({
      mcp_servers: { docs: { command: 'npx', args: ['-y', 'some-mcp-server'] } },
    });
    // Re-placed above the user's tables, where Codex's next tables stay out of it.
    expect(again.text.startsWith(`model = "gpt-5.5"\n\n${BLOCK_BEGIN}\n`)).toBe(true);
    expect(
      again.text.endsWith('\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "some-mcp-server"]\n'),
    ).toBe(true);
    expect(legacyBlockIn(again.text, OUR_KEYS, FILE)).toEqual({ legacy: false, foreign: [] });
    const removed = withoutTrustBlock(text, OUR_KEYS, FILE);
    expect(removed).toBe(
      'model = "gpt-5.5"\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "some-mcp-server"]\n',
    );
  });

  it('keeps the trust entry of the user’s own hook that Codex wrote there', () => {
    const text = caseFile('config-after-user-approved-own-hook.toml');
    const userKey = `${HOOKS}:post_tool_use:0:0`;
    expect(legacyBlockIn(text, OUR_KEYS, FILE).foreign).toEqual([`[hooks.state."${userKey}"]`]);
    const full = [...OUR_KEYS, `${HOOKS}:pre_tool_use:0:0`].map((key) => ({ key, hash: 'sha256:x' }));
    for (const result of [
      withTrustBlock(text, { entries: full, featureFlag: false }, FILE).text,
      withoutTrustBlock(text, OUR_KEYS, FILE),
    ]) {
      expect(hookStates(parse(result))[userKey]?.trusted_hash).toBe(
        'sha256:d29587f4ea983fa126c4c582d91bf91cc8a7c3e266e567cf871f0572c514ca17',
      );
    }
    expect(Object.keys(hookStates(parse(withoutTrustBlock(text, OUR_KEYS, FILE))))).toEqual([userKey]);
  });

  it('keeps a folder Codex trusted, [tui] tables and loose keys of the table above, wherever they sit in the block', () => {
    const ours = `[hooks.state."${OUR_KEYS[1]}"]\ntrusted_hash = "sha256:a"\n\n`;
    const text = `[tui]\nnotifications = true\n\n${LEGACY_BLOCK_BEGIN}\nanimations = false\n[projects."/home/dev/work"]\ntrust_level = "trusted"\n\n${ours}[tui.model_availability_nux]\n"gpt-5.5" = 1\n${LEGACY_BLOCK_END}\n`;
    const before = parse(text) as Record<string, unknown>;
    const result = withoutTrustBlock(text, OUR_KEYS, FILE);
    const after = parse(result) as Record<string, unknown>;
    delete (before as { hooks?: unknown }).hooks;
    expect(after).toEqual(before);
    expect(result).not.toContain(LEGACY_BLOCK_BEGIN);
  });

  it('keeps the key Codex added to the [features] table of an old block, and our flag goes on uninstall', () => {
    const text = `model = "x"\n\n${LEGACY_FEATURE_BLOCK_BEGIN}\n[features]\ncodex_hooks = true\nweb_search_request = true\n${LEGACY_BLOCK_END}\n`;
    expect(legacyBlockIn(text, [], FILE)).toEqual({ legacy: true, foreign: ['[features]'] });
    const again = withTrustBlock(text, { entries: [], featureFlag: true }, FILE);
    expect(again.text).toBe(
      'model = "x"\n\n[features]\ncodex_hooks = true # added by infinium-codex\nweb_search_request = true\n',
    );
    expect(withoutTrustBlock(text, [], FILE)).toBe('model = "x"\n\n[features]\nweb_search_request = true\n');
  });

  it('does not take marker-like text in a multi-line string for our block', () => {
    const user = `note = """\n${BLOCK_BEGIN}\n[x]\n# <<< infinium-codex <<<\n"""\n`;
    const once = withTrustBlock(user, { entries, featureFlag: false }, FILE).text;
    expect((parse(once) as { note: string }).note).toContain(BLOCK_BEGIN);
    expect(
      withoutTrustBlock(
        once,
        entries.map((e) => e.key),
        FILE,
      ),
    ).toBe(user);
    expect(withoutTrustBlock(user, [], FILE)).toBe(user);
  });

  it('keeps CRLF line endings and a byte order mark through a round trip', () => {
    const user = '\uFEFFmodel = "gpt-5.5"\r\n\r\n[features]\r\nweb_search = true\r\n';
    const keys = entries.map((e) => e.key);
    for (const featureFlag of [false, true]) {
      const once = withTrustBlock(user, { entries, featureFlag }, FILE).text;
      expect(once.startsWith('\uFEFF')).toBe(true);
      expect(once.replaceAll('\r\n', '')).not.toContain('\n');
      expect(withTrustBlock(once, { entries, featureFlag }, FILE).text).toBe(once);
      expect(withoutTrustBlock(once, keys, FILE)).toBe(user);
    }
  });
});

/** config.toml files as real Codex left them after its own writes (test/fixtures/codex-config-writes). */
const afterCodex = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/codex-config-writes', `${name}.toml`), 'utf8');
const OUR_ENTRIES = OUR_KEYS.map((key, n) => ({ key, hash: `sha256:${String(n).repeat(64)}` }));
const USER_HOOK = `${HOOKS}:post_tool_use:0:0`;

describe('what Codex writes around our block (codex-config-writes)', () => {
  for (const name of [
    'after-0.171.0-tables',
    'after-0.171.0-root',
    'after-0.171.0-empty',
    'after-0.145.0-tables',
  ]) {
    it(`${name}: nothing of Codex's is inside our block; init leaves the file as it is; uninstall keeps all of it`, () => {
      const text = afterCodex(name);
      expect(legacyBlockIn(text, OUR_KEYS, FILE)).toEqual({ legacy: false, foreign: [] });
      const again = withTrustBlock(text, { entries: OUR_ENTRIES, featureFlag: false }, FILE);
      expect(again.text).toBe(text);
      expect(again.movedOut).toEqual([]);
      const removed = withoutTrustBlock(text, OUR_KEYS, FILE);
      expect(removed).not.toContain('infinium-codex');
      const expected = parse(text) as { hooks: { state: Record<string, unknown> } };
      for (const key of OUR_KEYS) delete expected.hooks.state[key];
      expect(parse(removed)).toEqual(expected);
      expect(hookStates(parse(removed))[USER_HOOK]?.trusted_hash).toMatch(/^sha256:d295/);
      expect(parse(removed)).toMatchObject({
        model_reasoning_effort: 'high',
        projects: { '/home/dev/other': { trust_level: 'trusted' } },
        notice: { model_migrations: { 'gpt-5': 'gpt-5.5' } },
        features: { web_search_request: true },
        mcp_servers: { docs: { command: 'npx' } },
      });
    });
  }

  it('after-0.171.0-tables: uninstall takes out exactly our header, our tables and the blank line after them', () => {
    const text = afterCodex('after-0.171.0-tables');
    const start = text.indexOf(BLOCK_BEGIN);
    const end = text.indexOf(`[hooks.state."${USER_HOOK}"]`);
    expect(withoutTrustBlock(text, OUR_KEYS, FILE)).toBe(text.slice(0, start) + text.slice(end));
  });

  for (const name of ['after-0.117.0-tables-feature', 'after-0.117.0-root-feature']) {
    it(`${name}: the key Codex added to our [features] table stays, our flag goes on uninstall`, () => {
      const text = afterCodex(name);
      expect(text).toContain(FEATURE_BLOCK_BEGIN);
      expect(legacyBlockIn(text, OUR_KEYS, FILE)).toEqual({ legacy: false, foreign: [] });
      const again = withTrustBlock(text, { entries: [], featureFlag: true }, FILE).text;
      expect(parse(again)).toEqual(parse(text));
      expect(withTrustBlock(again, { entries: [], featureFlag: true }, FILE).text).toBe(again);
      const removed = withoutTrustBlock(text, [], FILE);
      expect(removed).not.toContain('infinium-codex');
      const expected = parse(text) as { features: Record<string, unknown> };
      delete expected.features.codex_hooks;
      expect(parse(removed)).toEqual(expected);
    });
  }

  it('after the TUI trusted a folder (and 0.171 wrote its [tui] notices), init changes nothing and uninstall keeps them', () => {
    for (const [name, request] of [
      ['after-0.171.0-tui', { entries: OUR_ENTRIES.slice(1, 2), featureFlag: false }],
      ['after-0.117.0-tui-feature', { entries: [], featureFlag: true }],
    ] as const) {
      const text = afterCodex(name);
      expect(legacyBlockIn(text, OUR_KEYS, FILE), name).toEqual({ legacy: false, foreign: [] });
      expect(withTrustBlock(text, { ...request, entries: [...request.entries] }, FILE).text, name).toBe(text);
      const removed = withoutTrustBlock(text, OUR_KEYS, FILE);
      expect(removed, name).not.toContain('infinium-codex');
      expect(parse(removed), name).toMatchObject({
        model_providers: { fake: { name: 'local' } },
        projects: { '/home/dev/project': { trust_level: 'trusted' } },
      });
      expect(Object.keys(parse(removed)), name).not.toContain('hooks');
    }
    expect(parse(withoutTrustBlock(afterCodex('after-0.171.0-tui'), OUR_KEYS, FILE))).toMatchObject({
      tui: { screen_reader_detection_done: true },
    });
  });

  it('re-places a block earlier versions wrote at the end, and Codex’s next table then lands after it', () => {
    const legacy = caseFile('config-after-mcp-add.toml');
    const moved = withTrustBlock(legacy, { entries: OUR_ENTRIES, featureFlag: false }, FILE).text;
    // What `codex mcp add other` (toml_edit) does to the result: a new table after the last table.
    const codexAdded = `${moved}\n[mcp_servers.other]\ncommand = "other"\n`;
    expect(legacyBlockIn(codexAdded, OUR_KEYS, FILE)).toEqual({ legacy: false, foreign: [] });
    expect(withoutTrustBlock(codexAdded, OUR_KEYS, FILE)).toBe(
      'model = "gpt-5.5"\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "some-mcp-server"]\n\n[mcp_servers.other]\ncommand = "other"\n',
    );
  });

  it('keeps the comment lines right above the user’s first table with it, and a lone header of ours goes', () => {
    const user = 'model = "x"\n# my projects\n# (both lines)\n[projects."/w"]\ntrust_level = "trusted"\n';
    const once = withTrustBlock(user, { entries: OUR_ENTRIES, featureFlag: false }, FILE).text;
    expect(once).toMatch(/^model = "x"\n# infinium-codex: trust/);
    expect(once).toMatch(/trusted_hash = "sha256:4{64}"\n\n# my projects\n# \(both lines\)\n\[projects/);
    expect(withoutTrustBlock(once, OUR_KEYS, FILE)).toBe(user);
    for (const start of ['\n# about tui\n[tui]\n', '# a\n# b\n[tui]\n', '\n\n# a\n[tui]\n']) {
      const placed = withTrustBlock(start, { entries: OUR_ENTRIES, featureFlag: false }, FILE).text;
      expect(placed.indexOf(BLOCK_BEGIN)).toBe(start.indexOf('#'));
      expect(withoutTrustBlock(placed, OUR_KEYS, FILE)).toBe(start);
    }
    expect(withoutTrustBlock(`${BLOCK_BEGIN}\n[x]\ny = 1\n`, OUR_KEYS, FILE)).toBe('[x]\ny = 1\n');
    expect(withoutTrustBlock(`${LEGACY_BLOCK_BEGIN}\n[x]\ny = 1\n`, OUR_KEYS, FILE)).toBe('[x]\ny = 1\n');
  });

  it('ends our tables at the first one that is not ours, also when it is our key with a setting the user added', () => {
    const [first, second] = OUR_ENTRIES;
    const once = withTrustBlock('[x]\n', { entries: OUR_ENTRIES.slice(0, 2), featureFlag: false }, FILE).text;
    // The user turns our first hook off in /hooks: Codex adds `enabled = false` to our table.
    const disabled = once.replace(`"${first?.hash}"\n`, `"${first?.hash}"\nenabled = false\n`);
    const result = withoutTrustBlock(disabled, OUR_KEYS, FILE);
    expect(result).not.toContain(second?.hash);
    expect(result).not.toContain('infinium-codex');
    expect(parse(result)).toEqual({ x: {} });
  });
});
