import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FULL_EVENTS, LEAN_EVENTS } from '../../../src/codex/hook-payload';
import {
  CodexFileError,
  findOurHooks,
  type HooksDocument,
  hookCommand,
  hookCommandWindows,
  isOurHandler,
  nativeHookCommand,
  OUR_MARK,
  ourHandler,
  ourHandlerPaths,
  parseHooksDocument,
  serializeHooks,
  withOurHooks,
  withoutOurHooks,
} from '../../../src/codex/hooks-file';

const target = {
  distDir: '/opt/icx/lib/node_modules/infinium-codex-connector/dist',
  nodePath: '/usr/bin/node',
};

function userDoc(): HooksDocument {
  return {
    hooks: {
      Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
      PreToolUse: [{ matcher: '^Bash$', hooks: [{ type: 'command', command: './guard.sh', timeout: 5 }] }],
    },
  };
}

describe('our hook commands', () => {
  it('are absolute and quoted for the shell, with a Windows form that runs node on bin.cjs', () => {
    expect(hookCommand('Stop', target)).toBe(`'${target.distDir}/hook.sh' Stop '/usr/bin/node'`);
    expect(hookCommandWindows('Stop', target)).toBe(`"/usr/bin/node" "${target.distDir}/bin.cjs" hook Stop`);
    expect(ourHandler('SessionEnd', target).timeout).toBeLessThanOrEqual(3);
    expect(ourHandler('Stop', target).timeout).toBe(10);
  });

  it('are recognised (even with quotes in the paths) and the user’s are not', () => {
    const odd = { distDir: "/home/o'neil/dist", nodePath: "/home/o'neil/node" };
    const handler = ourHandler('UserPromptSubmit', odd);
    expect(isOurHandler(handler)).toBe(true);
    expect(ourHandlerPaths(handler)).toEqual({
      frontEnd: 'sh',
      program: "/home/o'neil/dist/hook.sh",
      node: "/home/o'neil/node",
      distDir: "/home/o'neil/dist",
      guarded: true,
    });
    expect(isOurHandler({ type: 'command', command: 'notify-send done' })).toBe(false);
    expect(isOurHandler({ type: 'command', command: "'/x/hook.sh' Stop '/n'" })).toBe(false);
  });

  it('are recognised by our mark, never by the shape of a command: a look-alike of another package is not ours', () => {
    const { [OUR_MARK]: _mark, ...lookAlike } = ourHandler('Stop', {
      distDir: '/opt/other/dist',
      nodePath: '/usr/bin/node',
    });
    expect(isOurHandler(lookAlike)).toBe(false);
    const doc: HooksDocument = { hooks: { Stop: [{ hooks: [lookAlike] }] } };
    expect(findOurHooks(doc)).toEqual([]);
    expect(withoutOurHooks(doc)).toEqual(doc);
    expect(withOurHooks(doc, ['Stop'], target).hooks.Stop).toEqual([
      { hooks: [lookAlike] },
      { hooks: [ourHandler('Stop', target)] },
    ]);
  });

  it('recognises a handler written before the mark when its front-end is in an installed copy of this package', () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-legacy-')));
    const installed = { distDir: join(root, 'infinium-codex-connector', 'dist'), nodePath: '/usr/bin/node' };
    mkdirSync(installed.distDir, { recursive: true });
    writeFileSync(join(installed.distDir, '..', 'package.json'), '{"name": "infinium-codex-connector"}');
    const { [OUR_MARK]: _mark, ...marked } = ourHandler('Stop', installed);
    // What init wrote then: hook.sh's call alone, without the guard.
    const legacy = { ...marked, command: hookCommand('Stop', installed) };
    expect(isOurHandler(legacy)).toBe(true);
    expect(isOurHandler(marked)).toBe(false);
    expect(isOurHandler({ ...legacy, statusMessage: 'theirs' })).toBe(false);
    const migrated = withOurHooks({ hooks: { Stop: [{ hooks: [legacy] }] } }, ['Stop'], installed);
    expect(migrated.hooks.Stop).toEqual([{ hooks: [ourHandler('Stop', installed)] }]);
    writeFileSync(join(installed.distDir, '..', 'package.json'), '{"name": "another-package"}');
    expect(isOurHandler(legacy)).toBe(false);
  });
});

describe('the native front-end’s command', () => {
  const native = { ...target, nativeHook: "/opt/o'neil/hook-linux-x64/infinium-codex-hook" };

  it('runs the native program with the event, node and dist/ when the target has one; Windows is unchanged', () => {
    const handler = ourHandler('Stop', native);
    const program = `'/opt/o'\\''neil/hook-linux-x64/infinium-codex-hook'`;
    expect(handler.command).toBe(
      `[ -x ${program} ] && exec ${program} Stop '/usr/bin/node' '${target.distDir}'; /bin/cat >/dev/null 2>&1; exit 0`,
    );
    expect(handler.commandWindows).toBe(ourHandler('Stop', target).commandWindows);
    expect(handler.timeout).toBe(ourHandler('Stop', target).timeout);
    expect(ourHandlerPaths(handler)).toEqual({
      frontEnd: 'native',
      program: native.nativeHook,
      node: '/usr/bin/node',
      distDir: target.distDir,
      guarded: true,
    });
    expect(isOurHandler(handler)).toBe(true);
  });

  it('is ours only with the mark: the native form never counts as a handler written before the mark', () => {
    const { [OUR_MARK]: _mark, ...unmarked } = ourHandler('Stop', native);
    expect(isOurHandler(unmarked)).toBe(false);
  });

  it('replaces hook.sh in place and back, keeping the user’s handlers and every position (trust keys)', () => {
    const doc = withOurHooks(userDoc(), FULL_EVENTS, target);
    doc.hooks.Stop?.push({ hooks: [{ type: 'command', command: 'added later by the user' }] });
    const positions = (d: HooksDocument) =>
      findOurHooks(d).map((h) => [h.event, h.groupIndex, h.handlerIndex]);
    const toNative = withOurHooks(doc, FULL_EVENTS, native);
    expect(positions(toNative)).toEqual(positions(doc));
    expect(findOurHooks(toNative).every((h) => ourHandlerPaths(h.handler)?.frontEnd === 'native')).toBe(true);
    expect(withoutOurHooks(toNative)).toEqual(withoutOurHooks(doc));
    expect(toNative.hooks.Stop?.[2]).toEqual({
      hooks: [{ type: 'command', command: 'added later by the user' }],
    });
    const back = withOurHooks(toNative, FULL_EVENTS, target);
    expect(back).toEqual(doc);
  });
});

describe('the command form: silent when its program is gone (package removed without uninstall)', () => {
  const native = { ...target, nativeHook: "/opt/o'neil/dist/native/linux-x64/infinium-codex-hook" };

  it('recognises what init writes now and the unguarded calls it wrote before, with the same paths', () => {
    for (const [t, call] of [
      [target, hookCommand('Stop', target)],
      [native, nativeHookCommand('Stop', native.nativeHook, native)],
    ] as const) {
      const guarded = ourHandler('Stop', t);
      const older = { ...guarded, command: call };
      const { guarded: isNew, ...paths } = ourHandlerPaths(guarded) ?? { guarded: null };
      expect(isNew).toBe(true);
      expect(ourHandlerPaths(older)).toEqual({ ...paths, guarded: false });
    }
  });

  it('does not take a guard that tests one program and runs another as ours', () => {
    const command = (ourHandler('Stop', target).command as string).replace(
      `[ -x '${target.distDir}/hook.sh' ]`,
      `[ -x '/tmp/other' ]`,
    );
    expect(ourHandlerPaths({ type: 'command', command })).toBeNull();
  });

  it('migrates older commands in place: same positions, the new form', () => {
    const doc = withOurHooks(userDoc(), FULL_EVENTS, native);
    const older = structuredClone(doc);
    for (const hook of findOurHooks(older)) {
      hook.handler.command = nativeHookCommand(hook.event, native.nativeHook, native);
    }
    expect(findOurHooks(older).every((h) => ourHandlerPaths(h.handler)?.guarded === false)).toBe(true);
    expect(withOurHooks(older, FULL_EVENTS, native)).toEqual(doc);
  });

  it.each(['/bin/sh', '/bin/bash'])(
    'under %s: exits 0 silently, draining the payload, when the program is gone; runs it when it is there',
    (shell) => {
      const root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-gone-')));
      const program = join(root, "o'neil", 'hook');
      const command = ourHandler('Stop', { ...target, nativeHook: program }).command as string;
      const big = 'x'.repeat(1 << 20);
      const gone = spawnSync(shell, ['-c', command], { input: big, encoding: 'utf8' });
      expect([gone.status, gone.stdout, gone.stderr, gone.error]).toEqual([0, '', '', undefined]);
      mkdirSync(dirname(program));
      writeFileSync(program, '#!/bin/sh\necho "ran $1 $# $(wc -c)"\n');
      chmodSync(program, 0o755);
      const ran = spawnSync(shell, ['-c', command], { input: 'abc', encoding: 'utf8' });
      expect([ran.status, ran.stdout.trim()]).toEqual([0, 'ran Stop 3 3']);
    },
  );
});

describe('merging into hooks.json', () => {
  it('appends ours after the user’s groups, keeping theirs and their order', () => {
    const merged = withOurHooks(userDoc(), LEAN_EVENTS, target);
    expect(Object.keys(merged.hooks)).toEqual([
      'Stop',
      'PreToolUse',
      'SessionStart',
      'UserPromptSubmit',
      'Interrupt',
      'SubagentStop',
      'SessionEnd',
    ]);
    expect(merged.hooks.Stop?.[0]).toEqual(userDoc().hooks.Stop?.[0]);
    expect(merged.hooks.Stop?.[1]).toEqual({ hooks: [ourHandler('Stop', target)] });
    expect(merged.hooks.PreToolUse).toEqual(userDoc().hooks.PreToolUse);
    expect(
      findOurHooks(merged)
        .map((h) => h.event)
        .sort(),
    ).toEqual([...LEAN_EVENTS].sort());
  });

  it('is idempotent', () => {
    const once = withOurHooks(userDoc(), FULL_EVENTS, target);
    expect(withOurHooks(once, FULL_EVENTS, target)).toEqual(once);
  });

  it('switches capture modes by adding and removing only ours', () => {
    const full = withOurHooks(userDoc(), FULL_EVENTS, target);
    const lean = withOurHooks(full, LEAN_EVENTS, target);
    expect(lean).toEqual(withOurHooks(userDoc(), LEAN_EVENTS, target));
    expect(lean.hooks.PreToolUse).toEqual(userDoc().hooks.PreToolUse);
  });

  it('updates a moved node path in place, so the hook keeps its position (and trust key)', () => {
    const doc = withOurHooks(userDoc(), LEAN_EVENTS, target);
    doc.hooks.Stop?.push({ hooks: [{ type: 'command', command: 'added later by the user' }] });
    const moved = withOurHooks(doc, LEAN_EVENTS, { ...target, nodePath: '/opt/node22/bin/node' });
    const stop = findOurHooks(moved).find((h) => h.event === 'Stop');
    expect(stop?.groupIndex).toBe(1);
    expect(ourHandlerPaths(stop?.handler ?? {})?.node).toBe('/opt/node22/bin/node');
    expect(moved.hooks.Stop?.[2]).toEqual({
      hooks: [{ type: 'command', command: 'added later by the user' }],
    });
  });

  it('keeps a user handler that shares a group with ours when ours is removed', () => {
    const doc = withOurHooks(userDoc(), ['Stop'], target);
    doc.hooks.Stop?.[1]?.hooks &&
      (doc.hooks.Stop[1].hooks as unknown[]).push({ type: 'command', command: 'mine' });
    expect(withoutOurHooks(doc).hooks.Stop).toEqual([
      userDoc().hooks.Stop?.[0],
      { hooks: [{ type: 'command', command: 'mine' }] },
    ]);
  });

  it('refuses a file that is not JSON, or not shaped like hooks.json', () => {
    expect(() => parseHooksDocument('{"hooks": {', '/x/hooks.json')).toThrow(CodexFileError);
    expect(() => parseHooksDocument('{"hooks": {"Stop": {}}}', '/x/hooks.json')).toThrow(/not a list/);
    expect(() => parseHooksDocument('[]', '/x/hooks.json')).toThrow(/shape/);
    expect(parseHooksDocument('{"description": "d"}', '/x/hooks.json')).toEqual({
      description: 'd',
      hooks: {},
    });
  });

  it('refuses what Codex rejects as a whole (hooks-json-unknown-top-level), and keeps what it ignores', () => {
    const fixture = (name: string) =>
      readFileSync(
        join(import.meta.dirname, '../../fixtures/adversarial/hooks-json-unknown-top-level', name),
        'utf8',
      );
    const refused = (text: string) => () => parseHooksDocument(text, '/x/hooks.json');
    expect(refused(fixture('hooks.json'))).toThrow(
      /top-level key "\$schema", and Codex allows only "hooks" and "description"/,
    );
    expect(refused(fixture('hooks-dup-keys.json'))).toThrow(
      /"Stop" twice in one object, which Codex rejects/,
    );
    const handler = (extra: string) =>
      `{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"a"${extra}}]}]}}`;
    for (const [extra, why] of [
      [',"timeout":-1', /timeout -1 is not a whole number/],
      [',"timeout":5.0', /timeout 5.0/],
      [',"timeout":1e2', /timeout 1e2/],
      [',"timeout":9223372036854775808', /timeout 9223372036854775808/],
      [',"timeout":"5"', /"timeout" of a "Stop" hook is not a number/],
      [',"async":"yes"', /"async"/],
      [',"statusMessage":5', /"statusMessage"/],
      [',"command":"b"', /"command" twice/],
      [',"x":1,"x":2', /"x" twice in one object, which we cannot keep/],
    ] as const) {
      expect(refused(handler(extra)), extra).toThrow(why);
    }
    expect(refused('\uFEFF{"hooks":{}}')).toThrow(/byte order mark/);
    expect(refused('{"hooks":{"Stop":[{"hooks":[{"command":"a"}]}]}}')).toThrow(/no known "type"/);
    expect(refused('{"hooks":{"Stop":[{"matcher":5}]}}')).toThrow(/matcher/);
    expect(refused('{"hooks":null}')).toThrow(/"hooks" is not an object/);
    // Codex ignores unknown events and unknown keys in groups and handlers; timeout 0 and null are fine.
    for (const text of [
      '{"hooks":{"Foo":5,"Stop":[{"x":1,"hooks":[{"type":"command","command":"a","y":[1],"timeout":0}]}]}}',
      handler(',"timeout":null,"statusMessage":null,"async":true'),
      handler(',"timeout":9223372036854775807'),
      '{"hooks":{"Stop":[{"hooks":[{"type":"prompt","prompt":"p"}]}]}}',
    ]) {
      expect(() => parseHooksDocument(text, '/x/hooks.json'), text).not.toThrow();
    }
    const kept = parseHooksDocument('{"hooks":{"Foo":5,"Stop":[]}}', '/x/hooks.json');
    expect(withOurHooks(kept, ['Stop'], target).hooks.Foo).toBe(5);
  });

  it('serialises with the user’s indentation and final newline', () => {
    const text = '{\n    "hooks": {}\n}';
    expect(serializeHooks({ hooks: {} }, text)).toBe(text);
    expect(serializeHooks({ hooks: {} }, null)).toBe('{\n  "hooks": {}\n}\n');
    expect(serializeHooks({ hooks: { Stop: [] } }, '{\r\n  "hooks": {}\r\n}\r\n')).toBe(
      '{\r\n  "hooks": {\r\n    "Stop": []\r\n  }\r\n}\r\n',
    );
  });
});
