import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installHooks } from '../../../src/codex/install';
import {
  canonicalJson,
  effectiveTimeout,
  hookIdentity,
  hookTrustHash,
  hookTrustKey,
} from '../../../src/codex/trust';
import { codexVersion } from '../../e2e/support/codex';
import { listCodexHooks, realCodexBinary } from '../../support/codex-hooks-list';

/** User hooks exercising every rule of the hash: matchers kept or dropped, timeouts defaulted or clamped. */
const USER_HOOKS = {
  hooks: {
    SessionStart: [
      {
        matcher: 'startup|resume',
        hooks: [{ type: 'command', command: 'echo s', statusMessage: 'Loading' }],
      },
    ],
    UserPromptSubmit: [{ matcher: 'ignored', hooks: [{ type: 'command', command: 'echo u', timeout: 0 }] }],
    PreToolUse: [
      { matcher: '^Bash$', hooks: [{ type: 'command', command: 'echo pre', timeout: 30, async: true }] },
    ],
    PostToolUse: [{ hooks: [{ type: 'command', command: `echo 'q' "dq" \\ é \t`, timeout: 5 }] }],
    Stop: [{ matcher: 'x', hooks: [{ type: 'command', command: 'echo stop' }] }],
    SessionEnd: [{ hooks: [{ type: 'command', command: 'echo end', timeout: 10 }] }],
    Interrupt: [{ hooks: [{ type: 'command', command: 'echo int' }] }],
    SubagentStop: [
      { matcher: 'worker', hooks: [{ type: 'command', command: 'echo sub', commandWindows: 'echo win' }] },
    ],
  },
};

type Recorded = { eventName: string; command: string; currentHash: string; timeoutSec: number }[];

/** What each Codex's `hooks/list` answered for USER_HOOKS (recorded from the real binaries). */
const RECORDED_VERSIONS = ['0.169.0', '0.171.0'];
const recorded = (version: string): Recorded =>
  JSON.parse(
    readFileSync(
      join(import.meta.dirname, `../../fixtures/codex-${version}/hooks-list-user-hooks.json`),
      'utf8',
    ),
  ) as Recorded;
const RECORDED = recorded(RECORDED_VERSIONS.at(-1) as string);

/** hooks/list names events in camelCase (`preToolUse`); hooks.json in PascalCase. */
const eventOf = (name: string) =>
  `${name[0]?.toUpperCase()}${name.slice(1)}` as keyof typeof USER_HOOKS.hooks;

describe('trust hash (codex-hooks.md rules)', () => {
  it('canonical JSON sorts keys at every depth and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 'x' }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":"x","z":1}]},"b":1}',
    );
  });

  it('uses the effective timeout: default 600, at least 1; SessionEnd/Interrupt clamped to 1..3, default 1', () => {
    expect(effectiveTimeout('Stop', {})).toBe(600);
    expect(effectiveTimeout('Stop', { timeout: 0 })).toBe(1);
    expect(effectiveTimeout('Stop', { timeoutSec: 7 })).toBe(7);
    expect(effectiveTimeout('SessionEnd', {})).toBe(1);
    expect(effectiveTimeout('SessionEnd', { timeout: 10 })).toBe(3);
    expect(effectiveTimeout('Interrupt', { timeout: 2 })).toBe(2);
  });

  it('drops the matcher for UserPromptSubmit and Stop, keeps it elsewhere, and always has async', () => {
    expect(hookIdentity('Stop', { matcher: 'x' }, { command: 'c' })).toEqual({
      event_name: 'stop',
      matcher: undefined,
      hooks: [{ type: 'command', command: 'c', timeout: 600, async: false, statusMessage: undefined }],
    });
    expect(hookIdentity('PreToolUse', { matcher: '^Bash$' }, { command: 'c', async: true }).matcher).toBe(
      '^Bash$',
    );
  });

  it('never hashes commandWindows, except that Windows runs (and hashes) it as the command', () => {
    const plain = hookTrustHash('Stop', {}, { command: 'c', timeout: 10 }, 'linux');
    expect(hookTrustHash('Stop', {}, { command: 'c', commandWindows: 'w', timeout: 10 }, 'linux')).toBe(
      plain,
    );
    expect(hookTrustHash('Stop', {}, { command: 'c', commandWindows: 'w', timeout: 10 }, 'win32')).toBe(
      hookTrustHash('Stop', {}, { command: 'w', timeout: 10 }, 'linux'),
    );
  });

  it('keys a hook by file, snake_case event and 0-based positions', () => {
    expect(hookTrustKey('/h/.codex/hooks.json', 'SubagentStop', 2, 0)).toBe(
      '/h/.codex/hooks.json:subagent_stop:2:0',
    );
  });

  it.each(RECORDED_VERSIONS)('matches the hashes Codex %s itself computed for the same hooks', (version) => {
    const entries = recorded(version);
    expect(entries.length).toBe(8);
    for (const entry of entries) {
      const event = eventOf(entry.eventName);
      const group = USER_HOOKS.hooks[event][0];
      expect(group, entry.eventName).toBeDefined();
      if (!group) continue;
      expect(hookTrustHash(event, group, group.hooks[0] ?? {}, 'linux'), entry.eventName).toBe(
        entry.currentHash,
      );
    }
  });
});

const codexBin = realCodexBinary();
describe.skipIf(!codexBin)('trust entries against the real Codex binary (hooks/list)', () => {
  it('Codex sees our hooks as trusted and agrees on every key and hash, CODEX_HOME behind a symlink', async () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-trust-')));
    const realHome = join(root, 'real-codex-home');
    const home = join(root, 'home');
    mkdirSync(realHome);
    mkdirSync(home);
    symlinkSync(realHome, join(root, 'codex-link'));
    writeFileSync(join(realHome, 'hooks.json'), JSON.stringify(USER_HOOKS, null, 2));
    writeFileSync(join(realHome, 'config.toml'), '# my settings\nmodel = "gpt-5.5"\n');
    const env = {
      HOME: home,
      CODEX_HOME: join(root, 'codex-link'),
      INFINIUM_CODEX_HOME: join(root, 'state'),
    };
    installHooks({
      scope: 'user',
      projectDir: root,
      capture: 'full',
      target: { distDir: '/opt/icx/dist', nodePath: '/usr/bin/node' },
      trust: true,
      codexVersion: codexVersion(),
      env,
      platform: 'linux',
    });
    const listed = await listCodexHooks(codexBin ?? '', { ...env, PATH: process.env.PATH ?? '' }, root);
    const ours = listed.filter((hook) => hook.command.includes('/opt/icx/dist/hook.sh'));
    expect(ours.map((hook) => hook.trustStatus)).toEqual(ours.map(() => 'trusted'));
    expect(ours.length).toBe(9);
    for (const hook of listed) expect(hook.key.startsWith(`${realHome}/hooks.json:`)).toBe(true);
    if (process.env.RECORD_CODEX_HOOKS_LIST) {
      const user = listed
        .filter((hook) => !ours.includes(hook))
        .map(({ eventName, command, currentHash, timeoutSec }) => ({
          eventName,
          command,
          currentHash,
          timeoutSec,
        }));
      writeFileSync(process.env.RECORD_CODEX_HOOKS_LIST, `${JSON.stringify(user, null, 2)}\n`);
    }
    for (const entry of RECORDED) {
      expect(
        listed.some((hook) => hook.currentHash === entry.currentHash && hook.eventName === entry.eventName),
      ).toBe(true);
    }
  });
});
