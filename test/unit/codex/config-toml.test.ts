import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_BEGIN,
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
      expect(splitOurBlock(once, FILE).user).toBe(original);
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
        staleKeys: [entries[0]?.key ?? ''],
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
    expect(withoutTrustBlock(marked, [], FILE)).toBe(withFeatures);
    const already = `${USER}\n[features]\ncodex_hooks = true\n`;
    expect(withTrustBlock(already, { entries: [], featureFlag: true }, FILE).text).toBe(already);
  });
});
