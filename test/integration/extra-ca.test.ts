// NODE_EXTRA_CA_CERTS as the hooks hand it to the worker (src/infinium/extra-ca.ts): under
// INFINIUM_CODEX_EXTRA_CA_CERTS, read by the worker itself for its HTTPS requests instead of by Node at its
// start. The built worker (dist/worker.mjs) sends a queued trace to an Infinium stand-in whose certificate a
// private CA signed (test/fixtures/tls: a test CA and a certificate for 127.0.0.1, localhost and
// infinium.test), directly and through a proxy, and fails it without the CA.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDED_CA } from '../../src/infinium/extra-ca';
import { spoolPaths } from '../../src/spool/layout';
import { readOutbox, writeOutboxEntry } from '../../src/spool/outbox';
import { DIST } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { startProxy, type TestProxy } from '../support/http-proxy';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-private-ca';
const SECRET = 'sk-private-ca-secret-7311';
const TLS = join(import.meta.dirname, '../fixtures/tls');
const CA = join(TLS, 'ca.pem');

let standIn: StandIn;
let proxy: TestProxy;

beforeAll(async () => {
  standIn = await startStandIn(
    { [AGENT]: SECRET },
    {
      tls: {
        key: readFileSync(join(TLS, 'server.key'), 'utf8'),
        cert: readFileSync(join(TLS, 'server.pem'), 'utf8'),
      },
    },
  );
  proxy = await startProxy({ hosts: { 'infinium.test': '127.0.0.1' } });
});
afterAll(async () => {
  await proxy.close();
  await standIn.close();
});

/** A sandbox set up by init (whose own Node trusts the CA through NODE_EXTRA_CA_CERTS) with one queued trace. */
async function queued(baseUrl: string, name: string, env: Record<string, string> = {}): Promise<Sandbox> {
  const sandbox = makeSandbox();
  const init = await runCli(sandbox, initArgs(AGENT, baseUrl), {
    input: SECRET,
    env: { ...env, NODE_EXTRA_CA_CERTS: CA },
  });
  expect(init.code, init.stderr).toBe(0);
  writeOutboxEntry(spoolPaths(sandbox.env), {
    key: `session-ca~${name}`,
    sessionId: 'session-ca',
    turnKey: name,
    turnNumber: 1,
    agentId: AGENT,
    baseUrl,
    secret: 'stored',
    projectName: 'demo',
    cwd: sandbox.project,
    builtAtMs: Date.now(),
    taskData: {
      name,
      description: 'queued for the worker',
      current_datetime: new Date().toISOString(),
      duration: 1,
    },
    attempts: 0,
    nextAttemptAtMs: 0,
  });
  return sandbox;
}

/** Runs the built worker with these variables added to the sandbox's (which have no NODE_EXTRA_CA_CERTS). */
function runWorker(sandbox: Sandbox, env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [join(DIST, 'worker.mjs')], {
    cwd: sandbox.project,
    env: { ...sandbox.env, ...env },
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.on('close', resolve));
}

const delivered = (name: string) => standIn.traces.some((trace) => trace.body.name === name);

describe('the worker with NODE_EXTRA_CA_CERTS handed over', () => {
  it('sends over HTTPS to a server of the handed CA, and never without it', async () => {
    const without = await queued(standIn.url, 'no CA handed');
    expect(await runWorker(without, {})).toBe(0);
    const [kept] = readOutbox(spoolPaths(without.env));
    expect(kept?.attempts).toBe(1);
    expect(kept?.lastError).toMatch(/certificate/i);
    expect(delivered('no CA handed')).toBe(false);

    // As a system bundle: roots Node already has (left out, byte for byte), CRLF line ends, then the CA.
    const handed = await queued(standIn.url, 'CA handed');
    const bundle = join(handed.root, 'ca-bundle.crt');
    writeFileSync(bundle, [...rootCertificates.slice(0, 30), readFileSync(CA, 'utf8')].join('\r\n'));
    expect(await runWorker(handed, { [HANDED_CA]: bundle })).toBe(0);
    expect(readOutbox(spoolPaths(handed.env))).toEqual([]);
    expect(delivered('CA handed')).toBe(true);
  });

  it('sends through a proxy (undici) to a server of the handed CA', async () => {
    const remote = `https://infinium.test:${standIn.port}/api/v1`;
    const sandbox = await queued(remote, 'CA handed, through the proxy', { HTTPS_PROXY: proxy.url });
    proxy.targets.length = 0;
    expect(await runWorker(sandbox, { [HANDED_CA]: CA, HTTPS_PROXY: proxy.url })).toBe(0);
    expect(readOutbox(spoolPaths(sandbox.env))).toEqual([]);
    expect(delivered('CA handed, through the proxy')).toBe(true);
    expect(proxy.targets).toContain(`infinium.test:${standIn.port}`);
  });
});
