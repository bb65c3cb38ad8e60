// The acceptance subset: what every supported Codex must get right, run by `npm test` on the pinned Codex
// (project e2e) and on the oldest supported one and 0.145.0 (projects acceptance-<version> in
// vitest.config.ts): a ten-command turn, a failing command, apply_patch with the files on disk, and an
// interrupt, and Codex's own config.toml writes next to our block. Each in a world of its own, in lean capture
// (the default users get).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { codexBinary, codexVersionText } from './support/codex';
import { cli } from './support/connector';
import { applyPatchTurn, failingCommandTurn, interruptTurn, tenCommandsTurn } from './support/scenarios';
import { MCP_SERVER_PATH } from './support/turns';
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

  it('`codex mcp add` lands outside our config.toml block: the next turn is traced, doctor is quiet, uninstall keeps it (first-run N9)', async () => {
    const world = await fresh();
    const { sandbox } = world;
    execFileSync(codexBinary(), ['mcp', 'add', 'echo-mcp', '--', 'node', MCP_SERVER_PATH], {
      env: sandbox.env,
      cwd: sandbox.project,
      stdio: 'pipe',
    });
    // Codex rewrote config.toml (toml_edit): our trust entries (or 0.117-0.123's flag) still do their work.
    await failingCommandTurn(world);
    const doctor = await cli(sandbox, ['doctor']);
    expect(doctor.stdout).toMatch(/^✓ hooks: /m);
    expect(doctor.stdout).not.toContain('config-toml');
    const removed = await cli(sandbox, ['uninstall']);
    expect(removed.code).toBe(0);
    const toml = readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8');
    expect(toml).not.toContain('infinium-codex');
    expect(parse(toml)).toMatchObject({
      model_provider: 'fake',
      model_providers: { fake: { name: 'local' } },
      mcp_servers: { 'echo-mcp': { command: 'node', args: [MCP_SERVER_PATH] } },
    });
  });
});
