// `init`, `status` and `doctor` against each Codex version's real rules (codex-matrix case): the floor
// (0.117.0) is refused in one sentence with the upgrade command, and the `[features]` hook flags are judged
// as that version really treats them (F3: status said "feature on" without codex_hooks on 0.117-0.123; F4:
// doctor accepted `hooks = true` there; F5: doctor alarmed on `hooks = false` on 0.124-0.128).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FEATURE_BLOCK_BEGIN } from '../../src/codex/config-toml';
import { initArgs, makeSandbox, runCli, type Sandbox, snapshot } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-versions';
const SECRET = 'sk-versions-secret-404';
let standIn: StandIn;
vi.setConfig({ testTimeout: 120_000 });

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

async function initialised(codexVersion: string): Promise<Sandbox> {
  const sandbox = makeSandbox(codexVersion);
  const init = await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET });
  expect(init.code, init.stderr).toBe(0);
  return sandbox;
}

const configToml = (sandbox: Sandbox) => join(sandbox.codexHome, 'config.toml');

/** The `codex` on the sandbox's PATH now reports this version (as after the user up- or downgrades). */
function switchCodex(sandbox: Sandbox, version: string): void {
  const bin = join(sandbox.root, 'bin', 'codex');
  writeFileSync(bin, `#!/bin/sh\necho "codex-cli ${version}"\n`);
  chmodSync(bin, 0o755);
}

describe('the floor: Codex 0.117.0', () => {
  it.each([
    ['init', () => initArgs(AGENT, standIn.url)],
    ['init --local', () => ['init', '--local']],
    ['init --ci', () => ['init', '--ci']],
  ])(
    '%s refuses Codex 0.116.0 in one sentence with the upgrade command, writing nothing',
    async (_mode, args) => {
      const sandbox = makeSandbox('0.116.0');
      const before = snapshot(sandbox.home);
      const result = await runCli(sandbox, args(), {
        input: SECRET,
        env: { INFINIUM_AGENT_ID: AGENT, INFINIUM_AGENT_SECRET: SECRET, INFINIUM_BASE_URL: standIn.url },
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        'Error: Codex 0.116.0 is older than 0.117.0, the oldest version infinium-codex supports; update it with `npm i -g @openai/codex@latest`.',
      );
      expect(snapshot(sandbox.home)).toEqual(before);
    },
  );

  it('doctor fails a Codex that was downgraded below the floor', async () => {
    const sandbox = await initialised('0.169.0');
    switchCodex(sandbox, '0.114.0');
    const result = await runCli(sandbox, ['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '✗ codex: Codex 0.114.0 is older than 0.117.0, the oldest version infinium-codex supports\n    fix: Update it with `npm i -g @openai/codex@latest`.',
    );
  });

  it('init without codex on PATH says to run doctor --fix once Codex is installed', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, initArgs(AGENT, standIn.url), {
      input: SECRET,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '`codex` is not on PATH: install Codex (npm i -g @openai/codex) before your first session, then run `infinium-codex doctor --fix`',
    );
  });
});

describe('Codex 0.117-0.123: hooks run only with [features] codex_hooks = true', () => {
  it('init writes the flag in a block headed for what it holds', async () => {
    const sandbox = await initialised('0.117.0');
    const text = readFileSync(configToml(sandbox), 'utf8');
    expect(text).toContain(FEATURE_BLOCK_BEGIN);
    expect(text).not.toContain('trust for its Codex hooks');
    expect(parse(text)).toEqual({ features: { codex_hooks: true } });
  });

  it('F3: without the flag (init ran before Codex was installed) status and doctor say hooks are off; --fix turns them on', async () => {
    const sandbox = makeSandbox();
    const init = await runCli(sandbox, initArgs(AGENT, standIn.url), {
      input: SECRET,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(init.code).toBe(0);
    // Without a version init assumes a current Codex: trust entries, no flag.
    expect(readFileSync(configToml(sandbox), 'utf8')).not.toContain('codex_hooks');
    switchCodex(sandbox, '0.117.0');
    const status = await runCli(sandbox, ['status']);
    expect(status.stdout).toContain('✗ feature on');
    expect(status.stdout).toContain(
      'Feature:   Codex 0.117.0 runs hooks only with [features] codex_hooks = true',
    );
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(
      '✗ hooks-enabled: Codex 0.117.0 runs hooks only with [features] codex_hooks = true',
    );
    const fixed = await runCli(sandbox, ['doctor', '--fix']);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout).toMatch(
      /rewrote our lean hooks in .*hooks\.json and turned hooks on in .*config\.toml \(\[features\] codex_hooks = true\)/,
    );
    expect(fixed.stdout).not.toContain('trusted them');
    expect(parse(readFileSync(configToml(sandbox), 'utf8'))).toEqual({ features: { codex_hooks: true } });
    expect((await runCli(sandbox, ['status'])).stdout).toContain('✓ feature on');
  });

  it('F4: `hooks = true` (the name current Codex docs use) does not count; --fix adds codex_hooks beside it', async () => {
    const sandbox = await initialised('0.120.0');
    writeFileSync(configToml(sandbox), '[features]\nhooks = true\n');
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(
      '✗ hooks-enabled: Codex 0.120.0 runs hooks only with [features] codex_hooks = true (it ignores [features] hooks = true, a key it does not know)',
    );
    expect((await runCli(sandbox, ['status'])).stdout).toContain('✗ feature on');
    expect((await runCli(sandbox, ['doctor', '--fix'])).code).toBe(0);
    expect(readFileSync(configToml(sandbox), 'utf8')).toBe(
      '[features]\ncodex_hooks = true # added by infinium-codex\nhooks = true\n',
    );
    expect((await runCli(sandbox, ['status'])).stdout).toContain('✓ feature on');
  });

  it('a user’s codex_hooks = false is theirs: reported, and --fix leaves it', async () => {
    const sandbox = await initialised('0.120.0');
    writeFileSync(configToml(sandbox), '[features]\ncodex_hooks = false\n');
    const doctor = await runCli(sandbox, ['doctor', '--fix']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      /✗ hooks-enabled: hooks are turned off in .*config\.toml \(\[features\] codex_hooks = false\)/,
    );
    expect(readFileSync(configToml(sandbox), 'utf8')).toBe('[features]\ncodex_hooks = false\n');
  });
});

describe('Codex 0.124-0.128: hooks on by default, and the `hooks` key does not exist yet', () => {
  it('F5: `hooks = false` is no alarm (Codex 0.124 still runs the hooks), and doctor says why', async () => {
    const sandbox = await initialised('0.124.0');
    writeFileSync(configToml(sandbox), '[features]\nhooks = false\n');
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.stdout).toContain(
      '✓ hooks-enabled: Codex hooks are on (Codex 0.124.0 ignores [features] hooks = false: that key exists from 0.129.0)',
    );
    expect((await runCli(sandbox, ['status'])).stdout).toContain('✓ feature on');
    switchCodex(sandbox, '0.129.0');
    expect((await runCli(sandbox, ['status'])).stdout).toContain('✗ feature on');
  });
});
