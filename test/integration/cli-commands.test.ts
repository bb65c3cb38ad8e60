// Every command as a user types it: bad input gets one clear sentence and a non-zero exit (never a stack
// trace); doctor finds (and --fix repairs) what silently stops traces; pause/resume; init --system.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BLOCK_BEGIN, LEGACY_BLOCK_BEGIN, LEGACY_BLOCK_END } from '../../src/codex/config-toml';
import { hookCommand, nativeHookCommand, ourHandlerPaths } from '../../src/codex/hooks-file';
import type { HookHandler } from '../../src/codex/trust';
import { DIST } from '../support/capture-harness';
import { initArgs, makeSandbox, NATIVE_HOOK, runCli, type Sandbox } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-cmd';
const SECRET = 'sk-commands-secret-777';
let standIn: StandIn;
// Each test runs the CLI several times as a child process: on a machine shared with other test runs that
// can take a while (nothing here measures time).
vi.setConfig({ testTimeout: 120_000 });

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

async function initialised(extra: string[] = []): Promise<Sandbox> {
  const sandbox = makeSandbox();
  const init = await runCli(sandbox, initArgs(AGENT, standIn.url, ...extra), { input: SECRET });
  expect(init.code).toBe(0);
  return sandbox;
}

describe('bad input to every command: one clear sentence, non-zero exit, no stack trace', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['unknown command', ['launch'], 2, /unknown command 'launch'/],
    ['unknown option', ['status', '--bogus'], 2, /unknown option '--bogus'/],
    [
      'import: no --since, with an example value (first-run N16)',
      ['import'],
      2,
      /`import` needs --since: .*e\.g\. `--since 7d`/,
    ],
    ['init: capture mode', ['init', '--capture', 'medium'], 2, /Allowed choices are lean, full/],
    ['init: scope', ['init', '--scope', 'galaxy'], 2, /Allowed choices are user, project/],
    [
      'init: content mode',
      ['init', '--content-mode', 'all'],
      2,
      /Allowed choices are full, redacted, metadata/,
    ],
    ['init: no agent id', ['init', '--yes'], 2, /No agent id given; pass --agent-id/],
    ['init: no secret', ['init', '--yes', '--agent-id', 'a1'], 2, /No agent secret given/],
    ['init: agent id with spaces', ['init', '--yes', '--agent-id', 'my agent'], 2, /is not an agent id/],
    [
      'init: the secret on the command line',
      ['init', '--yes', '--agent-id', 'a1', '--agent-secret', 'sk-argv-visible-42'],
      2,
      /^Error: --agent-secret puts the secret on the command line, .* --agent-secret-stdin, or set INFINIUM_AGENT_SECRET\.\n$/,
    ],
    [
      'update-credentials: the secret on the command line',
      ['update-credentials', '--agent-secret=sk-argv-visible-42'],
      2,
      /^Error: --agent-secret puts the secret on the command line/,
    ],
    [
      'init: base URL',
      ['init', '--yes', '--agent-id', 'a1', '--base-url', 'ftp:/x'],
      1,
      /base URL must start with https:\/\//,
    ],
    ['init: missing project', ['init', '--yes', '--project', '/nonexistent/place'], 2, /does not exist/],
    ['init --system: no agent', ['init', '--system'], 2, /needs --agent-id/],
    ['test: nothing configured', ['test'], 1, /No agent is configured for/],
    ['history: limit', ['history', '--limit', 'lots'], 2, /--limit must be a whole number/],
    ['history show: no id', ['history', 'show'], 2, /missing required argument 'key'/],
    ['history show: unknown id', ['history', 'show', 'nope'], 1, /No trace nope in the history/],
    ['pause: extra argument', ['pause', 'now'], 2, /too many arguments/],
    ['update-credentials: nothing to do', ['update-credentials'], 2, /No agent is configured here/],
    [
      'update-credentials: no secret',
      ['update-credentials', '--agent-id', 'a2'],
      2,
      /No secret is stored for agent a2/,
    ],
    ['uninstall: unknown option', ['uninstall', '--everything'], 2, /unknown option/],
  ];
  it.each(cases)('%s', async (_name, args, code, message) => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^Error: /);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout + result.stderr).not.toContain('sk-argv-visible-42');
  });

  it('a user config.json with a wrong value: status and doctor still report everything (first-run m5)', async () => {
    const sandbox = makeSandbox();
    mkdirSync(sandbox.stateDir, { recursive: true });
    writeFileSync(join(sandbox.stateDir, 'config.json'), '{"agentId": 42}');
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/"agentId" must be a non-empty string/);
    expect(doctor.stdout).toMatch(/^✓ codex: /m);
    expect(doctor.stdout).toMatch(/^✓ disk: /m);
    for (const command of [
      ['status', '--json'],
      ['doctor', '--json'],
    ]) {
      const result = await runCli(sandbox, command);
      expect(result.code, command.join(' ')).toBe(1);
      expect(JSON.stringify(JSON.parse(result.stdout))).toContain('must be a non-empty string');
    }
  });

  it('a project config.json that is not JSON', async () => {
    const sandbox = makeSandbox();
    mkdirSync(join(sandbox.project, '.infinium'));
    writeFileSync(join(sandbox.project, '.infinium', 'config.json'), '{ agentId: nope');
    // status and doctor report it among the rest, --json included (first-run m5).
    for (const command of [['status'], ['status', '--json'], ['doctor', '--json']]) {
      const result = await runCli(sandbox, command);
      expect(result.code, command.join(' ')).toBe(1);
      expect(result.stdout).toMatch(/config\.json is not valid JSON/);
      expect(result.stderr).toBe('');
      if (command.includes('--json')) expect(() => JSON.parse(result.stdout)).not.toThrow();
    }
    for (const command of [
      ['test'],
      ['update-credentials', '--agent-id', 'b'],
      ['init', '--yes', '--agent-id', 'a'],
    ]) {
      const result = await runCli(sandbox, command, { env: { INFINIUM_AGENT_SECRET: 'x' } });
      expect(result.code, command.join(' ')).toBe(1);
      expect(result.stderr).toMatch(/config\.json is not valid JSON/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('doctor', () => {
  it('finds nothing wrong right after init', async () => {
    const sandbox = await initialised();
    const result = await runCli(sandbox, ['doctor']);
    expect(result.stdout).toContain('No problems found.');
    expect(result.code).toBe(0);
  });

  it('--fix says "installed" on a first install and reports nothing when nothing was needed (first-run N8)', async () => {
    const sandbox = makeSandbox();
    const first = await runCli(sandbox, ['doctor', '--fix'], { env: { INFINIUM_AGENT_ID: AGENT } });
    expect(first.stdout).toMatch(/^✓ Fixed: installed our lean hooks in .*hooks\.json and trusted them in /m);
    const again = await runCli(sandbox, ['doctor', '--fix'], { env: { INFINIUM_AGENT_ID: AGENT } });
    expect(again.stdout).not.toContain('Fixed:');
  });

  it('counts warnings in its last line: "No problems; 1 warning." (first-run N7)', async () => {
    const sandbox = await initialised();
    // Our block as an earlier version wrote it, closed by an end marker that Codex puts its new tables
    // before: a warning, not a problem.
    const toml = join(sandbox.codexHome, 'config.toml');
    const text = readFileSync(toml, 'utf8').replace(BLOCK_BEGIN, LEGACY_BLOCK_BEGIN);
    writeFileSync(toml, `${text}[projects."/tmp/elsewhere"]\ntrust_level = "trusted"\n${LEGACY_BLOCK_END}\n`);
    const result = await runCli(sandbox, ['doctor']);
    expect(result.stdout).toMatch(/^! config-toml: /m);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('No problems; 1 warning.');
    expect(result.code).toBe(0);
  });

  it("warns where bypass_hook_trust = true turns off Codex's hook review, and never writes it", async () => {
    const sandbox = await initialised();
    const toml = join(sandbox.codexHome, 'config.toml');
    writeFileSync(toml, `bypass_hook_trust = true\n${readFileSync(toml, 'utf8')}`);
    const result = await runCli(sandbox, ['doctor', '--fix']);
    expect(result.stdout).toMatch(
      /^! hook-trust: bypass_hook_trust = true in .*config\.toml: Codex runs every hook without review/m,
    );
    expect(result.code).toBe(0);
    expect(readFileSync(toml, 'utf8').match(/bypass_hook_trust/g)).toHaveLength(1);
    mkdirSync(sandbox.env.INFINIUM_CODEX_SYSTEM_CODEX_DIR as string, { recursive: true });
    writeFileSync(toml, readFileSync(toml, 'utf8').replace('bypass_hook_trust = true\n', ''));
    writeFileSync(
      join(sandbox.env.INFINIUM_CODEX_SYSTEM_CODEX_DIR as string, 'requirements.toml'),
      '[hooks]\nbypass_hook_trust = true\n',
    );
    expect((await runCli(sandbox, ['doctor'])).stdout).toMatch(/^! hook-trust: .*requirements\.toml/m);
  });

  it('notices a group inserted before ours (our trust key moved) and --fix trusts it again', async () => {
    const sandbox = await initialised();
    const file = join(sandbox.codexHome, 'hooks.json');
    const hooks = JSON.parse(readFileSync(file, 'utf8'));
    hooks.hooks.Stop.unshift({ hooks: [{ type: 'command', command: 'echo mine' }] });
    writeFileSync(file, JSON.stringify(hooks, null, 2));
    const found = await runCli(sandbox, ['doctor', '--json']);
    expect(found.code).toBe(1);
    const report = JSON.parse(found.stdout) as {
      findings: { check: string; status: string; summary: string }[];
    };
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        check: 'trust',
        status: 'fail',
        summary: expect.stringContaining('not trusted'),
      }),
    );
    const fixed = await runCli(sandbox, ['doctor', '--fix']);
    // hooks.json was right; only the trust entries were written again, and it says so (first-run N8).
    expect(fixed.stdout).toMatch(/^✓ Fixed: trusted our lean hooks in .*config\.toml$/m);
    expect(fixed.stdout).not.toContain('rewrote');
    expect(fixed.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).hooks.Stop[0]).toEqual({
      hooks: [{ type: 'command', command: 'echo mine' }],
    });
  });

  it('notices a node that moved and --fix points the hooks at this one', async () => {
    const sandbox = await initialised();
    const file = join(sandbox.codexHome, 'hooks.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').split(`'${process.execPath}'`).join("'/opt/old-node/bin/node'"),
    );
    const found = await runCli(sandbox, ['doctor']);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain('✗ hook-paths:');
    expect(found.stdout).toContain('/opt/old-node/bin/node');
    expect((await runCli(sandbox, ['doctor', '--fix'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(process.execPath);
  });

  it('notices a native front-end that is not the program this package carries (never running it) or is gone, and --fix points the hooks at the chosen one', async () => {
    const sandbox = await initialised(['--front-end', 'sh']);
    const file = join(sandbox.codexHome, 'hooks.json');
    const shText = readFileSync(file, 'utf8');
    const binary = join(sandbox.root, 'native', 'infinium-codex-hook');
    mkdirSync(join(sandbox.root, 'native'));
    const ran = join(sandbox.root, 'planted-ran');
    writeFileSync(binary, `#!/bin/sh\ntouch '${ran}'\ncat >/dev/null\nexit 0\n`, { mode: 0o755 });
    const doc = JSON.parse(shText);
    for (const [event, groups] of Object.entries(doc.hooks as Record<string, { hooks: HookHandler[] }[]>)) {
      for (const handler of groups.flatMap((group) => group.hooks)) {
        handler.command = nativeHookCommand(event, binary, { distDir: DIST, nodePath: process.execPath });
      }
    }
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const failing = await runCli(sandbox, ['doctor']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain(
      `✗ hook-paths: our hooks run the native front-end ${binary}, and it is not the program this package carries (${NATIVE_HOOK})\n    fix: Run \`infinium-codex doctor --fix\` (or \`infinium-codex init\` again)`,
    );
    expect(existsSync(ran)).toBe(false);
    rmSync(binary);
    const gone = await runCli(sandbox, ['doctor']);
    expect(gone.stdout).toContain(
      `✗ hook-paths: our hooks run ${binary} with ${process.execPath}, and that program is gone`,
    );
    // --fix rewrites them with the front-end the user chose at init (sh), in place.
    expect((await runCli(sandbox, ['doctor', '--fix'])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(shText));
    expect((await runCli(sandbox, ['status'])).stdout).toMatch(
      /^Hooks: +✓ \d+ installed \(lean, hook\.sh\)/m,
    );
  });

  it('warns about hooks in the older, unguarded form (loud once the package is removed) and --fix rewrites them in place', async () => {
    const sandbox = await initialised(['--front-end', 'sh']);
    const file = join(sandbox.codexHome, 'hooks.json');
    const current = readFileSync(file, 'utf8');
    const doc = JSON.parse(current);
    for (const [event, groups] of Object.entries(doc.hooks as Record<string, { hooks: HookHandler[] }[]>)) {
      for (const handler of groups.flatMap((group) => group.hooks)) {
        handler.command = hookCommand(event, { distDir: DIST, nodePath: process.execPath });
      }
    }
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const found = await runCli(sandbox, ['doctor']);
    expect(found.stdout).toMatch(
      /! hook-paths: \d+ of our hooks run their program unguarded \(an older form\): if the package is removed without `infinium-codex uninstall`, Codex reports a failure on every event/,
    );
    expect((await runCli(sandbox, ['doctor', '--fix'])).code).toBe(0);
    const fixed = JSON.parse(readFileSync(file, 'utf8'));
    expect(fixed).toEqual(JSON.parse(current));
    const stop = fixed.hooks.Stop[0].hooks[0] as HookHandler;
    expect(ourHandlerPaths(stop)?.guarded).toBe(true);
    expect((await runCli(sandbox, ['doctor'])).stdout).not.toContain('hook-paths');
  });

  it('notices hooks turned off by the user, by an admin, and a missing codex', async () => {
    const sandbox = await initialised();
    writeFileSync(
      join(sandbox.codexHome, 'config.toml'),
      `[features]\nhooks = false\n\n${readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8')}`,
    );
    mkdirSync(sandbox.env.INFINIUM_CODEX_SYSTEM_CODEX_DIR as string, { recursive: true });
    writeFileSync(
      join(sandbox.env.INFINIUM_CODEX_SYSTEM_CODEX_DIR as string, 'requirements.toml'),
      '[features]\nhooks = false\n',
    );
    const result = await runCli(sandbox, ['doctor'], { env: { PATH: '/usr/bin:/bin' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ codex: `codex` is not on PATH/);
    expect(result.stdout).toMatch(
      /✗ hooks-enabled: an administrator turned Codex hooks off in .*requirements\.toml/,
    );
    expect(result.stdout).toMatch(/✗ hooks-enabled: hooks are turned off in .*config\.toml/);
  });

  it('notices a project that Codex does not trust (project-scope hooks)', async () => {
    const sandbox = await initialised(['--scope', 'project']);
    const result = await runCli(sandbox, ['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ project-trust:');
  });

  it("status counts ours in every layer; the project's file is read only by status where the user's holds ours", async () => {
    const sandbox = await initialised();
    const projectHooks = join(sandbox.project, '.codex', 'hooks.json');
    mkdirSync(join(sandbox.project, '.codex'));
    writeFileSync(projectHooks, readFileSync(join(sandbox.codexHome, 'hooks.json')));
    const shown = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout);
    expect(shown.hooks.files).toEqual([join(sandbox.codexHome, 'hooks.json'), projectHooks]);
    expect(shown.hooks.installed).toBe(2 * shown.hooks.trusted);
    writeFileSync(projectHooks, '{');
    const status = await runCli(sandbox, ['status']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`${projectHooks} is not valid JSON`);
    // Doctor judges the hooks that run for this user: the user's file.
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.stdout.match(/✓ hooks: \d+ hooks \(lean, [^)]*\) in ([^,\s]+)/)?.[1]).toBe(
      join(sandbox.codexHome, 'hooks.json'),
    );
    expect(doctor.stdout).not.toContain('not valid JSON');
  });

  it('says when nothing is set up', async () => {
    const result = await runCli(makeSandbox(), ['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ hooks: none of our hooks are in');
    expect(result.stdout).toContain('✗ config: no agent is configured');
  });
});

describe('init extras', () => {
  it('adds .infinium/ to the project .gitignore once, with --gitignore', async () => {
    const sandbox = makeSandbox();
    mkdirSync(join(sandbox.project, '.git'));
    writeFileSync(join(sandbox.project, '.gitignore'), 'node_modules/');
    for (let run = 0; run < 2; run += 1) {
      const result = await runCli(sandbox, initArgs(AGENT, standIn.url, '--gitignore'), { input: SECRET });
      expect(result.code).toBe(0);
    }
    expect(readFileSync(join(sandbox.project, '.gitignore'), 'utf8')).toBe('node_modules/\n.infinium/\n');
  });
});

describe('doctor and a keyring that never answers', () => {
  it('warns that the keyring is locked (the secret still comes from the fallback file)', async () => {
    const sandbox = await initialised();
    const socket = join(sandbox.root, 'silent-bus');
    const connections = new Set<Socket>();
    const silent = createServer((connection) => connections.add(connection));
    await new Promise<void>((resolve) => silent.listen(socket, resolve));
    try {
      const result = await runCli(sandbox, ['doctor'], {
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}` },
      });
      expect(result.stdout).toContain('! keyring: the OS keyring did not answer in time (locked?)');
      expect(result.stdout).toContain('✓ secret: in the fallback file');
      expect(result.code).toBe(0);
    } finally {
      for (const connection of connections) connection.destroy();
      silent.close();
    }
  });
});

describe('pause and resume', () => {
  it('pause this project or all, shown by status; resume undoes it', async () => {
    const sandbox = await initialised();
    const paused = async () =>
      JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout).paused as boolean;
    expect(await paused()).toBe(false);
    expect((await runCli(sandbox, ['pause'])).stdout).toContain(`Paused tracing for ${sandbox.project}`);
    expect(await paused()).toBe(true);
    const sub = join(sandbox.project, 'src');
    mkdirSync(sub);
    expect(JSON.parse((await runCli(sandbox, ['status', '--json'], { cwd: sub })).stdout).paused).toBe(true);
    await runCli(sandbox, ['resume']);
    expect(await paused()).toBe(false);
    await runCli(sandbox, ['pause', '--all']);
    expect(await paused()).toBe(true);
    await runCli(sandbox, ['resume', '--all']);
    expect(await paused()).toBe(false);
  });

  it('says so in a folder that is not traced, or not paused (first-run m13)', async () => {
    const sandbox = makeSandbox();
    const pause = await runCli(sandbox, ['pause']);
    expect(pause.code).toBe(1);
    expect(pause.stderr).toContain(`${sandbox.project} is not traced`);
    expect(existsSync(join(sandbox.stateDir, 'paused.json'))).toBe(false);
    const resume = await runCli(sandbox, ['resume']);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain(`Tracing was not paused for ${sandbox.project}; nothing changed.`);
  });
});

describe('test is never green while turns would go untraced (first-run N3)', () => {
  it('fails, naming the fix, when the credentials work but none of our hooks are installed', async () => {
    const sandbox = makeSandbox();
    const env = { INFINIUM_AGENT_ID: AGENT, INFINIUM_AGENT_SECRET: SECRET, INFINIUM_BASE_URL: standIn.url };
    const result = await runCli(sandbox, ['test'], { env });
    expect(result.stdout).toContain('✓ Infinium accepted the agent id and secret');
    expect(result.stdout).toMatch(/^✗ hooks: none of our hooks are in .*hooks\.json$/m);
    expect(result.stdout).toContain('fix: Run `infinium-codex doctor --fix`');
    expect(result.code).toBe(1);
    const json = await runCli(sandbox, ['test', '--json'], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, hookProblems: [{ check: 'hooks' }] });
    // Once the hooks are in, the same machine is green.
    expect((await runCli(sandbox, ['doctor', '--fix'], { env })).code).toBe(0);
    const fixed = await runCli(sandbox, ['test'], { env });
    expect(fixed.stdout).toContain('✓ Hooks: installed and trusted');
    expect(fixed.code).toBe(0);
  });

  it('fails when our hooks are installed but Codex no longer trusts them', async () => {
    const sandbox = await initialised();
    const file = join(sandbox.codexHome, 'hooks.json');
    const hooks = JSON.parse(readFileSync(file, 'utf8'));
    hooks.hooks.Stop.unshift({ hooks: [{ type: 'command', command: 'echo mine' }] });
    writeFileSync(file, JSON.stringify(hooks, null, 2));
    const result = await runCli(sandbox, ['test']);
    expect(result.stdout).toMatch(/^✗ trust: Codex skips 1 of our hooks silently/m);
    expect(result.code).toBe(1);
  });
});

describe('connection checks send no trace unless asked (first-run m3)', () => {
  it('test and update-credentials use the health endpoint; test --send-trace sends one marked trace', async () => {
    const sandbox = await initialised();
    const before = standIn.traces.length;
    expect((await runCli(sandbox, ['test'])).code).toBe(0);
    const update = await runCli(sandbox, ['update-credentials', '--agent-secret-stdin', '--no-keyring'], {
      input: SECRET,
    });
    expect(update.code, update.stderr).toBe(0);
    expect(standIn.traces.length).toBe(before);
    const sent = await runCli(sandbox, ['test', '--send-trace', '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(standIn.traces.length).toBe(before + 1);
    const trace = standIn.traces.at(-1);
    expect(JSON.parse(sent.stdout).traceId).toBe(trace?.traceId);
    expect(trace?.body).toMatchObject({
      name: '[connection test] infinium-codex',
      environment: { purpose: 'connection_test' },
    });
  });

  it('says which value is wrong: a base URL whose path is not the API', async () => {
    const sandbox = makeSandbox();
    const wrongPath = standIn.url.replace('/api/v1', '/api/v2');
    const result = await runCli(sandbox, initArgs(AGENT, wrongPath), { input: SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /answered 404: its path \/api\/v2 is not Infinium's API path \(\/api\/v1\)/,
    );
  });

  it('names the environment variable a value comes from (first-run m6)', async () => {
    const sandbox = await initialised();
    const result = await runCli(sandbox, ['test'], { env: { INFINIUM_BASE_URL: standIn.url } });
    const file = join(sandbox.project, '.infinium', 'config.json');
    expect(result.stdout).toContain(
      `(agent, granularity, content mode from ${file}; base URL from INFINIUM_BASE_URL)`,
    );
  });
});

// misc-low: a relative INFINIUM_CODEX_HOME would put raw payloads inside the user's project; a state folder
// the user made 0755 stayed 0755 although the docs say the credentials sit in a 0700 folder.
describe('the state folder (misc-low)', () => {
  it.each([
    ['status'],
    ['doctor'],
    ['pause'],
    ['resume'],
    ['history'],
    ['retry'],
    ['test'],
    ['uninstall'],
    ['update-credentials', '--agent-id', 'a2'],
    ['init', '--yes', '--agent-id', AGENT, '--offline'],
  ])(
    'misc-low: %s refuses a relative INFINIUM_CODEX_HOME in one sentence and writes nothing',
    async (...args) => {
      const sandbox = makeSandbox();
      const result = await runCli(sandbox, args, { env: { INFINIUM_CODEX_HOME: 'relstate' } });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        'Error: INFINIUM_CODEX_HOME must be an absolute path, not "relstate": set it to a full path, or unset it to use ~/.infinium-codex.\n',
      );
      expect(existsSync(join(sandbox.project, 'relstate'))).toBe(false);
    },
  );

  it('misc-low: a worker started with a relative INFINIUM_CODEX_HOME does nothing', async () => {
    const sandbox = makeSandbox();
    const code = await new Promise((resolve) => {
      const child = spawn(process.execPath, [join(DIST, 'worker.mjs')], {
        cwd: sandbox.project,
        env: { ...sandbox.env, INFINIUM_CODEX_HOME: 'relstate' },
        stdio: 'ignore',
      });
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    expect(readdirSync(sandbox.project)).toEqual([]);
  });

  it('misc-low: a state folder made 0755 before is tightened to 0700, our files in it to 0600', async () => {
    const sandbox = makeSandbox();
    mkdirSync(join(sandbox.stateDir, 'history'), { recursive: true, mode: 0o755 });
    chmodSync(sandbox.stateDir, 0o755);
    chmodSync(join(sandbox.stateDir, 'history'), 0o755);
    writeFileSync(join(sandbox.stateDir, 'paused.json'), '{}', { mode: 0o644 });
    writeFileSync(join(sandbox.stateDir, 'history', 'history.jsonl'), '', { mode: 0o644 });
    expect((await runCli(sandbox, ['status'])).code).toBe(0);
    const mode = (path: string) => statSync(join(sandbox.stateDir, path)).mode & 0o777;
    expect([mode('.'), mode('history'), mode('paused.json'), mode('history/history.jsonl')]).toEqual([
      0o700, 0o700, 0o600, 0o600,
    ]);
  });

  it('misc-low: a state folder that also holds files of others keeps its mode; ours are tightened', async () => {
    const sandbox = makeSandbox();
    mkdirSync(sandbox.stateDir, { recursive: true, mode: 0o755 });
    chmodSync(sandbox.stateDir, 0o755);
    writeFileSync(join(sandbox.stateDir, 'notes.txt'), 'the user keeps this here', { mode: 0o644 });
    writeFileSync(join(sandbox.stateDir, 'paused.json'), '{}', { mode: 0o644 });
    const worker = spawn(process.execPath, [join(DIST, 'worker.mjs')], { env: sandbox.env, stdio: 'ignore' });
    await new Promise((resolve) => worker.on('close', resolve));
    const mode = (path: string) => statSync(join(sandbox.stateDir, path)).mode & 0o777;
    expect([mode('.'), mode('notes.txt'), mode('paused.json')]).toEqual([0o755, 0o644, 0o600]);
  });
});

describe('init --system', () => {
  it('writes the managed hooks (no trust) and machine defaults that every project then uses', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(
      sandbox,
      [
        'init',
        '--system',
        '--agent-id',
        AGENT,
        '--agent-secret-stdin',
        '--base-url',
        standIn.url,
        '--capture',
        'full',
      ],
      { input: SECRET },
    );
    expect(result.code, result.stderr).toBe(0);
    const managed = JSON.parse(
      readFileSync(join(sandbox.env.INFINIUM_CODEX_SYSTEM_CODEX_DIR as string, 'hooks.json'), 'utf8'),
    );
    expect(Object.keys(managed.hooks)).toContain('PreToolUse');
    const status = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout);
    // The machine's capture mode applies where the user chose none.
    expect(status).toMatchObject({
      agentId: AGENT,
      configSource: 'system',
      secretSource: 'system',
      capture: 'full',
    });
    expect((await runCli(sandbox, ['test'])).code).toBe(0);
    // status and doctor find the managed hooks, which need no trust.
    expect(status.hooks).toMatchObject({ trusted: status.hooks.installed });
    expect(status.hooks.installed).toBeGreaterThan(0);
    const doctor = JSON.parse((await runCli(sandbox, ['doctor', '--json'])).stdout);
    expect(doctor.findings).toContainEqual(
      expect.objectContaining({ check: 'hooks', status: 'ok', summary: expect.stringContaining('managed') }),
    );
    // A user install on top of the managed one: Codex would run both.
    expect((await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
    const twice = JSON.parse((await runCli(sandbox, ['doctor', '--json'])).stdout);
    expect(twice.findings).toContainEqual(
      expect.objectContaining({
        check: 'hooks',
        status: 'warn',
        summary: expect.stringContaining('two hook runs'),
      }),
    );
  });
  it('machine files every user may write are ignored, and status and doctor say so (issue 21)', async () => {
    const sandbox = makeSandbox();
    const args = ['init', '--system', '--agent-id', AGENT, '--agent-secret-stdin', '--base-url', standIn.url];
    expect((await runCli(sandbox, args, { input: SECRET })).code).toBe(0);
    const system = sandbox.env.INFINIUM_CODEX_SYSTEM_DIR as string;
    chmodSync(system, 0o777);
    const status = await runCli(sandbox, ['status']);
    expect(status.stdout).toMatch(
      /^Settings: {2}The machine-wide settings in .* are ignored: .* may be changed by other users \(mode 777\), so what they say may not be yours; remove them \(`sudo rm -r .*`\) and write them again with `sudo infinium-codex init --system`\.$/m,
    );
    expect(status.stdout).toMatch(/^Agent: {5}none: sessions here are not traced/m);
    // doctor would flag it, so status points there (its offline checks are doctor's own).
    expect(status.stdout.trimEnd().split('\n').at(-1)).toBe('Run `infinium-codex doctor` for the fix.');
    const json = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout);
    expect(json).toMatchObject({
      agentId: null,
      machineFilesProblem: expect.stringContaining('are ignored'),
    });
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.stdout).toMatch(/^! config: The machine-wide settings in .* are ignored/m);
    expect(doctor.code).toBe(1);
  });
});

describe('init --system --print (a fleet rollout recipe)', () => {
  it('prints the managed hooks and the machine defaults, writes nothing, and never takes a secret', async () => {
    const sandbox = makeSandbox();
    const args = ['init', '--system', '--print', '--agent-id', AGENT, '--base-url', standIn.url];
    const result = await runCli(sandbox, args);
    expect(result.code, result.stderr).toBe(0);
    const [hooksPart, configPart] = result.stdout.split(/^# .*config\.json .*$/m);
    expect(hooksPart).toMatch(/^# .*hooks\.json \(managed hooks/);
    const hooks = JSON.parse((hooksPart as string).replace(/^#.*\n/, ''));
    expect(Object.keys(hooks.hooks)).toEqual(expect.arrayContaining(['UserPromptSubmit', 'Stop']));
    expect(JSON.parse(configPart as string)).toEqual({
      agentId: AGENT,
      baseUrl: standIn.url,
      capture: 'lean',
    });
    expect(existsSync(sandbox.env.INFINIUM_CODEX_SYSTEM_CODEX_DIR as string)).toBe(false);
    expect(existsSync(sandbox.env.INFINIUM_CODEX_SYSTEM_DIR as string)).toBe(false);
    const withSecret = await runCli(sandbox, [...args, '--agent-secret-stdin'], { input: SECRET });
    expect(withSecret.code).toBe(2);
    expect(withSecret.stderr).toMatch(/^Error: `init --system --print` never prints a secret/);
    expect(withSecret.stdout).not.toContain(SECRET);
  });
});

describe('uninstall leaves nothing of ours running and says what it keeps (first-run N5, N15, N21)', () => {
  /** A stand-in worker: a live process named as the holder of our worker lock, as a real worker is. */
  function fakeWorker(sandbox: Sandbox) {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid as number;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(sandbox.stateDir, 'worker.lock'), JSON.stringify({ pid, token: 't', start }));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, exited };
  }

  it('stops the worker, keeps the state and the secret, and names the last step', async () => {
    const sandbox = await initialised();
    const worker = fakeWorker(sandbox);
    const result = await runCli(sandbox, ['uninstall']);
    expect(result.code, result.stderr).toBe(0);
    await worker.exited;
    expect(worker.child.signalCode).toBe('SIGTERM');
    expect(result.stdout).toContain('✓ Stopped our background worker (1 process)');
    expect(result.stdout).toMatch(
      /^ {2}Kept: .*\.infinium-codex \(history, traces still waiting, settings\) and the stored secret$/m,
    );
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'Nothing of ours runs now. Last step: `npm uninstall -g infinium-codex-connector` (or delete the clone you ran it from).',
    );
    expect(existsSync(sandbox.stateDir)).toBe(true);
  });

  it('names the secrets it keeps, then deletes, of sessions run with INFINIUM_AGENT_SECRET only (N17)', async () => {
    const sandbox = await initialised();
    // What the worker keeps for a session whose secret was only in its environment (a CI job).
    const kept = join(sandbox.stateDir, 'session-secrets');
    mkdirSync(kept, { recursive: true, mode: 0o700 });
    for (const session of ['019a0000-0000-7000-8000-000000000001', '019a0000-0000-7000-8000-000000000002'])
      writeFileSync(join(kept, session), 'sk-from-the-environment', { mode: 0o600 });
    const plain = await runCli(sandbox, ['uninstall']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(
      /^ {2}Kept: .* and the stored secret, and those of 2 sessions run with INFINIUM_AGENT_SECRET$/m,
    );
    const purged = await runCli(sandbox, ['uninstall', '--purge']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toMatch(
      /^✓ Deleted everything in .*\.infinium-codex but one record and the stored secrets \(1 agent, and those of 2 sessions run with INFINIUM_AGENT_SECRET\)$/m,
    );
    expect(existsSync(kept)).toBe(false);
  });

  // attack21c R1, R2: in an environment-only home (`doctor --fix`, no stored secret) uninstall backed up the
  // two files it then deleted as ours, listed them as "backups of the files we edited", and named a stored
  // secret there never was ("the stored secrets (0 agents)" with --purge).
  it('backs up no file it deletes as ours, and names only the secrets there are', async () => {
    const sandbox = makeSandbox();
    const env = { INFINIUM_AGENT_ID: AGENT, INFINIUM_AGENT_SECRET: SECRET, INFINIUM_BASE_URL: standIn.url };
    expect((await runCli(sandbox, ['doctor', '--fix'], { env })).stdout).toContain('Fixed: installed');
    const plain = await runCli(sandbox, ['uninstall'], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`✓ ${join(sandbox.codexHome, 'hooks.json')}: deleted (we had created it)`);
    expect(plain.stdout).toContain(
      `\n  Kept: ${sandbox.stateDir} (history, traces still waiting, settings)\n`,
    );
    expect(plain.stdout).not.toContain('secret');
    expect(plain.stdout).not.toContain('backups');
    expect(readdirSync(sandbox.codexHome)).toEqual([]);
    expect((await runCli(sandbox, ['doctor', '--fix'], { env })).code).toBe(0);
    const purged = await runCli(sandbox, ['uninstall', '--purge'], { env });
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toContain(`✓ Deleted everything in ${sandbox.stateDir} but one record\n`);
    expect(purged.stdout).not.toContain('secret');
    expect(purged.stdout).not.toContain('backups');
    expect(readdirSync(sandbox.codexHome)).toEqual([]);
    // Then there is nothing left to keep or delete but the record, and nothing else is claimed.
    const again = await runCli(sandbox, ['uninstall'], { env });
    expect(again.stdout).toBe(
      'No hooks or trust entries of ours were installed.\nNothing of ours runs now. Last step: `npm uninstall -g infinium-codex-connector` (or delete the clone you ran it from).\n',
    );
    const purgedAgain = await runCli(sandbox, ['uninstall', '--purge'], { env });
    expect(purgedAgain.stdout).not.toContain('Deleted');
    expect(purgedAgain.stdout).toContain(
      `  Kept: ${join(sandbox.stateDir, 'hooks-live.json')} (when our hooks`,
    );
  });

  it('--purge deletes our backups too, and says so', async () => {
    const sandbox = makeSandbox();
    mkdirSync(sandbox.codexHome, { recursive: true });
    writeFileSync(join(sandbox.codexHome, 'config.toml'), 'model = "gpt-5.5"\n');
    expect((await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
    const backup = join(sandbox.codexHome, 'config.toml.infinium-codex.bak');
    expect(existsSync(backup)).toBe(true);
    const result = await runCli(sandbox, ['uninstall', '--purge']);
    expect(result.code, result.stderr).toBe(0);
    // The backup of config.toml, which we edited; none of hooks.json, which we created and deleted (R1).
    expect(result.stdout).toMatch(/^✓ Deleted our backups: [^,]*config\.toml\.infinium-codex\.bak$/m);
    expect(existsSync(backup)).toBe(false);
    // All but the record of when our hooks were installed (attack21c C8).
    expect(readdirSync(sandbox.stateDir)).toEqual(['hooks-live.json']);
    expect(readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8')).toBe('model = "gpt-5.5"\n');
    expect(readdirSync(sandbox.codexHome).filter((f) => f.includes('infinium'))).toEqual([]);
  });
});
