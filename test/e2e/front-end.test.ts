// The hook front-ends as a user gets them from our own `init` (issue 16): by default the native program of
// this checkout's platform folder (where `npm run build` made one; CI always does), with `--front-end sh`
// hook.sh. Each world runs one real turn on the Codex under test, and the turn must arrive exactly once.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import pkg from '../../package.json';
import { findOurHooks, ourHandlerPaths, parseHooksDocument } from '../../src/codex/hooks-file';
import { NATIVE_HOOK, NATIVE_HOOK_BUILT, REPO_ROOT } from '../support/cli-sandbox';
import { runCodex } from './support/codex';
import type { InitOptions } from './support/connector';
import { execAndExpectTurn } from './support/expect-trace';
import { conversation } from './support/model-server';
import { oneCommand } from './support/turns';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

/** What our hooks in the world's hooks.json run: one front-end program for all of them. */
function installedPrograms(world: World): Set<string> {
  const file = join(world.sandbox.codexHome, 'hooks.json');
  const doc = parseHooksDocument(readFileSync(file, 'utf8'), file);
  return new Set(findOurHooks(doc).map((hook) => ourHandlerPaths(hook.handler)?.program ?? 'none'));
}

describe.skipIf(skipReason !== '')('the front-end init picks, on a real turn', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  const oneTurn = async (frontEnd: InitOptions['frontEnd'], program: string) => {
    world = await startWorld({ capture: 'lean', frontEnd });
    expect(installedPrograms(world)).toEqual(new Set([program]));
    const replies = oneCommand('front');
    await execAndExpectTurn(world, 'Say hello with one command.', conversation(replies), {
      replies,
      tools: [{ input: 'echo hello-front', output: 'hello-front', status: 'success', exitCode: 0 }],
      finalMessage: 'Printed hello-front.',
    });
    expect(world.unseen()).toEqual([]);
  };

  it.runIf(NATIVE_HOOK_BUILT)('native (init’s default): the turn is traced once', async () => {
    await oneTurn(undefined, NATIVE_HOOK);
  });

  it('hook.sh (`init --front-end sh`): the turn is traced once', async () => {
    await oneTurn('sh', join(REPO_ROOT, 'dist', 'hook.sh'));
  });
});

// Issue 24 §5: the package removed without `uninstall` (its folder gone, the hooks still in hooks.json and
// trusted) leaves every turn of Codex as it would be without our hooks: no hook failure in its output.
describe.skipIf(skipReason !== '')('a package removed without uninstall', () => {
  let world: World | undefined;
  let copy: string | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it.each([
    ['native', undefined],
    ['hook.sh', 'sh'],
  ] as const)(
    '%s: Codex runs a turn and prints nothing about our hooks (first-run N5)',
    async (_name, frontEnd) => {
      // An installed copy of the package, as npm lays it out, that init runs from and the hooks point into.
      copy = mkdtempSync(join(tmpdir(), 'icx-installed-'));
      const installed = join(copy, 'lib', 'node_modules', pkg.name);
      mkdirSync(installed, { recursive: true });
      cpSync(join(REPO_ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
      cpSync(join(REPO_ROOT, 'package.json'), join(installed, 'package.json'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(installed, 'node_modules'));
      world = await startWorld({ capture: 'lean', frontEnd, bin: join(installed, 'dist', 'bin.cjs') });
      const programs = installedPrograms(world);
      expect([...programs].every((program) => program.startsWith(installed))).toBe(true);
      rmSync(copy, { recursive: true, force: true });
      const replies = oneCommand('gone');
      // Codex's human output (no --json), where it reports a hook that failed.
      world.model.setScript(conversation(replies));
      const run = await runCodex(['exec', '--skip-git-repo-check', 'Say hello with one command.'], {
        sandbox: world.sandbox,
      });
      expect(run.code).toBe(0);
      const output = `${run.stdout}\n${run.stderr}`;
      expect(output).not.toContain(installed);
      // What an unguarded command gives there: `hook: UserPromptSubmit Failed`, `hook: Stop Failed`.
      expect(output).toMatch(/^hook: UserPromptSubmit$/m);
      expect(output).not.toMatch(/hook: \w+ Failed|hook[^\n]*(fail|error|exit)/i);
      expect(world.unseen()).toEqual([]);
    },
  );
});
