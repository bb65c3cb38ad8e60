// The user's Codex files stay the user's: what Codex writes inside our config.toml block, symlinked
// config.toml / hooks.json, and an `init` that refuses before it writes anything. The built CLI runs as a
// child process in a temp HOME; the real Codex binary (when installed, see test/e2e/README.md) writes
// config.toml itself and says through `hooks/list` which hooks it trusts.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it, vi } from 'vitest';
import { BLOCK_BEGIN, LEGACY_BLOCK_BEGIN, LEGACY_BLOCK_END } from '../../src/codex/config-toml';
import { OUR_MARK } from '../../src/codex/hooks-file';
import { makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import {
  approveCodexHook,
  appServerRequest,
  type CodexHookEntry,
  listCodexHooks,
  realCodexBinary,
} from '../support/codex-hooks-list';

vi.setConfig({ testTimeout: 180_000 });

const AGENT = 'agent-files-1';
const SECRET = 'sk-files-secret-0123456789abcdef';
const init = (sandbox: Sandbox, ...extra: string[]) =>
  runCli(
    sandbox,
    ['init', '--yes', '--offline', '--agent-id', AGENT, '--agent-secret-stdin', '--no-keyring', ...extra],
    { input: `${SECRET}\n` },
  );

function configOf(sandbox: Sandbox): string {
  return readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8');
}

function expectOneSentence(result: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
}

const codexBin = realCodexBinary();

describe.skipIf(!codexBin)('codex-writes-inside-our-block, with the real Codex', () => {
  const start = async () => {
    const sandbox = makeSandbox();
    const bin = codexBin ?? '';
    const codexEnv = { HOME: sandbox.home, CODEX_HOME: sandbox.codexHome, PATH: process.env.PATH ?? '' };
    const codex = (...args: string[]) =>
      execFileSync(bin, args, { env: codexEnv, cwd: sandbox.project, stdio: 'pipe' });
    writeFileSync(join(sandbox.codexHome, 'config.toml'), 'model = "gpt-5.5"\n');
    const first = await init(sandbox);
    expect(first.stderr).toBe('');
    return { sandbox, bin, codexEnv, codex };
  };

  it('keeps `codex mcp add`, a trusted folder and the trust of the user’s own hook out of our block, through init and uninstall (first-run N9)', async () => {
    const { sandbox, bin, codexEnv, codex } = await start();
    codex('mcp', 'add', 'docs', '--', 'npx', '-y', 'some-mcp-server');
    codex('features', 'enable', 'web_search_request');
    // The user trusts a folder (what `codex` asks on first start in a project).
    await appServerRequest(bin, codexEnv, sandbox.project, 'config/batchWrite', {
      edits: [
        {
          keyPath: `projects.${JSON.stringify(sandbox.project)}.trust_level`,
          value: 'trusted',
          mergeStrategy: 'replace',
        },
      ],
    });
    // The user adds a hook of their own after ours and approves it in Codex.
    const hooksFile = join(sandbox.codexHome, 'hooks.json');
    const hooks = JSON.parse(readFileSync(hooksFile, 'utf8'));
    hooks.hooks.PostToolUse = [
      { matcher: '^Bash$', hooks: [{ type: 'command', command: 'echo my-formatter', timeout: 5 }] },
    ];
    writeFileSync(hooksFile, JSON.stringify(hooks, null, 2));
    const mine = (listed: CodexHookEntry[]) => listed.find((hook) => hook.command === 'echo my-formatter');
    const userHook = mine(await listCodexHooks(bin, codexEnv, sandbox.project));
    expect(userHook?.trustStatus).toBe('untrusted');
    await approveCodexHook(bin, codexEnv, sandbox.project, userHook as CodexHookEntry);

    const kept = async (step: string) => {
      expect(parse(configOf(sandbox)), step).toMatchObject({
        mcp_servers: { docs: { command: 'npx' } },
        features: { web_search_request: true },
        projects: { [sandbox.project]: { trust_level: 'trusted' } },
      });
      const listed = await listCodexHooks(bin, codexEnv, sandbox.project);
      expect(mine(listed)?.trustStatus, step).toBe('trusted');
      return listed;
    };
    await kept('codex');
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.stdout).toContain('✓ hooks:');
    expect(doctor.stdout).not.toContain('config-toml');
    const before = configOf(sandbox);
    const full = await init(sandbox, '--capture', 'full');
    expect(full.stderr, 'init --capture full').toBe('');
    expect(full.code).toBe(0);
    expect(full.stdout).not.toContain('Kept what Codex had written');
    const listed = await kept('init --capture full');
    expect(listed.filter((hook) => hook.trustStatus !== 'trusted').map((hook) => hook.command)).toEqual([]);
    // Only our own entries changed: Codex's tables are where Codex put them.
    const codexPart = (text: string) =>
      text.slice(text.indexOf(`[hooks.state.${JSON.stringify(userHook?.key)}]`));
    expect(codexPart(configOf(sandbox))).toBe(codexPart(before));

    const removed = await runCli(sandbox, ['uninstall']);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.stdout).not.toContain('restored to its original content');
    expect(removed.stdout).toContain('config.toml: removed our entries');
    await kept('uninstall');
    expect(configOf(sandbox)).not.toContain('infinium-codex');
    expect(configOf(sandbox).startsWith('model = "gpt-5.5"\n\n[hooks.state.')).toBe(true);
  });

  it('moves out what Codex wrote inside a block an earlier version put at the end, and the block above it (doctor --fix)', async () => {
    const { sandbox, codex } = await start();
    // The block as versions before this one wrote it: at the end of the file, closed by an end marker.
    const current = configOf(sandbox);
    expect(current.startsWith(`model = "gpt-5.5"\n\n${BLOCK_BEGIN}\n`)).toBe(true);
    writeFileSync(
      join(sandbox.codexHome, 'config.toml'),
      `${current.replace(BLOCK_BEGIN, LEGACY_BLOCK_BEGIN)}${LEGACY_BLOCK_END}\n`,
    );
    const legacy = await runCli(sandbox, ['doctor']);
    expect(legacy.stdout).toMatch(
      /! config-toml: .*has the infinium-codex block at its end, where Codex adds its own tables/,
    );
    // Codex adds an MCP server: toml_edit puts the new table before the end marker, inside that block.
    codex('mcp', 'add', 'docs', '--', 'npx', '-y', 'some-mcp-server');
    expect(configOf(sandbox).indexOf('[mcp_servers.docs]')).toBeGreaterThan(
      configOf(sandbox).indexOf(LEGACY_BLOCK_BEGIN),
    );
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.stdout).toMatch(/! config-toml: .*\[mcp_servers\.docs\].*inside the infinium-codex block/);
    const fixed = await runCli(sandbox, ['doctor', '--fix']);
    expect(fixed.stdout).toMatch(/moved .*\[mcp_servers\.docs\] out of the infinium-codex block/);
    expect(fixed.stdout).toMatch(/moved our entries in .*config\.toml above your tables/);
    expect(fixed.stdout).not.toContain('config-toml');
    expect(configOf(sandbox)).not.toContain(LEGACY_BLOCK_END);
    expect(configOf(sandbox).indexOf(BLOCK_BEGIN)).toBeLessThan(
      configOf(sandbox).indexOf('[mcp_servers.docs]'),
    );
    // From now on Codex's tables land after our block.
    codex('mcp', 'add', 'other', '--', 'npx', '-y', 'other-mcp-server');
    const after = await runCli(sandbox, ['doctor']);
    expect(after.stdout).toContain('✓ hooks:');
    expect(after.stdout).not.toContain('config-toml');
    const removed = await runCli(sandbox, ['uninstall']);
    expect(removed.code).toBe(0);
    expect(parse(configOf(sandbox))).toEqual({
      model: 'gpt-5.5',
      mcp_servers: {
        docs: { command: 'npx', args: ['-y', 'some-mcp-server'] },
        other: { command: 'npx', args: ['-y', 'other-mcp-server'] },
      },
    });
  });
});

describe('symlinked-codex-files', () => {
  function linked(): { sandbox: Sandbox; dotfiles: string } {
    const sandbox = makeSandbox();
    const dotfiles = join(sandbox.home, 'dotfiles', 'codex');
    mkdirSync(dotfiles, { recursive: true });
    writeFileSync(join(dotfiles, 'config.toml'), '# mine\r\nmodel = "gpt-5.5"\r\n');
    writeFileSync(
      join(dotfiles, 'hooks.json'),
      '{\n  "hooks": {\n    "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }]\n  }\n}\n',
    );
    for (const name of ['config.toml', 'hooks.json']) {
      symlinkSync(join(dotfiles, name), join(sandbox.codexHome, name));
    }
    return { sandbox, dotfiles };
  }

  it('writes through the links, keeps them, and uninstall gives the targets back byte for byte', async () => {
    const { sandbox, dotfiles } = linked();
    const before = {
      config: readFileSync(join(dotfiles, 'config.toml'), 'utf8'),
      hooks: readFileSync(join(dotfiles, 'hooks.json'), 'utf8'),
    };
    const result = await init(sandbox);
    expect(result.stderr).toBe('');
    for (const name of ['config.toml', 'hooks.json']) {
      expect(lstatSync(join(sandbox.codexHome, name)).isSymbolicLink(), name).toBe(true);
      expect(readlinkSync(join(sandbox.codexHome, name))).toBe(join(dotfiles, name));
      expect(lstatSync(`${join(sandbox.codexHome, name)}.infinium-codex.bak`).isSymbolicLink()).toBe(false);
    }
    expect(readFileSync(join(dotfiles, 'config.toml'), 'utf8')).toContain(BLOCK_BEGIN);
    expect(readFileSync(join(dotfiles, 'hooks.json'), 'utf8')).toContain(OUR_MARK);
    const removed = await runCli(sandbox, ['uninstall']);
    expect(removed.stdout).toContain('restored to its original content');
    for (const name of ['config.toml', 'hooks.json']) {
      expect(lstatSync(join(sandbox.codexHome, name)).isSymbolicLink(), name).toBe(true);
    }
    expect(readFileSync(join(dotfiles, 'config.toml'), 'utf8')).toBe(before.config);
    expect(readFileSync(join(dotfiles, 'hooks.json'), 'utf8')).toBe(before.hooks);
  });

  it('refuses in one sentence naming the link when its target is read-only, and writes nothing', async () => {
    const { sandbox, dotfiles } = linked();
    chmodSync(join(dotfiles, 'config.toml'), 0o444);
    chmodSync(dotfiles, 0o555);
    try {
      const result = await init(sandbox);
      expectOneSentence(
        result,
        /\.codex\/(config\.toml|hooks\.json) is a symbolic link to .*cannot be written/,
      );
      expect(existsSync(join(sandbox.project, '.infinium'))).toBe(false);
      expect(existsSync(join(sandbox.stateDir, 'credentials.json'))).toBe(false);
      expect(readFileSync(join(dotfiles, 'hooks.json'), 'utf8')).not.toContain(OUR_MARK);
    } finally {
      chmodSync(dotfiles, 0o755);
    }
  });
});

describe('misc-low: a failed init leaves nothing half done', () => {
  it('refuses a config.toml it cannot edit before it writes the project config, capture mode or secret', async () => {
    const sandbox = makeSandbox();
    const key = `${sandbox.codexHome}/hooks.json:stop:0:0`;
    writeFileSync(
      join(sandbox.codexHome, 'config.toml'),
      `[hooks]\nstate = { ${JSON.stringify(key)} = { trusted_hash = "sha256:old" } }\n`,
    );
    const result = await init(sandbox, '--capture', 'full');
    expectOneSentence(result, /config\.toml/);
    expect(existsSync(join(sandbox.project, '.infinium'))).toBe(false);
    expect(existsSync(join(sandbox.stateDir, 'config.json'))).toBe(false);
    expect(existsSync(join(sandbox.stateDir, 'credentials.json'))).toBe(false);
    expect(existsSync(join(sandbox.codexHome, 'hooks.json'))).toBe(false);
  });
});

describe('hooks-json-unknown-top-level', () => {
  const fixture = (name: string) =>
    readFileSync(
      join(import.meta.dirname, '../fixtures/adversarial/hooks-json-unknown-top-level', name),
      'utf8',
    );

  it.each([
    ['hooks.json', /top-level key "\$schema"/],
    ['hooks-dup-keys.json', /"Stop" twice in one object, which Codex rejects/],
  ])('init refuses %s in one sentence, writing nothing, and doctor reports it', async (name, why) => {
    const sandbox = makeSandbox();
    const hooksFile = join(sandbox.codexHome, 'hooks.json');
    writeFileSync(hooksFile, fixture(name));
    const result = await init(sandbox);
    expectOneSentence(result, why);
    expect(result.stderr).toContain('Codex runs none of its hooks');
    expect(readFileSync(hooksFile, 'utf8')).toBe(fixture(name));
    expect(existsSync(join(sandbox.project, '.infinium'))).toBe(false);
    expect(existsSync(join(sandbox.codexHome, 'config.toml'))).toBe(false);
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`✗ hooks: .*${why.source}`));
  });
});

describe('line endings and byte order survive every round trip', () => {
  it.each(['0.169.0', '0.120.0'])(
    'CRLF and a BOM in config.toml, CRLF in hooks.json (Codex %s)',
    async (version) => {
      const sandbox = makeSandbox(version);
      const config = '\uFEFF# mine\r\nmodel = "gpt-5.5"\r\n\r\n[features]\r\nweb_search_request = true\r\n';
      const hooks =
        '{\r\n  "hooks": {\r\n    "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }]\r\n  }\r\n}\r\n';
      writeFileSync(join(sandbox.codexHome, 'config.toml'), config);
      writeFileSync(join(sandbox.codexHome, 'hooks.json'), hooks);
      const crlfOnly = (text: string) => expect(text.replaceAll('\r\n', '')).not.toContain('\n');
      for (const step of [
        ['--capture', 'full'],
        ['--capture', 'lean'],
      ]) {
        const result = await init(sandbox, ...step);
        expect(result.stderr, step.join(' ')).toBe('');
        const written = configOf(sandbox);
        expect(written.startsWith('\uFEFF# mine\r\n')).toBe(true);
        crlfOnly(written);
        crlfOnly(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8'));
      }
      const fixed = await runCli(sandbox, ['doctor', '--fix']);
      expect(fixed.stderr).toBe('');
      crlfOnly(configOf(sandbox));
      const removed = await runCli(sandbox, ['uninstall']);
      expect(removed.stderr).toBe('');
      expect(configOf(sandbox)).toBe(config);
      expect(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')).toBe(hooks);
    },
  );
});
