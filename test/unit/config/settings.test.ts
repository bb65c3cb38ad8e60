import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decisionFor, recordDecision } from '../../../src/config/consent';
import { deleteSecret, loadSecret, secretAccount, storeSecret } from '../../../src/config/credentials';
import { systemFilesProblem } from '../../../src/config/paths';
import { isPaused, writePauseState } from '../../../src/config/pause';
import {
  ConfigError,
  ConsentNeededError,
  configuredCapture,
  findProjectConfig,
  readProjectFile,
  resolveConfig,
} from '../../../src/config/settings';

const URL_A = 'https://infinium.example/api/v1';

let root: string;
let env: Record<string, string>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'infinium-config-'));
  env = { HOME: join(root, 'home'), INFINIUM_CODEX_HOME: join(root, 'state') };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes a config file; a project file as the user's own (allowed, as `init` allows what it writes). */
function write(file: string, json: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  if (file.includes('.infinium/')) recordDecision(file, 'allow', env);
}

/** A project file as a clone brings it: never allowed on this machine. */
function plant(file: string, json: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(json));
}

describe('resolveConfig', () => {
  it('is null when nothing names an agent', () => {
    expect(resolveConfig(root, env)).toBeNull();
  });

  it('finds the project config by walking up from the cwd', () => {
    write(join(root, 'proj', '.infinium', 'config.json'), { agentId: 'agent-p', contentMode: 'full' });
    const deep = join(root, 'proj', 'src', 'lib');
    mkdirSync(deep, { recursive: true });
    expect(findProjectConfig(deep)).toBe(join(root, 'proj', '.infinium', 'config.json'));
    expect(resolveConfig(deep, env)).toEqual({
      agentId: 'agent-p',
      baseUrl: 'https://platform.i42m.ai/api/v1',
      granularity: 'turn',
      contentMode: 'full',
      redactPatterns: [],
      projectRoot: join(root, 'proj'),
      projectName: 'proj',
      source: 'project',
      sources: {
        agentId: join(root, 'proj', '.infinium', 'config.json'),
        baseUrl: 'default',
        granularity: 'default',
        contentMode: join(root, 'proj', '.infinium', 'config.json'),
      },
      projectNotes: null,
    });
  });

  it('applies env > project > user', () => {
    write(join(root, 'state', 'config.json'), {
      agentId: 'agent-u',
      granularity: 'session',
      baseUrl: 'https://u/',
    });
    expect(resolveConfig(root, env)).toMatchObject({
      agentId: 'agent-u',
      source: 'user',
      baseUrl: 'https://u',
    });
    write(join(root, 'p', '.infinium', 'config.json'), { agentId: 'agent-p' });
    expect(resolveConfig(join(root, 'p'), env)).toMatchObject({
      agentId: 'agent-p',
      granularity: 'session',
      source: 'project',
    });
    const withEnv = { ...env, INFINIUM_AGENT_ID: 'agent-e', INFINIUM_CODEX_CONTENT_MODE: 'metadata' };
    expect(resolveConfig(join(root, 'p'), withEnv)).toMatchObject({
      agentId: 'agent-e',
      contentMode: 'metadata',
      source: 'env',
    });
  });

  it('can be switched off from the environment', () => {
    write(join(root, 'state', 'config.json'), { agentId: 'agent-u' });
    expect(resolveConfig(root, { ...env, INFINIUM_CODEX_DISABLED: '1' })).toBeNull();
    expect(resolveConfig(root, { ...env, INFINIUM_CODEX_DISABLED: 'false' })).not.toBeNull();
  });

  it.each([
    ['not JSON', '{agentId:', /is not valid JSON/],
    ['an array', '[]', /must hold a JSON object/],
    [
      'an unknown content mode',
      { agentId: 'a', contentMode: 'some' },
      /contentMode" must be one of full, redacted/,
    ],
    ['a bad base URL', { agentId: 'a', baseUrl: 'platform' }, /is not a URL/],
    ['an ftp base URL', { agentId: 'a', baseUrl: 'ftp://x' }, /must start with https/],
    // base-url-checks: credentials (never echoed), a query or fragment, cleartext to another machine.
    [
      'a base URL with a user and password',
      { agentId: 'a', baseUrl: 'http://user:pa55word@127.0.0.1:9/api/v1' },
      /must not hold a user name or password/,
    ],
    [
      'a base URL with a query and fragment',
      { agentId: 'a', baseUrl: 'http://127.0.0.1:9/api/v1?x=1#frag' },
      /must not have a query/,
    ],
    [
      'plain http to another machine',
      { agentId: 'a', baseUrl: 'http://example.com/api/v1' },
      /unencrypted to example\.com.*allowInsecureHttp/,
    ],
    [
      'an opt-in that is not a boolean',
      { agentId: 'a', baseUrl: 'http://example.com/api/v1', allowInsecureHttp: 'yes' },
      /"allowInsecureHttp" must be true or false/,
    ],
    ['a bad redact pattern', { agentId: 'a', redactPatterns: ['('] }, /not a regex we can run/],
    [
      'a redact pattern that needs backtracking',
      { agentId: 'a', redactPatterns: ['(a+)(?=b)'] },
      /lookaround/,
    ],
    [
      'a redact pattern that matches empty text',
      { agentId: 'a', redactPatterns: ['x?'] },
      /matches empty text/,
    ],
    ['an empty agent id', { agentId: ' ' }, /"agentId" must be a non-empty string/],
  ])('says clearly when a config file holds %s', (_label, contents, message) => {
    write(join(root, 'p', '.infinium', 'config.json'), contents);
    expect(() => resolveConfig(join(root, 'p'), env)).toThrow(ConfigError);
    expect(() => resolveConfig(join(root, 'p'), env)).toThrow(message);
  });

  it('base-url-checks: never echoes a password, allows http to this machine, and elsewhere on opt-in', () => {
    write(join(root, 'p', '.infinium', 'config.json'), {
      agentId: 'a',
      baseUrl: 'https://user:pa55word@platform.example.com/api/v1',
    });
    expect(() => resolveConfig(join(root, 'p'), env)).toThrow(/^((?!pa55word).)*$/);
    for (const local of ['http://127.0.0.1:8080/api/v1', 'http://localhost:3000', 'http://[::1]:9/x']) {
      write(join(root, 'p', '.infinium', 'config.json'), { agentId: 'a', baseUrl: local });
      expect(resolveConfig(join(root, 'p'), env)?.baseUrl).toBe(local);
    }
    write(join(root, 'p', '.infinium', 'config.json'), {
      agentId: 'a',
      baseUrl: 'http://infinium.internal/api/v1',
      allowInsecureHttp: true,
    });
    expect(resolveConfig(join(root, 'p'), env)?.baseUrl).toBe('http://infinium.internal/api/v1');
    write(join(root, 'p', '.infinium', 'config.json'), { agentId: 'a' });
    expect(() =>
      resolveConfig(join(root, 'p'), { ...env, INFINIUM_BASE_URL: 'http://infinium.internal/api/v1' }),
    ).toThrow(/INFINIUM_CODEX_ALLOW_INSECURE_HTTP/);
    expect(
      resolveConfig(join(root, 'p'), {
        ...env,
        INFINIUM_BASE_URL: 'http://infinium.internal/api/v1',
        INFINIUM_CODEX_ALLOW_INSECURE_HTTP: '1',
      })?.baseUrl,
    ).toBe('http://infinium.internal/api/v1');
  });

  it('F9: a name under .localhost is another machine (DNS resolves it): plain http to it needs the opt-in', () => {
    write(join(root, 'p', '.infinium', 'config.json'), {
      agentId: 'a',
      baseUrl: 'http://infinium.localhost/api/v1',
    });
    expect(() => resolveConfig(join(root, 'p'), env)).toThrow(/unencrypted to infinium\.localhost/);
  });

  it('checks environment values too', () => {
    expect(() =>
      resolveConfig(root, { ...env, INFINIUM_AGENT_ID: 'a', INFINIUM_CODEX_GRANULARITY: 'day' }),
    ).toThrow(/environment: "granularity" must be one of turn, session/);
  });
});

describe('credentials without a keyring', () => {
  it('falls back to a 0600 file in a 0700 dir, and the environment wins', async () => {
    const stored = await storeSecret('agent-1', URL_A, 's3cret', { env, noKeyring: true });
    expect(stored.source).toBe('file');
    const file = join(root, 'state', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'state')).mode & 0o777).toBe(0o700);
    expect(await loadSecret('agent-1', URL_A, { env, noKeyring: true })).toEqual({
      secret: 's3cret',
      source: 'file',
    });
    expect(await loadSecret('agent-2', URL_A, { env, noKeyring: true })).toBeNull();
    expect(
      await loadSecret('agent-1', URL_A, { env: { ...env, INFINIUM_AGENT_SECRET: 'e' }, noKeyring: true }),
    ).toEqual({
      secret: 'e',
      source: 'env',
    });
    await deleteSecret('agent-1', URL_A, { env, noKeyring: true });
    expect(await loadSecret('agent-1', URL_A, { env, noKeyring: true })).toBeNull();
  });
});

describe('pause', () => {
  it('pauses one project or all', () => {
    expect(isPaused(join(root, 'p'), env)).toBe(false);
    writePauseState({ all: false, projects: [join(root, 'p')] }, env);
    expect(isPaused(join(root, 'p'), env)).toBe(true);
    expect(isPaused(join(root, 'q'), env)).toBe(false);
    writePauseState({ all: true, projects: [] }, env);
    expect(isPaused(join(root, 'q'), env)).toBe(true);
  });
});

describe('project files the user did not write (planted-project-config-redirects-secret)', () => {
  const userDefaults = () =>
    write(join(root, 'state', 'config.json'), { agentId: 'agent-u', baseUrl: 'https://mine.example/api/v1' });
  const projectFile = () => join(root, 'clone', '.infinium', 'config.json');

  it('a base URL without an agent of its own never applies to the user default agent', () => {
    userDefaults();
    plant(projectFile(), { baseUrl: 'https://attacker.example/api/v1' });
    const config = resolveConfig(join(root, 'clone'), env);
    expect(config).toMatchObject({
      agentId: 'agent-u',
      baseUrl: 'https://mine.example/api/v1',
      source: 'user',
    });
    expect(config?.sources?.baseUrl).toBe(join(root, 'state', 'config.json'));
    expect(config?.projectNotes?.notes).toEqual([
      '"baseUrl" not applied: the file names no agent of its own',
    ]);
    // Also once allowed: a destination is one unit, never merged across files.
    recordDecision(projectFile(), 'allow', env);
    expect(resolveConfig(join(root, 'clone'), env)?.baseUrl).toBe('https://mine.example/api/v1');
  });

  // attack21c C4: the user allowed agent-p at the project's server; a session naming its own agent (and
  // secret, bound to no origin) in the environment is not sent there.
  it("an allowed project file's base URL goes with its own agent only, never the environment's", () => {
    userDefaults();
    plant(projectFile(), { agentId: 'agent-p', baseUrl: 'https://team.example/api/v1' });
    recordDecision(projectFile(), 'allow', env);
    expect(resolveConfig(join(root, 'clone'), env)).toMatchObject({
      agentId: 'agent-p',
      baseUrl: 'https://team.example/api/v1',
    });
    const session = { ...env, INFINIUM_AGENT_ID: 'agent-e', INFINIUM_AGENT_SECRET: 'env-secret' };
    const config = resolveConfig(join(root, 'clone'), session);
    expect(config).toMatchObject({ agentId: 'agent-e', baseUrl: 'https://mine.example/api/v1' });
    expect(config?.sources).toMatchObject({
      agentId: 'environment',
      baseUrl: join(root, 'state', 'config.json'),
    });
    // The session's own base URL still applies.
    expect(
      resolveConfig(join(root, 'clone'), { ...session, INFINIUM_BASE_URL: 'https://env.example/api' })
        ?.baseUrl,
    ).toBe('https://env.example/api');
  });

  it.each([
    ['another agent', { agentId: 'agent-x' }, ['agentId']],
    [
      'another agent and base URL',
      { agentId: 'agent-x', baseUrl: 'https://x.example' },
      ['agentId', 'baseUrl'],
    ],
    ['content mode full', { contentMode: 'full' }, ['contentMode']],
  ])(
    '%s waits for consent; allowed it applies; a changed file asks again; denied it does not',
    (_l, json, keys) => {
      userDefaults();
      plant(projectFile(), json);
      expect(() => resolveConfig(join(root, 'clone'), env)).toThrow(ConsentNeededError);
      try {
        resolveConfig(join(root, 'clone'), env);
      } catch (error) {
        expect((error as ConsentNeededError).keys).toEqual(keys);
        expect((error as Error).message).toContain('infinium-codex allow');
      }
      recordDecision(projectFile(), 'allow', env);
      expect(resolveConfig(join(root, 'clone'), env)).toMatchObject(json);
      plant(projectFile(), { ...json, projectName: 'changed' });
      expect(() => resolveConfig(join(root, 'clone'), env)).toThrow(ConsentNeededError);
      recordDecision(projectFile(), 'deny', env);
      expect(resolveConfig(join(root, 'clone'), env)).toMatchObject({
        agentId: 'agent-u',
        baseUrl: 'https://mine.example/api/v1',
        contentMode: 'redacted',
        projectName: 'changed',
      });
    },
  );

  // attack21 F7: a clone carrying `.infinium -> ../A/.infinium` must not inherit A's consent.
  it('a project file reached through a link out of the project is ignored, whatever was allowed there', () => {
    userDefaults();
    const allowed = join(root, 'A', '.infinium', 'config.json');
    write(allowed, { agentId: 'agA', baseUrl: URL_A, contentMode: 'full' });
    expect(resolveConfig(join(root, 'A'), env)).toMatchObject({ agentId: 'agA', contentMode: 'full' });
    mkdirSync(join(root, 'C', '.git'), { recursive: true });
    symlinkSync(join('..', 'A', '.infinium'), join(root, 'C', '.infinium'));
    const config = resolveConfig(join(root, 'C'), env);
    expect(config).toMatchObject({ agentId: 'agent-u', contentMode: 'redacted', source: 'user' });
    expect(config?.projectNotes?.notes).toEqual([
      `ignored: it is a link to ${realpathSync(allowed)}, outside the project`,
    ]);
    // The file itself as a link out of the project: the same.
    rmSync(join(root, 'C', '.infinium'));
    mkdirSync(join(root, 'C', '.infinium'));
    symlinkSync(allowed, join(root, 'C', '.infinium', 'config.json'));
    expect(resolveConfig(join(root, 'C'), env)?.agentId).toBe('agent-u');
  });

  it('consent is for the place the file was found: a link inside the project needs its own, and is named', () => {
    userDefaults();
    const real = join(root, 'clone', 'settings', 'infinium.json');
    write(real, { agentId: 'agent-x' });
    mkdirSync(join(root, 'clone', '.infinium'));
    symlinkSync(join('..', 'settings', 'infinium.json'), projectFile());
    // Allowed under its real path, which is not where the walk found it.
    expect(() => resolveConfig(join(root, 'clone'), env)).toThrow(ConsentNeededError);
    recordDecision(projectFile(), 'allow', env);
    const config = resolveConfig(join(root, 'clone'), env);
    expect(config?.agentId).toBe('agent-x');
    expect(config?.sources?.agentId).toBe(projectFile());
    expect(config?.projectNotes?.notes).toEqual([
      `read from ${realpathSync(real)} (a link inside the project)`,
    ]);
  });

  it('the same project reached through a linked parent folder keeps its consent', () => {
    userDefaults();
    plant(projectFile(), { agentId: 'agent-x' });
    symlinkSync(root, join(root, 'via-link'));
    // Allowed from a shell in one path; the session (or Codex's record of it) names the other.
    recordDecision(join(root, 'via-link', 'clone', '.infinium', 'config.json'), 'allow', env);
    expect(resolveConfig(join(root, 'clone'), env)?.agentId).toBe('agent-x');
    expect(resolveConfig(join(root, 'via-link', 'clone'), env)?.agentId).toBe('agent-x');
  });

  // attack21 F4: the bytes whose settings apply are the bytes consent judged (one read, no second look).
  it('consent judges the bytes read, never a second read of the file', () => {
    userDefaults();
    plant(projectFile(), { agentId: 'agent-x' });
    const read = readProjectFile(projectFile());
    if (!read || 'problem' in read) throw new Error('the project file should be read');
    recordDecision(projectFile(), 'allow', env, read.bytes);
    expect(decisionFor(projectFile(), read.bytes, env)).toBe('allow');
    // The file changes after it was read: its new bytes were never allowed, the read ones still are.
    plant(projectFile(), {
      agentId: 'agent-x',
      baseUrl: 'https://attacker.example/api/v1',
      contentMode: 'full',
    });
    expect(decisionFor(projectFile(), read.bytes, env)).toBe('allow');
    const now = readProjectFile(projectFile());
    if (!now || 'problem' in now) throw new Error('the project file should be read');
    expect(decisionFor(projectFile(), now.bytes, env)).toBeNull();
    expect(() => resolveConfig(join(root, 'clone'), env)).toThrow(ConsentNeededError);
  });

  it('settings that narrow what is sent apply without consent', () => {
    userDefaults();
    plant(projectFile(), { contentMode: 'metadata', granularity: 'session', projectName: 'p' });
    expect(resolveConfig(join(root, 'clone'), env)).toMatchObject({
      agentId: 'agent-u',
      contentMode: 'metadata',
      granularity: 'session',
    });
  });

  it('the walk stops at the repository root and at home; a file others may change is ignored', () => {
    userDefaults();
    plant(join(root, 'home', '..', '.infinium', 'config.json'), { agentId: 'above-home' });
    mkdirSync(join(root, 'home', 'w'), { recursive: true });
    expect(resolveConfig(join(root, 'home', 'w'), env)?.agentId).toBe('agent-u');
    plant(join(root, 'outer', '.infinium', 'config.json'), { agentId: 'above-repo' });
    mkdirSync(join(root, 'outer', 'repo', '.git'), { recursive: true });
    expect(findProjectConfig(join(root, 'outer', 'repo'), env)).toBeNull();
    plant(projectFile(), { agentId: 'agent-x' });
    recordDecision(projectFile(), 'allow', env);
    chmodSync(projectFile(), 0o666);
    const config = resolveConfig(join(root, 'clone'), env);
    expect(config?.agentId).toBe('agent-u');
    expect(config?.projectNotes?.notes[0]).toMatch(/ignored: .* may be changed by other users \(mode 666\)/);
    // The file is judged as opened, its folder by its path: others could put another file in its place.
    chmodSync(projectFile(), 0o644);
    expect(resolveConfig(join(root, 'clone'), env)?.agentId).toBe('agent-x');
    chmodSync(join(projectFile(), '..'), 0o777);
    expect(resolveConfig(join(root, 'clone'), env)?.projectNotes?.notes[0]).toMatch(
      /ignored: .*\.infinium may be changed by other users \(mode 777\)/,
    );
  });

  it('a stored secret is found only for the origin it was stored for', async () => {
    await storeSecret('agent-u', 'https://mine.example/api/v1', 's3cret', { env, noKeyring: true });
    expect(
      (await loadSecret('agent-u', 'https://mine.example/other', { env, noKeyring: true }))?.secret,
    ).toBe('s3cret');
    expect(
      await loadSecret('agent-u', 'https://attacker.example/api/v1', { env, noKeyring: true }),
    ).toBeNull();
    expect(await loadSecret('agent-u', 'http://mine.example/api/v1', { env, noKeyring: true })).toBeNull();
  });

  describe('machine-wide files (init --system)', () => {
    const SYSTEM_URL = 'https://fleet.example/api/v1';
    let system: string;
    beforeEach(() => {
      system = join(root, 'etc', 'infinium-codex');
      env.INFINIUM_CODEX_SYSTEM_DIR = system;
      mkdirSync(system, { recursive: true, mode: 0o755 });
      chmodSync(system, 0o755);
      writeFileSync(join(system, 'config.json'), JSON.stringify({ agentId: 'agent-s', baseUrl: SYSTEM_URL }));
      writeFileSync(
        join(system, 'credentials.json'),
        JSON.stringify({ [secretAccount('agent-s', SYSTEM_URL)]: 'fleet-secret' }),
      );
    });
    const secretFound = async () =>
      (await loadSecret('agent-s', SYSTEM_URL, { env, noKeyring: true }))?.secret;

    it("apply when they are root's (or ours) and no one else may write them", async () => {
      expect(systemFilesProblem(env)).toBeNull();
      expect(resolveConfig(join(root, 'w'), env)).toMatchObject({ agentId: 'agent-s', source: 'system' });
      expect(await secretFound()).toBe('fleet-secret');
    });

    it.each([
      ['the folder', '', /infinium-codex may be changed by other users \(mode 777\)/],
      ['the settings', 'config.json', /config\.json may be changed by other users \(mode 666\)/],
      ['the credentials', 'credentials.json', /credentials\.json may be changed by other users \(mode 666\)/],
    ])('are ignored, secret included, when every user may write %s', async (_what, name, reason) => {
      chmodSync(join(system, name), name === '' ? 0o777 : 0o666);
      expect(systemFilesProblem(env)).toMatch(reason);
      expect(systemFilesProblem(env)).toMatch(
        /^The machine-wide settings in .* are ignored: .*; remove them \(`sudo rm -r /,
      );
      expect(resolveConfig(join(root, 'w'), env)).toBeNull();
      expect(await secretFound()).toBeUndefined();
    });

    it('are judged once where the caller passes the verdict on: settings, capture and secret take it', async () => {
      writeFileSync(
        join(system, 'config.json'),
        JSON.stringify({ agentId: 'agent-s', baseUrl: SYSTEM_URL, capture: 'full' }),
      );
      const judged = 'The machine-wide settings in /etc are ignored: judged so.';
      expect(resolveConfig(join(root, 'w'), env, judged)).toBeNull();
      expect(configuredCapture(env, judged)).toBe('lean');
      expect(
        await loadSecret('agent-s', SYSTEM_URL, { env, noKeyring: true, machineFilesProblem: judged }),
      ).toBeNull();
      // Not judged again: a verdict of none applies the files as they are.
      chmodSync(system, 0o777);
      expect(resolveConfig(join(root, 'w'), env, null)?.agentId).toBe('agent-s');
      expect(configuredCapture(env, null)).toBe('full');
      expect(configuredCapture(env)).toBe('lean');
    });

    it.runIf(process.getuid?.() === 0)('are ignored when another user owns them', async () => {
      chownSync(join(system, 'config.json'), 4242, 4242);
      expect(systemFilesProblem(env)).toMatch(/config\.json belongs to another user \(uid 4242\)/);
      expect(resolveConfig(join(root, 'w'), env)).toBeNull();
      expect(await secretFound()).toBeUndefined();
      userDefaults();
      expect(resolveConfig(join(root, 'w'), env)?.agentId).toBe('agent-u');
    });
  });

  it.runIf(process.getuid?.() === 0)(
    "a project file a group may change is ignored, unless the group is the user's own private one",
    () => {
      userDefaults();
      plant(projectFile(), { agentId: 'agent-x' });
      recordDecision(projectFile(), 'allow', env);
      chmodSync(projectFile(), 0o664);
      // root's private group (gid 0, named root, no other member) is root alone.
      expect(resolveConfig(join(root, 'clone'), env)?.agentId).toBe('agent-x');
      chownSync(projectFile(), 0, 4242);
      const config = resolveConfig(join(root, 'clone'), env);
      expect(config?.agentId).toBe('agent-u');
      expect(config?.projectNotes?.notes[0]).toMatch(
        /ignored: .*config\.json may be changed by other users \(mode 664\)/,
      );
    },
  );

  it.runIf(process.getuid?.() === 0)('a project file another user owns is ignored, allowed or not', () => {
    userDefaults();
    plant(projectFile(), { agentId: 'agent-x' });
    recordDecision(projectFile(), 'allow', env);
    chownSync(join(projectFile(), '..'), 4242, 4242);
    const config = resolveConfig(join(root, 'clone'), env);
    expect(config?.agentId).toBe('agent-u');
    expect(config?.projectNotes?.notes[0]).toMatch(
      /ignored: .*\.infinium belongs to another user \(uid 4242\)/,
    );
  });
});
