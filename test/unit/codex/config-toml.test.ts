import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_BEGIN,
  foreignInOurBlock,
  hookStates,
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
  it('appends a marked block that Codex reads as trust entries, keeping every byte of the user’s text', () => {
    const { text } = withTrustBlock(USER, { entries, featureFlag: false }, FILE);
    expect(text.startsWith(USER)).toBe(true);
    expect(text).toContain(BLOCK_BEGIN);
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
    expect(same.text.startsWith(approved)).toBe(true);
    const stale = approved.replace('sha256:aa', 'sha256:old');
    const replaced = withTrustBlock(stale, { entries, featureFlag: false }, FILE);
    expect(hookStates(parse(replaced.text))[entries[0]?.key ?? '']?.trusted_hash).toBe('sha256:aa');
    expect(replaced.text.startsWith(USER)).toBe(true);
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
    expect(() => withTrustBlock(`${BLOCK_BEGIN}\n[x]\n`, { entries, featureFlag: false }, FILE)).toThrow(
      /not its end/,
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

describe('what Codex writes inside our block (codex-writes-inside-our-block)', () => {
  it('keeps `codex mcp add`’s table, moved out of the block, on re-init and on uninstall', () => {
    const text = caseFile('config-after-mcp-add.toml');
    expect(foreignInOurBlock(text, OUR_KEYS, FILE)).toEqual(['[mcp_servers.docs]']);
    const entries = OUR_KEYS.map((key) => ({ key, hash: 'sha256:new' }));
    const again = withTrustBlock(text, { entries, featureFlag: false }, FILE);
    expect(again.movedOut).toEqual(['[mcp_servers.docs]']);
    expect(parse(again.text)).toMatchObject({
      mcp_servers: { docs: { command: 'npx', args: ['-y', 'some-mcp-server'] } },
    });
    expect(again.text.indexOf('[mcp_servers.docs]')).toBeLessThan(again.text.indexOf(BLOCK_BEGIN));
    expect(foreignInOurBlock(again.text, OUR_KEYS, FILE)).toEqual([]);
    const removed = withoutTrustBlock(text, OUR_KEYS, FILE);
    expect(removed).toBe(
      'model = "gpt-5.5"\n\n[mcp_servers.docs]\ncommand = "npx"\nargs = ["-y", "some-mcp-server"]\n',
    );
  });

  it('keeps the trust entry of the user’s own hook that Codex wrote there', () => {
    const text = caseFile('config-after-user-approved-own-hook.toml');
    const userKey = `${HOOKS}:post_tool_use:0:0`;
    expect(foreignInOurBlock(text, OUR_KEYS, FILE)).toEqual([`[hooks.state."${userKey}"]`]);
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
    const text = `[tui]\nnotifications = true\n\n${BLOCK_BEGIN}\nanimations = false\n[projects."/home/dev/work"]\ntrust_level = "trusted"\n\n${ours}[tui.model_availability_nux]\n"gpt-5.5" = 1\n# <<< infinium-codex <<<\n`;
    const before = parse(text) as Record<string, unknown>;
    const result = withoutTrustBlock(text, OUR_KEYS, FILE);
    const after = parse(result) as Record<string, unknown>;
    delete (before as { hooks?: unknown }).hooks;
    expect(after).toEqual(before);
    expect(result).not.toContain(BLOCK_BEGIN);
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
