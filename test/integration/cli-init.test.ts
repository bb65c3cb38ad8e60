// `init`, re-init, capture mode switches and `uninstall`, driven as a user would: the built CLI in a
// child process, temp HOME/CODEX_HOME/state, the Infinium stand-in.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BLOCK_BEGIN, LEGACY_BLOCK_BEGIN, LEGACY_BLOCK_END } from '../../src/codex/config-toml';
import { FULL_EVENTS, LEAN_EVENTS } from '../../src/codex/hook-payload';
import {
  guardedCommand,
  hookCommand,
  isOurHandler,
  nativeHookCommand,
  ourHandlerPaths,
} from '../../src/codex/hooks-file';
import { hookTrustHash } from '../../src/codex/trust';
import { spooledBytes } from '../../src/spool/events';
import {
  initArgs,
  makeSandbox,
  NATIVE_HOOK,
  NATIVE_HOOK_BUILT,
  REPO_ROOT,
  runCli,
  type Sandbox,
  snapshot,
} from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-123';
const SECRET = 'sk-agent-secret-value-9f8e7d';
let standIn: StandIn;
// Each test runs the CLI several times as a child process: on a machine shared with other test runs that
// can take a while (nothing here measures time).
vi.setConfig({ testTimeout: 120_000 });
const args = (...extra: string[]) => initArgs(AGENT, standIn.url, ...extra);

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

function hooksOf(sandbox: Sandbox): {
  hooks: Record<string, { matcher?: string; hooks: Record<string, unknown>[] }[]>;
} {
  return JSON.parse(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8'));
}

function trustOf(sandbox: Sandbox): Record<string, { trusted_hash?: string }> {
  const toml = parse(readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8')) as {
    hooks?: { state?: Record<string, { trusted_hash?: string }> };
  };
  return toml.hooks?.state ?? {};
}

function ourEvents(sandbox: Sandbox): string[] {
  return Object.entries(hooksOf(sandbox).hooks)
    .filter(([, groups]) => groups.some((g) => g.hooks.some((h) => isOurHandler(h))))
    .map(([event]) => event)
    .sort();
}

const target = { distDir: join(REPO_ROOT, 'dist'), nodePath: process.execPath };

function expectNoSecretOrStack(result: { stdout: string; stderr: string }): void {
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('init', () => {
  it('sets up a fresh machine: checks the credentials, writes config, secret, hooks and trust', async () => {
    const sandbox = makeSandbox();
    const before = standIn.traces.length;
    const healthChecks = standIn.requests.filter((r) => r.path.endsWith('/health')).length;
    const result = await runCli(sandbox, args(), { input: `${SECRET}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expectNoSecretOrStack(result);
    // Checked with the health endpoint; no trace lands in the agent's evaluations (first-run m3).
    expect(standIn.traces.length).toBe(before);
    expect(standIn.requests.filter((r) => r.path.endsWith('/health')).length).toBe(healthChecks + 1);
    expect(result.stdout).toContain(`Infinium accepted agent ${AGENT}`);

    const config = JSON.parse(readFileSync(join(sandbox.project, '.infinium', 'config.json'), 'utf8'));
    expect(config).toEqual({
      agentId: AGENT,
      baseUrl: standIn.url,
      granularity: 'turn',
      contentMode: 'redacted',
    });
    const credentials = join(sandbox.stateDir, 'credentials.json');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    // Bound to the agent id and the origin it was entered for.
    expect(JSON.parse(readFileSync(credentials, 'utf8'))).toEqual({
      [`${AGENT}@${new URL(standIn.url).origin}`]: SECRET,
    });
    expect(result.stdout).toMatch(/Stored the secret in .*credentials\.json/);

    expect(ourEvents(sandbox)).toEqual([...LEAN_EVENTS].sort());
    const stop = hooksOf(sandbox).hooks.Stop?.[0]?.hooks[0] ?? {};
    // The native front-end by default where the build made one (CI does), else hook.sh, said so.
    if (NATIVE_HOOK_BUILT) {
      expect(stop.command).toBe(guardedCommand(nativeHookCommand('Stop', NATIVE_HOOK, target)));
      expect(result.stdout).toContain('Front-end: native\n');
    } else {
      expect(stop.command).toBe(guardedCommand(hookCommand('Stop', target)));
      expect(result.stdout).toContain('Front-end: hook.sh (no native front-end');
    }
    expect(stop.commandWindows).toBe(
      `"${process.execPath}" "${join(REPO_ROOT, 'dist', 'bin.cjs')}" hook Stop`,
    );
    const trust = trustOf(sandbox);
    for (const event of LEAN_EVENTS) {
      const key = `${sandbox.codexHome}/hooks.json:${event.replace(/[A-Z]/g, (c, i) => `${i ? '_' : ''}${c.toLowerCase()}`)}:0:0`;
      const group = hooksOf(sandbox).hooks[event]?.[0] ?? { hooks: [] };
      expect(trust[key]?.trusted_hash, key).toBe(hookTrustHash(event, group, group.hooks[0] ?? {}));
    }
    expect(JSON.parse(readFileSync(join(sandbox.stateDir, 'config.json'), 'utf8'))).toEqual({
      capture: 'lean',
    });
  });

  it('changes nothing when run a second time (every file byte-identical)', async () => {
    const sandbox = makeSandbox();
    expect((await runCli(sandbox, args(), { input: SECRET })).code).toBe(0);
    const first = {
      codex: snapshot(sandbox.codexHome),
      state: snapshot(sandbox.stateDir),
      project: snapshot(sandbox.project),
    };
    const again = await runCli(sandbox, args(), { input: SECRET });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Kept .*config\.json/);
    expect(again.stdout).toContain('Already trusted');
    expect({
      codex: snapshot(sandbox.codexHome),
      state: snapshot(sandbox.stateDir),
      project: snapshot(sandbox.project),
    }).toEqual(first);
  });

  it('merges with the user’s own hooks (kept, in order) and uninstall gives back their exact files', async () => {
    const sandbox = makeSandbox();
    const userHooks = `{
    "hooks": {
        "Stop": [ { "hooks": [ { "type": "command", "command": "notify-send 'done'" } ] } ],
        "PreToolUse": [
            { "matcher": "^Bash$", "hooks": [ { "type": "command", "command": "./guard.sh", "timeout": 5 } ] },
            { "matcher": "apply_patch", "hooks": [ { "type": "command", "command": "./lint.sh" } ] }
        ]
    }
}
`;
    const userToml =
      '# my settings\nmodel = "gpt-5.5"  # keep\n\n[projects."/home/dev/x"]\ntrust_level = "trusted"\n';
    writeFileSync(join(sandbox.codexHome, 'hooks.json'), userHooks);
    writeFileSync(join(sandbox.codexHome, 'config.toml'), userToml);
    const result = await runCli(sandbox, args('--capture', 'full'), { input: SECRET });
    expect(result.code).toBe(0);
    const hooks = hooksOf(sandbox).hooks;
    const original = JSON.parse(userHooks).hooks;
    expect(hooks.Stop?.[0]).toEqual(original.Stop[0]);
    expect(hooks.PreToolUse?.slice(0, 2)).toEqual(original.PreToolUse);
    expect(isOurHandler(hooks.PreToolUse?.[2]?.hooks[0])).toBe(true);
    expect(ourEvents(sandbox)).toEqual([...FULL_EVENTS].sort());
    // Our block goes above the user's first table (where Codex's own new tables never land in it).
    const [head, tables] = userToml.split('[projects.');
    const toml = readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8');
    expect(toml.startsWith(`${head}# infinium-codex: trust for its Codex hooks`)).toBe(true);
    expect(toml.endsWith(`"\n\n[projects.${tables}`)).toBe(true);
    expect(Object.keys(trustOf(sandbox))).toContain(`${sandbox.codexHome}/hooks.json:pre_tool_use:2:0`);
    expect(existsSync(join(sandbox.codexHome, 'hooks.json.infinium-codex.bak'))).toBe(true);

    const removed = await runCli(sandbox, ['uninstall']);
    expect(removed.code).toBe(0);
    expect(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')).toBe(userHooks);
    expect(readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8')).toBe(userToml);
  });

  it('moves a block an earlier build wrote at the end of config.toml above the user’s tables, and says so', async () => {
    const sandbox = makeSandbox();
    const toml = join(sandbox.codexHome, 'config.toml');
    writeFileSync(toml, 'model = "x"\n\n[projects."/w"]\ntrust_level = "trusted"\n');
    expect((await runCli(sandbox, args(), { input: SECRET })).code).toBe(0);
    const current = readFileSync(toml, 'utf8');
    // The same entries as earlier builds wrote them: after the user's text, up to an end marker.
    const start = current.indexOf(BLOCK_BEGIN);
    const end = current.indexOf('[projects.');
    const block = current.slice(start, end).trimEnd().replace(BLOCK_BEGIN, LEGACY_BLOCK_BEGIN);
    writeFileSync(toml, `${current.slice(0, start)}${current.slice(end)}\n${block}\n${LEGACY_BLOCK_END}\n`);
    const again = await runCli(sandbox, args(), { input: SECRET });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Moved our entries in .*config\.toml above your tables/);
    expect(readFileSync(toml, 'utf8')).toBe(current);
  });

  it('uninstall deletes the files it created and leaves no trace of ours', async () => {
    const sandbox = makeSandbox();
    expect((await runCli(sandbox, args(), { input: SECRET })).code).toBe(0);
    const result = await runCli(sandbox, ['uninstall', '--purge']);
    expect(result.code).toBe(0);
    expect(existsSync(join(sandbox.codexHome, 'hooks.json'))).toBe(false);
    expect(existsSync(join(sandbox.codexHome, 'config.toml'))).toBe(false);
    expect(readdirSync(sandbox.codexHome)).toEqual([]);
    // All but the record of when our hooks were installed, which keeps `import` from sending what they
    // skipped (attack21c C8).
    expect(readdirSync(sandbox.stateDir)).toEqual(['hooks-live.json']);
    expect((await runCli(sandbox, ['uninstall'])).stdout).toContain('No hooks or trust entries of ours');
  });

  it('switches lean -> full -> lean, swapping hooks and trust cleanly', async () => {
    const sandbox = makeSandbox();
    writeFileSync(join(sandbox.codexHome, 'config.toml'), 'model = "gpt-5.5"\n');
    expect((await runCli(sandbox, args('--capture', 'lean'), { input: SECRET })).code).toBe(0);
    const lean = snapshot(sandbox.codexHome);
    expect((await runCli(sandbox, args('--capture', 'full'), { input: SECRET })).code).toBe(0);
    expect(ourEvents(sandbox)).toEqual([...FULL_EVENTS].sort());
    expect(Object.keys(trustOf(sandbox)).length).toBe(FULL_EVENTS.length);
    expect(JSON.parse(readFileSync(join(sandbox.stateDir, 'config.json'), 'utf8')).capture).toBe('full');
    expect((await runCli(sandbox, args('--capture', 'lean'), { input: SECRET })).code).toBe(0);
    expect(ourEvents(sandbox)).toEqual([...LEAN_EVENTS].sort());
    const {
      'hooks.json.infinium-codex.bak': _a,
      'config.toml.infinium-codex.bak': _b,
      ...now
    } = snapshot(sandbox.codexHome);
    const { 'config.toml.infinium-codex.bak': _c, ...then } = lean;
    expect(now).toEqual(then);
  });

  it('does not trust the hooks with --no-trust, and says how to approve them', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, args('--no-trust'), { input: SECRET });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('/hooks');
    expect(existsSync(join(sandbox.codexHome, 'config.toml'))).toBe(false);
  });

  it('installs into the project with --scope project', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, args('--scope', 'project'), { input: SECRET });
    expect(result.code).toBe(0);
    const file = join(sandbox.project, '.codex', 'hooks.json');
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).hooks).sort()).toEqual([...LEAN_EVENTS].sort());
    expect(Object.keys(trustOf(sandbox)).every((key) => key.startsWith(`${file}:`))).toBe(true);
    expect(result.stdout).toContain('trust');
  });

  it('writes only the old feature flag for Codex 0.120 (no trust entries, which it does not check)', async () => {
    const sandbox = makeSandbox('0.120.0');
    expect((await runCli(sandbox, args(), { input: SECRET })).code).toBe(0);
    const toml = parse(readFileSync(join(sandbox.codexHome, 'config.toml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(toml).toEqual({ features: { codex_hooks: true } });
    expect(ourEvents(sandbox)).toEqual([...LEAN_EVENTS].filter((e) => e !== 'SessionEnd').sort());
  });
});

describe('init --front-end', () => {
  const commands = (sandbox: Sandbox) =>
    Object.entries(hooksOf(sandbox).hooks).flatMap(([event, groups]) =>
      groups.flatMap((g, gi) => g.hooks.map((h, hi) => [event, gi, hi, h.command] as const)),
    );

  it('sh writes hook.sh commands and is remembered, so doctor --fix keeps it', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, args('--front-end', 'sh'), { input: SECRET });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Front-end: hook.sh\n');
    expect(hooksOf(sandbox).hooks.Stop?.[0]?.hooks[0]?.command).toBe(
      guardedCommand(hookCommand('Stop', target)),
    );
    expect(JSON.parse(readFileSync(join(sandbox.stateDir, 'config.json'), 'utf8')).frontEnd).toBe('sh');
    const before = readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8');
    // Re-running init without the flag keeps the choice.
    expect((await runCli(sandbox, args(), { input: SECRET })).code).toBe(0);
    expect(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')).toBe(before);
  });

  it('init --local remembers it as init does: native, the default, as no setting', async () => {
    const sandbox = makeSandbox();
    const settings = () => JSON.parse(readFileSync(join(sandbox.stateDir, 'config.json'), 'utf8'));
    expect((await runCli(sandbox, ['init', '--local', '--front-end', 'sh'])).code).toBe(0);
    expect(settings()).toMatchObject({ localOnly: true, frontEnd: 'sh' });
    expect((await runCli(sandbox, ['init', '--local', '--front-end', 'native'])).code).toBe(0);
    expect(settings().localOnly).toBe(true);
    // Local only needs no secret: status does not call one missing.
    const status = await runCli(sandbox, ['status']);
    expect(status.stdout).toContain('Agent:     none yet: local only');
    expect(status.stdout).not.toMatch(/^Secret:/m);
    expect(settings().frontEnd).toBeUndefined();
  });

  it.runIf(NATIVE_HOOK_BUILT)(
    'switches sh -> native -> sh in place: the user’s hooks, every position and the trust entries follow',
    async () => {
      const sandbox = makeSandbox();
      const userHooks = {
        hooks: {
          Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
          PreToolUse: [{ matcher: '^Bash$', hooks: [{ type: 'command', command: './guard.sh' }] }],
        },
      };
      writeFileSync(join(sandbox.codexHome, 'hooks.json'), JSON.stringify(userHooks));
      expect(
        (await runCli(sandbox, args('--capture', 'full', '--front-end', 'sh'), { input: SECRET })).code,
      ).toBe(0);
      // The user adds a hook after ours: switching must not move it (its trust key holds its position).
      const withTheirs = hooksOf(sandbox);
      withTheirs.hooks.Stop?.push({ hooks: [{ type: 'command', command: 'added later' }] });
      writeFileSync(join(sandbox.codexHome, 'hooks.json'), JSON.stringify(withTheirs, null, 2));
      const sh = commands(sandbox);
      const native = await runCli(sandbox, args('--front-end', 'native'), { input: SECRET });
      expect(native.code).toBe(0);
      expect(native.stdout).toContain('Front-end: native\n');
      const switched = commands(sandbox);
      expect(switched.map(([e, g, h]) => [e, g, h])).toEqual(sh.map(([e, g, h]) => [e, g, h]));
      for (const [event, g, h, command] of switched) {
        const theirs = !isOurHandler(hooksOf(sandbox).hooks[event]?.[g]?.hooks[h]);
        expect(command, `${event} ${g}`).toBe(
          theirs
            ? sh.find(([e, gi, hi]) => e === event && gi === g && hi === h)?.[3]
            : guardedCommand(nativeHookCommand(event, NATIVE_HOOK, target)),
        );
      }
      const trust = trustOf(sandbox);
      for (const [event, groups] of Object.entries(hooksOf(sandbox).hooks)) {
        groups.forEach((group, g) => {
          group.hooks.forEach((handler, h) => {
            if (!isOurHandler(handler)) return;
            const key = `${sandbox.codexHome}/hooks.json:${event.replace(/[A-Z]/g, (c, i) => `${i ? '_' : ''}${c.toLowerCase()}`)}:${g}:${h}`;
            expect(trust[key]?.trusted_hash, key).toBe(hookTrustHash(event, group, handler));
          });
        });
      }
      expect(
        JSON.parse(readFileSync(join(sandbox.stateDir, 'config.json'), 'utf8')).frontEnd,
      ).toBeUndefined();
      expect((await runCli(sandbox, args('--front-end', 'sh'), { input: SECRET })).code).toBe(0);
      expect(commands(sandbox)).toEqual(sh);
    },
  );

  // What Codex does with the command init wrote: `$SHELL -c '<command>'`, the payload on stdin.
  const throughTheShell = async (frontEnd: 'sh' | 'native') => {
    const sandbox = makeSandbox();
    expect((await runCli(sandbox, args('--front-end', frontEnd), { input: SECRET })).code).toBe(0);
    const command = String(hooksOf(sandbox).hooks.UserPromptSubmit?.[0]?.hooks[0]?.command);
    expect(ourHandlerPaths({ command })?.frontEnd).toBe(frontEnd);
    const payload = JSON.stringify({
      session_id: `shell-${frontEnd}`,
      transcript_path: null,
      cwd: sandbox.project,
      hook_event_name: 'UserPromptSubmit',
      model: 'gpt-5.5',
      turn_id: 'turn-1',
      prompt: 'hello through the shell',
    });
    for (const shell of ['/bin/sh', '/bin/bash'].filter((file) => existsSync(file))) {
      const run = spawnSync(shell, ['-c', command], {
        input: payload,
        env: { ...sandbox.env, SHELL: shell },
        encoding: 'utf8',
      });
      expect([run.status, run.stdout, run.stderr], shell).toEqual([0, '', '']);
    }
    const spool = join(sandbox.stateDir, 'spool');
    const entries = readdirSync(spool).filter((name) => name.endsWith('.UserPromptSubmit.json'));
    expect(entries.length).toBeGreaterThanOrEqual(1);
    for (const name of entries) expect(spooledBytes(join(spool, name)).toString()).toBe(payload);
  };
  it('sh: an event run as Codex runs it exits 0 silently and reaches the spool', () => throughTheShell('sh'));
  it.runIf(NATIVE_HOOK_BUILT)(
    'native: an event run as Codex runs it exits 0 silently and reaches the spool',
    () => throughTheShell('native'),
  );

  it('native where the package has none (a copy of dist/ alone) is refused in one sentence, writing nothing; the default falls back to hook.sh', async () => {
    const sandbox = makeSandbox();
    const copy = join(sandbox.root, 'lib', 'infinium-codex-connector');
    cpSync(join(REPO_ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    rmSync(join(copy, 'dist', 'native'), { recursive: true, force: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bin = join(copy, 'dist', 'bin.cjs');
    const before = snapshot(sandbox.home);
    const refused = await runCli(sandbox, args('--front-end', 'native'), { input: SECRET, bin });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: This machine cannot use the native hook front-end \(no native front-end for [a-z0-9]+-[a-z0-9]+\); leave out --front-end native to use hook\.sh\.\n$/,
    );
    expect(snapshot(sandbox.home)).toEqual(before);
    const fallback = await runCli(sandbox, args(), { input: SECRET, bin });
    expect(fallback.code).toBe(0);
    expect(fallback.stdout).toContain(
      `Front-end: hook.sh (no native front-end for ${process.platform}-${process.arch})`,
    );
    expect(hooksOf(sandbox).hooks.Stop?.[0]?.hooks[0]?.command).toBe(
      guardedCommand(hookCommand('Stop', { distDir: join(copy, 'dist'), nodePath: process.execPath })),
    );
  });
});

describe('init refuses, leaving every file untouched', () => {
  // base-url-checks
  it.each([
    [
      'a user and password in the base URL',
      (url: string) => url.replace('http://', 'http://user:pa55word@'),
      'must not hold a user name or password',
    ],
    ['a query and fragment', (url: string) => `${url}?x=1#frag`, 'must not have a query'],
    ['plain http to another machine', () => 'http://example.com/api/v1', 'unencrypted to example.com'],
  ])('%s, in one sentence, never echoing a password', async (_label, url, message) => {
    const sandbox = makeSandbox();
    const before = snapshot(sandbox.home);
    const result = await runCli(sandbox, initArgs(AGENT, url(standIn.url)), { input: SECRET });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('pa55word');
    expectNoSecretOrStack(result);
    expect(snapshot(sandbox.home)).toEqual(before);
  });

  // redirect-silent-loss: the health check needs Infinium's JSON, so a redirector or a web page fails init.
  it('a base URL that redirects or serves a web page', async () => {
    const page = createHttpServer((req, res) => {
      req.resume();
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(301, { location: `http://localhost:1${req.url}` });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><div id="root"></div>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const { port } = page.address() as AddressInfo;
    try {
      for (const [path, message] of [
        ['/redirect', 'answered with a redirect (HTTP 301) to http://localhost:1/redirect'],
        ['/spa', 'did not answer like Infinium'],
      ] as const) {
        const sandbox = makeSandbox();
        const before = snapshot(sandbox.home);
        const result = await runCli(sandbox, initArgs(AGENT, `http://127.0.0.1:${port}${path}`), {
          input: SECRET,
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(message);
        expectNoSecretOrStack(result);
        expect(snapshot(sandbox.home)).toEqual(before);
      }
    } finally {
      page.closeAllConnections();
      await new Promise((resolve) => page.close(resolve));
    }
  });

  // attack21c R3: a failing health check spoke the worker's words ("The trace stays in the outbox ..."),
  // though init has no trace.
  it.each([
    [
      'a server error',
      { kind: 'status', status: 500 },
      'Infinium answered with a server error (HTTP 500): injected 500.',
      'Nothing was changed: try again in a moment, or add --offline to go on without the check.',
    ],
    [
      'rate limiting',
      { kind: 'rate_limit', retryAfter: '0' },
      `Infinium is rate limiting agent ${AGENT} (HTTP 429); retry after 0 s.`,
      'Nothing was changed: try again in a moment, or add --offline to go on without the check.',
    ],
    [
      'a 200 that is not JSON',
      { kind: 'status', status: 200, body: '<html>portal</html>', contentType: 'text/html' },
      'did not answer like Infinium (HTTP 200, the health check: not JSON (text/html)): is',
      "Nothing was changed: check the base URL (Infinium's is https://platform.i42m.ai/api/v1) and run this again.",
    ],
  ] as const)(
    'Infinium failing the check with %s: init says it in its own words',
    async (_label, failure, message, hint) => {
      const sandbox = makeSandbox();
      const before = snapshot(sandbox.home);
      standIn.goDown(failure);
      try {
        const result = await runCli(sandbox, args(), { input: SECRET });
        expect(result.code).toBe(1);
        const [error, advice, ...rest] = result.stderr.trimEnd().split('\n');
        expect(error).toContain(message);
        expect(advice).toBe(hint);
        expect(rest).toEqual([]);
        expect(result.stderr).not.toMatch(/trace|outbox|dead folder/);
        expectNoSecretOrStack(result);
        expect(snapshot(sandbox.home)).toEqual(before);
      } finally {
        standIn.recover();
      }
    },
  );

  it('a hooks.json that is not valid JSON', async () => {
    const sandbox = makeSandbox();
    writeFileSync(join(sandbox.codexHome, 'hooks.json'), '{"hooks": {"Stop": [ }');
    const before = snapshot(sandbox.home);
    const result = await runCli(sandbox, args(), { input: SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('hooks.json is not valid JSON');
    expectNoSecretOrStack(result);
    expect(snapshot(sandbox.home)).toEqual(before);
  });

  it('a config.toml that is not valid TOML', async () => {
    const sandbox = makeSandbox();
    writeFileSync(join(sandbox.codexHome, 'config.toml'), 'model = "gpt\n[broken\n');
    const before = snapshot(sandbox.home);
    const result = await runCli(sandbox, args(), { input: SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('config.toml is not valid TOML');
    expectNoSecretOrStack(result);
    expect(snapshot(sandbox.home)).toEqual(before);
  });

  it('a wrong secret: one clear error, exit code 1, nothing written', async () => {
    const sandbox = makeSandbox();
    const before = snapshot(sandbox.home);
    const result = await runCli(sandbox, args(), { input: 'sk-wrong-secret' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Infinium refused the secret for agent ${AGENT} (HTTP 401)`);
    expect(result.stderr).toContain('update-credentials');
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toContain('sk-wrong-secret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(sandbox.home)).toEqual(before);
  });

  it('an unknown agent id', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, initArgs('nobody', standIn.url), { input: SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no agent nobody (HTTP 404)');
    expectNoSecretOrStack(result);
  });

  it('an unreachable API, with a network hint', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, initArgs(AGENT, 'http://127.0.0.1:9/api/v1'), { input: SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Nothing answers at 127.0.0.1:9 (connection refused)');
    expect(result.stderr).toContain('HTTPS_PROXY');
    expectNoSecretOrStack(result);
  }, 60_000);
});

describe('init knows which project it sets up (first-run M2, m10)', () => {
  it('from a subfolder of a git repository, sets up the repository root', async () => {
    const sandbox = makeSandbox();
    mkdirSync(join(sandbox.project, '.git'));
    const sub = join(sandbox.project, 'src', 'lib');
    mkdirSync(sub, { recursive: true });
    const result = await runCli(sandbox, args(), { input: SECRET, cwd: sub });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(sandbox.project, '.infinium', 'config.json'))).toBe(true);
    expect(existsSync(join(sub, '.infinium'))).toBe(false);
    const status = JSON.parse((await runCli(sandbox, ['status', '--json'], { cwd: sub })).stdout);
    expect(status.project).toBe(sandbox.project);
  });

  it("refuses the connector's own clone and writes nothing there", async () => {
    const sandbox = makeSandbox();
    writeFileSync(
      join(sandbox.project, 'package.json'),
      JSON.stringify({ name: 'infinium-codex-connector' }),
    );
    const before = snapshot(sandbox.root);
    const result = await runCli(sandbox, args(), { input: SECRET });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/infinium-codex's own folder, not a project to trace/);
    expect(result.stderr).toMatch(/cd into the project you want traced/);
    expect(snapshot(sandbox.root)).toEqual(before);
  });

  it('--all-projects makes the agent the user default: another project is traced without init', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(sandbox, args('--all-projects'), { input: SECRET });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`as your default for every project`);
    expect(result.stdout).toContain('Every Codex turn in every project without an agent of its own');
    expect(existsSync(join(sandbox.project, '.infinium'))).toBe(false);
    const other = join(sandbox.home, 'work', 'other');
    mkdirSync(other, { recursive: true });
    const status = JSON.parse((await runCli(sandbox, ['status', '--json'], { cwd: other })).stdout);
    expect(status).toMatchObject({ agentId: AGENT, configSource: 'user', secretSource: 'file' });
  });

  it('--no-interactive is --yes; session granularity says "session" (first-run m14)', async () => {
    const sandbox = makeSandbox();
    const result = await runCli(
      sandbox,
      [...args('--granularity', 'session')].map((a) => (a === '--yes' ? '--no-interactive' : a)),
      { input: SECRET },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Every Codex session in demo now becomes a trace');
  });
});

// attack21c R4: in a teammate's clone, init rewrote the committed `.infinium/config.json` (keys added,
// reformatted) though the answers were what it says.
describe("init in a teammate's clone leaves the tracked project file as it is", () => {
  const git = (cwd: string, ...gitArgs: string[]) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...gitArgs], {
      cwd,
      encoding: 'utf8',
    });
  const clone = (baseUrl = standIn.url) => {
    const sandbox = makeSandbox();
    const file = join(sandbox.project, '.infinium', 'config.json');
    mkdirSync(join(sandbox.project, '.infinium'));
    // The team's formatting, and no granularity or content mode: the defaults.
    writeFileSync(file, `{ "agentId": "${AGENT}", "baseUrl": "${baseUrl}" }\n`);
    git(sandbox.project, 'init', '-q');
    git(sandbox.project, 'add', '.infinium');
    git(sandbox.project, 'commit', '-qm', 'share the agent');
    return { sandbox, file, bytes: readFileSync(file, 'utf8') };
  };

  it.each([
    ['the same base URL', ''],
    ['a base URL that differs by a trailing slash', '/'],
  ])('byte for byte when the answers match what it says (%s)', async (_what, slash) => {
    const { sandbox, file, bytes } = clone(`${standIn.url}${slash}`);
    const result = await runCli(sandbox, args(), { input: SECRET });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`✓ Kept ${file}\n`);
    expect(result.stdout).not.toContain('git tracks');
    expect(readFileSync(file, 'utf8')).toBe(bytes);
    expect(git(sandbox.project, 'status', '--porcelain').stdout).toBe('');
    // And the file init kept is the one this user allowed: its agent is used.
    const status = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout);
    expect(status).toMatchObject({ agentId: AGENT, consentNeeded: null, configSource: 'project' });
  });

  it('and says that it changed a tracked file when an answer differs', async () => {
    const { sandbox, file } = clone();
    const result = await runCli(sandbox, args('--content-mode', 'metadata'), { input: SECRET });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`✓ Wrote ${file}\n`);
    expect(result.stdout).toContain(
      `! git tracks ${file}: the change is your team's too once you commit it (\`git diff .infinium\` shows it).\n`,
    );
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      agentId: AGENT,
      baseUrl: standIn.url,
      contentMode: 'metadata',
    });
  });
});
