// The secret in a REAL Secret Service (gnome-keyring on a private D-Bus, from test/support/secret-service.ts),
// the 0600 file fallback where there is no D-Bus, and the time-box around a keyring that never answers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadSecret, probeKeyring, secretAccount, storeSecret } from '../../src/config/credentials';
import { DEFAULT_BASE_URL } from '../../src/infinium/client';
import { makeSandbox, runCli } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import type { SecretServiceEnv } from '../support/secret-service';

const AGENT = 'agent-kr';
const SECRET = 'sk-keyring-secret-42';
const service = inject('secretService');
const available = 'DBUS_SESSION_BUS_ADDRESS' in service;
let standIn: StandIn;
// Each test runs the CLI several times as a child process: on a machine shared with other test runs that
// can take a while (nothing here measures time).
vi.setConfig({ testTimeout: 120_000 });

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

/** The keyring entry of an agent at the stand-in's origin (a secret is bound to its agent id and origin). */
function lookup(env: SecretServiceEnv, agentId: string): string {
  try {
    const account = secretAccount(agentId, standIn.url);
    return execFileSync('secret-tool', ['lookup', 'service', 'infinium-codex', 'username', account], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  } catch {
    return '';
  }
}

describe.skipIf(!available)('with a real Secret Service (gnome-keyring)', () => {
  const env = service as SecretServiceEnv;

  it('init stores the secret in the keyring (no fallback file), and every command finds it there', async () => {
    const sandbox = makeSandbox();
    Object.assign(sandbox.env, env);
    const init = await runCli(
      sandbox,
      ['init', '--yes', '--agent-id', AGENT, '--agent-secret-stdin', '--base-url', standIn.url],
      {
        input: SECRET,
      },
    );
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Stored the secret in the OS keyring');
    expect(existsSync(join(sandbox.stateDir, 'credentials.json'))).toBe(false);
    expect(lookup(env, AGENT)).toBe(SECRET);

    const status = await runCli(sandbox, ['status', '--json']);
    expect(JSON.parse(status.stdout).secretSource).toBe('keyring');
    const test = await runCli(sandbox, ['test']);
    expect(test.code).toBe(0);
    expect(test.stdout).toContain('Secret: found in the OS keyring');

    expect((await runCli(sandbox, ['uninstall', '--purge'])).code).toBe(0);
    expect(lookup(env, AGENT)).toBe('');
  });

  it('update-credentials replaces the secret in the keyring', async () => {
    const sandbox = makeSandbox();
    Object.assign(sandbox.env, env);
    const agent = 'agent-kr-2';
    standIn.agents.set(agent, 'first-secret');
    await runCli(
      sandbox,
      ['init', '--yes', '--agent-id', agent, '--agent-secret-stdin', '--base-url', standIn.url],
      {
        input: 'first-secret',
      },
    );
    standIn.agents.set(agent, 'second-secret');
    const update = await runCli(sandbox, ['update-credentials', '--agent-secret-stdin'], {
      input: 'second-secret\n',
    });
    expect(update.stderr).toBe('');
    expect(update.code).toBe(0);
    expect(lookup(env, agent)).toBe('second-secret');
  });
});

describe('without a usable keyring', () => {
  it('falls back to a 0600 file and says so plainly when there is no D-Bus at all', async () => {
    const sandbox = makeSandbox();
    const init = await runCli(
      sandbox,
      ['init', '--yes', '--agent-id', AGENT, '--agent-secret-stdin', '--base-url', standIn.url],
      {
        input: SECRET,
        env: { DBUS_SESSION_BUS_ADDRESS: undefined },
      },
    );
    expect(init.code).toBe(0);
    // One short line, not the keyring's raw D-Bus error (first-run m4).
    expect(init.stdout).toMatch(
      /^! Stored the secret in .*credentials\.json \(0600\): no OS keyring \(no D-Bus session\)$/m,
    );
    expect(JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout).secretSource).toBe('file');
  });

  it('gives up on a keyring that never answers (a locked desktop keyring) instead of hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icx-silent-bus-'));
    const socket = join(dir, 'bus');
    const connections = new Set<Socket>();
    const silent: Server = createServer((connection) => connections.add(connection));
    await new Promise<void>((resolve) => silent.listen(socket, resolve));
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${socket}`;
    const env = { INFINIUM_CODEX_HOME: join(dir, 'state') };
    try {
      expect(
        (await storeSecret('agent-silent', DEFAULT_BASE_URL, 'sk-x', { env, timeoutMs: 500 })).source,
      ).toBe('file');
      expect(await loadSecret('agent-silent', DEFAULT_BASE_URL, { env, timeoutMs: 500 })).toEqual({
        secret: 'sk-x',
        source: 'file',
      });
      expect((await probeKeyring('agent-silent', DEFAULT_BASE_URL, { env, timeoutMs: 500 })).state).toBe(
        'timeout',
      );
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
      // The keyring's own thread is still waiting on the bus: end its connection so it can finish.
      for (const connection of connections) connection.destroy();
      silent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it.skipIf(available)('has no real Secret Service here, so the keyring tests above were skipped', () => {
  console.warn(`Keyring tests skipped: ${(service as { unavailable: string }).unavailable}`);
});
