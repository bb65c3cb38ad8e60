// What a user sees of our hooks in Codex's own output (first-run N19): Codex prints `hook: <Event>` and
// `hook: <Event> Completed` for each hook it runs; Getting Started names them. Our hooks add nothing.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runCodex } from './support/codex';
import { conversation } from './support/model-server';
import { oneCommand } from './support/turns';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('Codex’s lines about our hooks', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a plain `codex exec` turn with the lean hooks: a start and a Completed line per hook run', async () => {
    world = await startWorld({ capture: 'lean' });
    world.model.setScript(conversation(oneCommand('lines')));
    const run = await runCodex(['exec', '--skip-git-repo-check', 'Say hello with one command.'], {
      sandbox: world.sandbox,
    });
    expect(run.code).toBe(0);
    const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.startsWith('hook: '));
    expect(lines).toEqual([
      'hook: SessionStart',
      'hook: SessionStart Completed',
      'hook: UserPromptSubmit',
      'hook: UserPromptSubmit Completed',
      'hook: Stop',
      'hook: Stop Completed',
    ]);
  });
});
