// The built package (dist/cli.mjs, dist/worker.mjs and its chunks) behind an HTTP proxy, as a user behind a
// corporate proxy runs it: each bundle loads undici its own way, and a test of the sources cannot see a
// bundle that lost undici's named exports (the worker once failed every send that way). Infinium is a name
// only the proxy can resolve (infinium.test), so a request that skipped the proxy could not arrive.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolPaths } from '../../src/spool/layout';
import { readOutbox, writeOutboxEntry } from '../../src/spool/outbox';
import { DIST } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { startProxy, type TestProxy } from '../support/http-proxy';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-behind-proxy';
const SECRET = 'sk-behind-proxy-secret-5150';

let standIn: StandIn;
let proxy: TestProxy;
let remote: string;

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
  proxy = await startProxy({ hosts: { 'infinium.test': '127.0.0.1' } });
  remote = `http://infinium.test:${standIn.port}/api/v1`;
});
afterAll(async () => {
  await proxy.close();
  await standIn.close();
});

/** A sandbox whose environment names the proxy; plain http to infinium.test is opted in to. */
function proxiedSandbox(): Sandbox {
  const sandbox = makeSandbox();
  Object.assign(sandbox.env, {
    HTTP_PROXY: proxy.url,
    HTTPS_PROXY: proxy.url,
    INFINIUM_CODEX_ALLOW_INSECURE_HTTP: '1',
  });
  return sandbox;
}

function runWorker(sandbox: Sandbox): Promise<number | null> {
  const child = spawn(process.execPath, [join(DIST, 'worker.mjs')], {
    cwd: sandbox.project,
    env: sandbox.env,
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.on('close', resolve));
}

describe('the built package behind a proxy', () => {
  it('init, test --send-trace and doctor (dist/cli.mjs) reach Infinium through the proxy', async () => {
    const sandbox = proxiedSandbox();
    proxy.targets.length = 0;
    const init = await runCli(sandbox, initArgs(AGENT, remote), { input: SECRET });
    expect(init.code, init.stderr).toBe(0);
    const test = await runCli(sandbox, ['test', '--send-trace']);
    expect(test.code, test.stderr + test.stdout).toBe(0);
    expect(test.stdout).toContain('Sent a connection-test trace');
    const doctor = await runCli(sandbox, ['doctor', '--json']);
    expect(doctor.stdout).toContain('Infinium answered');
    expect(proxy.targets.length).toBeGreaterThanOrEqual(3);
    expect(new Set(proxy.targets)).toEqual(new Set([`infinium.test:${standIn.port}`]));
    expect(standIn.traces.some((trace) => trace.agentId === AGENT)).toBe(true);
  });

  it('the worker (dist/worker.mjs and its chunks) sends a queued trace through the proxy', async () => {
    const sandbox = proxiedSandbox();
    const init = await runCli(sandbox, initArgs(AGENT, remote), { input: SECRET });
    expect(init.code, init.stderr).toBe(0);
    const paths = spoolPaths(sandbox.env);
    writeOutboxEntry(paths, {
      key: 'session-proxy~turn-1',
      sessionId: 'session-proxy',
      turnKey: 'turn-1',
      turnNumber: 1,
      agentId: AGENT,
      baseUrl: remote,
      secret: 'stored',
      projectName: 'demo',
      cwd: sandbox.project,
      builtAtMs: Date.now(),
      taskData: {
        name: 'a turn behind a proxy',
        description: 'queued for the worker',
        current_datetime: new Date().toISOString(),
        duration: 1,
      },
      attempts: 0,
      nextAttemptAtMs: 0,
    });
    proxy.targets.length = 0;
    expect(await runWorker(sandbox)).toBe(0);
    expect(readOutbox(paths)).toEqual([]);
    expect(standIn.traces.map((trace) => trace.body.name)).toContain('a turn behind a proxy');
    expect(proxy.targets).toContain(`infinium.test:${standIn.port}`);
  });
});

describe('doctor behind a proxy that refuses the tunnel (O2: it once reconnected without end)', () => {
  it.each([
    ['closes the CONNECT', 'close' as const, 'the proxy closed the connection before the tunnel was open'],
    ['answers 407', 407, 'the proxy answered CONNECT with HTTP 407'],
  ])(
    '%s: one connection, the api check fails saying so, the proxy named without its password',
    async (_label, refuse, why) => {
      const sandbox = proxiedSandbox();
      const init = await runCli(sandbox, initArgs(AGENT, remote), { input: SECRET });
      expect(init.code, init.stderr).toBe(0);
      const refusing = await startProxy({ refuse });
      try {
        const withPassword = refusing.url.replace('//', '//bob:hunter2-proxy@');
        const doctor = await runCli(sandbox, ['doctor', '--json'], {
          env: { HTTP_PROXY: withPassword, HTTPS_PROXY: withPassword },
        });
        const api = (
          JSON.parse(doctor.stdout) as { findings: { check: string; summary: string; fix: string }[] }
        ).findings.find((finding) => finding.check === 'api');
        expect(api?.summary).toContain(why);
        expect(api?.fix).toBe(`Check the proxy (${refusing.url}) and NO_PROXY, and the base URL.`);
        expect(doctor.stdout + doctor.stderr).not.toContain('hunter2-proxy');
        expect(refusing.targets).toEqual([`infinium.test:${standIn.port}`]);
      } finally {
        await refusing.close();
      }
    },
  );
});

describe('CommonJS packages in chunks of their own', () => {
  // esbuild gives a CommonJS package that only dynamic imports use a chunk whose one export is `default`
  // (module.exports): `(await import('pkg')).Name` is undefined there, though it works in the sources and
  // in a bundle without chunks.
  it('are read through their default export wherever they are imported', () => {
    const files = readdirSync(DIST).filter((name) => name.endsWith('.mjs'));
    const commonJsChunks = files.filter((name) =>
      /^export default require_\w+\(\);\s*$/m.test(readFileSync(join(DIST, name), 'utf8')),
    );
    expect(commonJsChunks.length).toBeGreaterThan(0);
    const misread = files.flatMap((name) => {
      const code = readFileSync(join(DIST, name), 'utf8');
      return commonJsChunks.flatMap((chunk) =>
        [...code.matchAll(new RegExp(`import\\("\\./${chunk.replace('.', '\\.')}"\\)(\\)\\.default)?`, 'g'))]
          .filter((use) => use[1] === undefined)
          .map((use) => `${name}: ${use[0]}`),
      );
    });
    expect(misread).toEqual([]);
  });
});
