// The acceptance subset: what every supported Codex must get right, run by `npm test` on the pinned Codex
// (project e2e) and on the oldest supported one and 0.145.0 (projects acceptance-<version> in
// vitest.config.ts): a ten-command turn, a failing command, apply_patch with the files on disk, and an
// interrupt. Each in a world of its own, in lean capture (the default users get).
import { afterEach, describe, inject, it } from 'vitest';
import { codexVersionText } from './support/codex';
import { applyPatchTurn, failingCommandTurn, interruptTurn, tenCommandsTurn } from './support/scenarios';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('acceptance on the Codex under test', () => {
  let world: World | undefined;
  const fresh = async (): Promise<World> => {
    world = await startWorld({ capture: 'lean' });
    return world;
  };
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it(`a ten-command turn (Codex ${skipReason === '' ? codexVersionText() : '-'})`, async () => {
    await tenCommandsTurn(await fresh());
  });

  it('a failing command', async () => {
    await failingCommandTurn(await fresh());
  });

  it('apply_patch, with the files on disk', async () => {
    await applyPatchTurn(await fresh());
  });

  it('an interrupt mid-command', async () => {
    await interruptTurn(await fresh());
  });
});
