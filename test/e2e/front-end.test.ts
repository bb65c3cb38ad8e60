// The hook front-ends as a user gets them from our own `init` (issue 16): by default the native program of
// this checkout's platform folder (where `npm run build` made one; CI always does), with `--front-end sh`
// hook.sh. Each world runs one real turn on the Codex under test, and the turn must arrive exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { findOurHooks, ourHandlerPaths, parseHooksDocument } from '../../src/codex/hooks-file';
import { NATIVE_HOOK, NATIVE_HOOK_BUILT, REPO_ROOT } from '../support/cli-sandbox';
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
