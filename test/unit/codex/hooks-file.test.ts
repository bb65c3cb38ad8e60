import { describe, expect, it } from 'vitest';
import { FULL_EVENTS, LEAN_EVENTS } from '../../../src/codex/hook-payload';
import {
  CodexFileError,
  findOurHooks,
  type HooksDocument,
  hookCommand,
  hookCommandWindows,
  ourHandler,
  ourHandlerEvent,
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
    expect(ourHandlerEvent(handler)).toBe('UserPromptSubmit');
    expect(ourHandlerPaths(handler)).toEqual({
      script: "/home/o'neil/dist/hook.sh",
      node: "/home/o'neil/node",
    });
    expect(ourHandlerEvent({ type: 'command', command: 'notify-send done' })).toBeNull();
    expect(ourHandlerEvent({ type: 'command', command: "'/x/hook.sh' Stop '/n'" })).toBeNull();
  });
});

describe('merging into hooks.json', () => {
  it('appends ours after the user’s groups, keeping theirs and their order', () => {
    const merged = withOurHooks(userDoc(), LEAN_EVENTS, target);
    expect(Object.keys(merged.hooks)).toEqual([
      'Stop',
      'PreToolUse',
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
    expect(() => parseHooksDocument('{"hooks": {"Stop": {}}}', '/x/hooks.json')).toThrow(/shape/);
    expect(() => parseHooksDocument('[]', '/x/hooks.json')).toThrow(/shape/);
    expect(parseHooksDocument('{"other": 1}', '/x/hooks.json')).toEqual({ other: 1, hooks: {} });
  });

  it('serialises with the user’s indentation and final newline', () => {
    const text = '{\n    "hooks": {}\n}';
    expect(serializeHooks({ hooks: {} }, text)).toBe(text);
    expect(serializeHooks({ hooks: {} }, null)).toBe('{\n  "hooks": {}\n}\n');
  });
});
