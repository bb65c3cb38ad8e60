import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteSecret, loadSecret, storeSecret } from '../../../src/config/credentials';
import { isPaused, writePauseState } from '../../../src/config/pause';
import { ConfigError, findProjectConfig, resolveConfig } from '../../../src/config/settings';

let root: string;
let env: Record<string, string>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'infinium-config-'));
  env = { HOME: join(root, 'home'), INFINIUM_CODEX_HOME: join(root, 'state') };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, json: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
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

  it('checks environment values too', () => {
    expect(() =>
      resolveConfig(root, { ...env, INFINIUM_AGENT_ID: 'a', INFINIUM_CODEX_GRANULARITY: 'day' }),
    ).toThrow(/environment: "granularity" must be one of turn, session/);
  });
});

describe('credentials without a keyring', () => {
  it('falls back to a 0600 file in a 0700 dir, and the environment wins', async () => {
    const stored = await storeSecret('agent-1', 's3cret', { env, noKeyring: true });
    expect(stored.source).toBe('file');
    const file = join(root, 'state', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'state')).mode & 0o777).toBe(0o700);
    expect(await loadSecret('agent-1', { env, noKeyring: true })).toEqual({
      secret: 's3cret',
      source: 'file',
    });
    expect(await loadSecret('agent-2', { env, noKeyring: true })).toBeNull();
    expect(
      await loadSecret('agent-1', { env: { ...env, INFINIUM_AGENT_SECRET: 'e' }, noKeyring: true }),
    ).toEqual({
      secret: 'e',
      source: 'env',
    });
    await deleteSecret('agent-1', { env, noKeyring: true });
    expect(await loadSecret('agent-1', { env, noKeyring: true })).toBeNull();
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
