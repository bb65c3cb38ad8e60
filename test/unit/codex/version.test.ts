// The supported floor and what each Codex really does with the `[features]` hook flags, as measured per
// version in the codex-matrix case (F3-F5: codex-matrix-evidence/F3-F4-F5-feature-flag-behaviour.md).
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  codexNeeds,
  detectCodex,
  type HooksFeatureKeys,
  judgeHooksFeature,
  parseVersion,
  tooOldProblem,
  type Version,
} from '../../../src/codex/version';

const v = (text: string): Version => parseVersion(text) as Version;

describe('the supported floor is Codex 0.117.0 (codex-matrix F2: Stop without turn_id before it)', () => {
  it.each([
    ['0.113.0', false],
    ['0.114.0', false],
    ['0.116.0', false],
    ['0.117.0', true],
    ['0.171.0', true],
    ['1.0.0', true],
  ])('Codex %s supported: %s', (version, supported) => {
    expect(codexNeeds(v(version)).supported).toBe(supported);
  });

  it('names the version, the floor and nothing else; the caller adds the upgrade command', () => {
    expect(tooOldProblem(v('0.116.0'))).toBe(
      'Codex 0.116.0 is older than 0.117.0, the oldest version infinium-codex supports',
    );
  });

  it('an unknown version is taken to be a current one', () => {
    expect(codexNeeds(null)).toEqual({ supported: true, featureFlag: false, trust: true, sessionEnd: true });
  });
});

describe('judgeHooksFeature: does this Codex run hooks with these [features] keys', () => {
  // Each row: Codex version, [features] keys, hooks fired in the matrix run (or the documented rule).
  const table: [string, HooksFeatureKeys, boolean][] = [
    // 0.117-0.123: only codex_hooks = true turns hooks on; `hooks` is unknown (F3, F4).
    ['0.117.0', {}, false],
    ['0.117.0', { codexHooks: true }, true],
    ['0.117.0', { hooks: true }, false],
    ['0.123.0', { hooks: true, codexHooks: true }, true],
    ['0.117.0', { hooks: false }, false],
    ['0.120.0', { codexHooks: false }, false],
    // 0.124-0.128: on by default; `hooks` still unknown, so `hooks = false` does nothing (F5).
    ['0.124.0', {}, true],
    ['0.124.0', { hooks: false }, true],
    ['0.128.9', { hooks: false }, true],
    ['0.124.0', { codexHooks: false }, false],
    ['0.124.0', { codexHooks: true }, true],
    // 0.129+: `hooks` exists; either key set to false turns hooks off.
    ['0.129.0', {}, true],
    ['0.129.0', { hooks: false }, false],
    ['0.171.0', { hooks: false }, false],
    ['0.171.0', { codexHooks: false }, false],
    ['0.171.0', { codexHooks: true }, true],
    ['0.171.0', { hooks: true }, true],
  ];
  it.each(table)('Codex %s with %j: hooks on = %s', (version, keys, on) => {
    expect(judgeHooksFeature(v(version), keys).on).toBe(on);
  });

  it('0.117-0.123 without codex_hooks: --fix can add it, and the reason says an ignored `hooks` is ignored', () => {
    expect(judgeHooksFeature(v('0.117.0'), {})).toEqual({
      on: false,
      reason: 'Codex 0.117.0 runs hooks only with [features] codex_hooks = true',
      fixable: true,
    });
    expect(judgeHooksFeature(v('0.117.0'), { hooks: true })).toEqual({
      on: false,
      reason:
        'Codex 0.117.0 runs hooks only with [features] codex_hooks = true (it ignores [features] hooks = true, a key it does not know)',
      fixable: true,
      ignored: 'hooks',
    });
  });

  it('a user’s own `false` is theirs: reported with its key, never fixable', () => {
    expect(judgeHooksFeature(v('0.120.0'), { codexHooks: false })).toMatchObject({
      on: false,
      fixable: false,
      offBy: 'codex_hooks',
    });
    expect(judgeHooksFeature(v('0.169.0'), { hooks: false })).toMatchObject({
      on: false,
      fixable: false,
      offBy: 'hooks',
    });
  });

  it('0.124-0.128 with hooks = false: on, and the reason says why that key does nothing there', () => {
    expect(judgeHooksFeature(v('0.124.0'), { hooks: false })).toEqual({
      on: true,
      reason:
        'Codex hooks are on (Codex 0.124.0 ignores [features] hooks = false: that key exists from 0.129.0)',
      fixable: false,
      ignored: 'hooks',
    });
  });

  it('an unknown version is judged as a current one', () => {
    expect(judgeHooksFeature(null, { hooks: false }).on).toBe(false);
    expect(judgeHooksFeature(null, {}).on).toBe(true);
  });
});

// attack21c C7: `codex --version` is run by the worker's rule for git (src/git/program.ts), never a project's.
describe('detectCodex: which codex runs', () => {
  function plant(folder: string, marker: string, version: string): void {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'codex'), `#!/bin/sh\necho ran >>'${marker}'\necho "codex-cli ${version}"\n`, {
      mode: 0o755,
    });
  }

  it.skipIf(process.platform === 'win32')(
    "never the project's own (direnv's PATH_add bin, npx's node_modules/.bin); one outside it does",
    async () => {
      const dir = realpathSync(mkdtempSync(join(tmpdir(), 'icx-codex-')));
      const project = join(dir, 'project');
      const marker = join(dir, 'planted-ran');
      plant(join(project, 'bin'), marker, '0.999.0');
      plant(join(project, 'node_modules', '.bin'), marker, '0.999.0');
      const inProject = `${join(project, 'bin')}:${join(project, 'node_modules', '.bin')}`;
      expect(await detectCodex({ PATH: inProject }, project)).toEqual({
        version: null,
        found: false,
        detail:
          'the only `codex` on PATH is in this project or in a folder another user could change (not run)',
      });
      plant(join(dir, 'tools', 'node_modules', '.bin'), join(dir, 'ours-ran'), '0.171.0');
      const found = await detectCodex(
        { PATH: `${inProject}:${join(dir, 'tools', 'node_modules', '.bin')}:/usr/bin:/bin` },
        project,
      );
      expect(found).toMatchObject({ version: [0, 171, 0], found: true });
      expect(existsSync(marker)).toBe(false);
    },
  );
});
