import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CodexFileError } from '../../../src/codex/hooks-file';
import { inspectHooks, installHooks, uninstallHooks } from '../../../src/codex/install';
import { hooksLiveIntervals } from '../../../src/config/hooks-live';

const target = { distDir: '/opt/icx/dist', nodePath: '/usr/bin/node' };
let root: string;
let env: Record<string, string>;
let codexHome: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-install-')));
  codexHome = join(root, 'codex');
  mkdirSync(codexHome);
  env = { HOME: join(root, 'home'), CODEX_HOME: codexHome, INFINIUM_CODEX_HOME: join(root, 'state') };
});

function install(overrides: Partial<Parameters<typeof installHooks>[0]> = {}) {
  return installHooks({
    scope: 'user',
    projectDir: root,
    capture: 'lean',
    target,
    trust: true,
    codexVersion: [0, 169, 0],
    env,
    platform: 'linux',
    ...overrides,
  });
}

describe('installHooks / uninstallHooks', () => {
  it('reports each hook as trusted, then untrusted once the user inserts a group before ours', () => {
    install();
    expect(
      inspectHooks(join(codexHome, 'hooks.json'), env, 'linux').every((hook) => hook.trust === 'trusted'),
    ).toBe(true);
    const file = join(codexHome, 'hooks.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.hooks.Stop.unshift({ hooks: [{ type: 'command', command: 'echo first' }] });
    writeFileSync(file, JSON.stringify(doc));
    const stop = inspectHooks(file, env, 'linux').find((hook) => hook.event === 'Stop');
    expect(stop).toMatchObject({ key: `${file}:stop:1:0`, trust: 'untrusted' });
  });

  // attack21 F1: every path that installs hooks (init, --local, --ci, doctor --fix) records it for `import`.
  it('records that our hooks are live from the install on', () => {
    install();
    const record = join(root, 'state', 'hooks-live.json');
    expect(hooksLiveIntervals(env)).toEqual([{ fromMs: expect.any(Number) }]);
    expect(existsSync(record)).toBe(true);
  });

  it('says modified when our hook changed after it was trusted', () => {
    install();
    const file = join(codexHome, 'hooks.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"timeout": 10', '"timeout": 11'));
    expect(inspectHooks(file, env, 'linux').some((hook) => hook.trust === 'modified')).toBe(true);
  });

  it('keeps the user’s later edits on uninstall (removing only ours) instead of restoring the old bytes', () => {
    const file = join(codexHome, 'hooks.json');
    writeFileSync(file, '{"hooks":{}}');
    install();
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.hooks.SessionStart = [{ hooks: [{ type: 'command', command: 'echo added later' }] }];
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const result = uninstallHooks([file], env);
    expect(result.changed).toContainEqual({ file, action: 'edited' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'echo added later' }] }] },
    });
  });

  it('will not install for one project when every project already has our hooks (events would be captured twice)', () => {
    install();
    expect(() => install({ scope: 'project' })).toThrow(CodexFileError);
    expect(existsSync(join(root, '.codex', 'hooks.json'))).toBe(false);
  });

  it('writes nothing when a file it must edit is refused', () => {
    writeFileSync(join(codexHome, 'config.toml'), 'x = [\n');
    expect(() => install()).toThrow(/not valid TOML/);
    expect(existsSync(join(codexHome, 'hooks.json'))).toBe(false);
  });
});

describe('the user’s own trusted hooks after ours', () => {
  it('are reported when removing ours moves them up (their trust keys change)', () => {
    const file = join(codexHome, 'hooks.json');
    install({ capture: 'full' });
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.hooks.PreToolUse.push({ hooks: [{ type: 'command', command: 'echo mine' }] });
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const key = `${file}:pre_tool_use:1:0`;
    writeFileSync(
      join(codexHome, 'config.toml'),
      `${readFileSync(join(codexHome, 'config.toml'), 'utf8')}\n[hooks.state."${key}"]\ntrusted_hash = "sha256:x"\n`,
    );
    expect(install({ capture: 'lean' }).movedUserHooks).toEqual([key]);
  });

  it('are not reported when they were never trusted', () => {
    const file = join(codexHome, 'hooks.json');
    install({ capture: 'full' });
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.hooks.PreToolUse.push({ hooks: [{ type: 'command', command: 'echo mine' }] });
    writeFileSync(file, JSON.stringify(doc, null, 2));
    expect(uninstallHooks([file], env).movedUserHooks).toEqual([]);
  });
});
