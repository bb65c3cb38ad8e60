// Only our own program runs as the hook (issue 21, kind 2): the native front-end comes from our package's own
// dist/ and nowhere else, whatever an ancestor's node_modules holds; one that others may replace is refused,
// said in init; and hook.sh never runs a helper through the PATH Codex hands it (a project's PATH).
// The case: ../shared/cases/adversarial/native-resolver-planted-package.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeHookPath } from '../../src/codex/native-hook';
import { spooledBytes } from '../../src/spool/events';
import { DIST, makeSandbox as makeHookSandbox } from '../support/capture-harness';
import {
  initArgs,
  makeSandbox,
  NATIVE_HOOK_BUILT,
  REPO_ROOT,
  runCli,
  type Sandbox,
} from '../support/cli-sandbox';

const host = `${process.platform}-${process.arch}`;
let shared: string;
let clone: string;
const ranLog = () => join(shared, 'planted-ran.log');

beforeAll(() => {
  // A folder every user may write to, as /tmp is, with the user's built clone inside it.
  shared = realpathSync(mkdtempSync(join(tmpdir(), 'icx-shared-')));
  chmodSync(shared, 0o1777);
  clone = join(shared, 'clone');
  mkdirSync(clone, { mode: 0o755 });
  cpSync(DIST, join(clone, 'dist'), { recursive: true });
  writeFileSync(join(clone, 'package.json'), readFileSync(join(REPO_ROOT, 'package.json')));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  // plant.sh, as the other user would run it: the old platform package's name, a program that logs who ran it.
  const planted = join(shared, 'node_modules', '@infinium-codex', `hook-${host}`);
  mkdirSync(planted, { recursive: true });
  writeFileSync(
    join(planted, 'package.json'),
    `{"name": "@infinium-codex/hook-${host}", "version": "0.1.0"}`,
  );
  writeFileSync(
    join(planted, 'infinium-codex-hook'),
    `#!/bin/sh\necho "ran for \${1:-?}" >>'${ranLog()}'\ncat >/dev/null\nexit 0\n`,
    { mode: 0o755 },
  );
});
afterAll(() => rmSync(shared, { recursive: true, force: true }));

describe.runIf(NATIVE_HOOK_BUILT)('the native program Codex runs', () => {
  const bin = () => join(clone, 'dist', 'bin.cjs');

  it('is the clone’s own, never a look-alike planted in a node_modules above it (not even for a self-test)', async () => {
    const sandbox = makeSandbox();
    const init = await runCli(sandbox, initArgs('agent-1', 'http://127.0.0.1:9', '--offline'), {
      input: 'sk-secret',
      bin: bin(),
    });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Front-end: native\n');
    const hooks = readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8');
    expect(hooks).toContain(`exec '${nativeHookPath(join(clone, 'dist'))}' Stop `);
    expect(hooks).not.toContain('node_modules');
    const doctor = await runCli(sandbox, ['doctor'], { bin: bin() });
    expect(doctor.stdout).toMatch(/✓ hooks: \d+ hooks \(lean, native\)/);
    expect(existsSync(ranLog())).toBe(false);
  });

  it.each([
    ["the native program's folder", () => join(clone, 'dist', 'native', host), 0o777, 0o755],
    ['hook.sh', () => join(clone, 'dist', 'hook.sh'), 0o757, 0o755],
    ['a worker bundle', () => join(clone, 'dist', 'worker.mjs'), 0o646, 0o644],
  ])(
    'no hook is installed from a package where other users may change %s, and doctor fails it (attack21 F5)',
    async (_what, path, loose, tight) => {
      const sandbox = makeSandbox();
      const init = async () =>
        runCli(sandbox, initArgs('agent-1', 'http://127.0.0.1:9', '--offline'), {
          input: 'sk-secret',
          bin: bin(),
        });
      expect((await init()).code).toBe(0);
      const installed = readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8');
      chmodSync(path(), loose);
      try {
        const doctor = await runCli(sandbox, ['doctor'], { bin: bin() });
        expect(doctor.code).toBe(1);
        expect(doctor.stdout).toContain(
          `✗ hook-paths: our hooks run ${nativeHookPath(join(clone, 'dist'))} with ${process.execPath}, and ${path()} may be changed by other users (mode ${loose.toString(8)}): another user could run their own code as you in every Codex hook`,
        );
        const again = await init();
        expect(again.code).toBe(1);
        expect(again.stdout).toBe('');
        expect(again.stderr).toBe(
          `Error: No hooks were installed: ${path()} may be changed by other users (mode ${loose.toString(8)}), so another user could run their own code as you in every Codex hook; reinstall infinium-codex where only you or root can write (\`npm i -g\` as root, or a prefix of your own), or run \`chmod -R go-w ${clone}\` if every file there is yours.\n`,
        );
        expect(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')).toBe(installed);
      } finally {
        chmodSync(path(), tight);
      }
      expect(existsSync(ranLog())).toBe(false);
    },
  );
});

describe.runIf(NATIVE_HOOK_BUILT && process.getuid !== undefined)(
  'what else our hooks run: the folders above the package, the keyring library, node (attack21b N3, N4, N8)',
  () => {
    const init = (sandbox: Sandbox, bin: string, node?: string) =>
      runCli(sandbox, initArgs('agent-1', 'http://127.0.0.1:9', '--offline'), {
        input: 'sk-secret',
        bin,
        node,
      });
    const refusal = (problem: string, fix: string) =>
      `Error: No hooks were installed: ${problem}, so another user could run their own code as you in every Codex hook; ${fix}.\n`;
    const REINSTALL =
      'reinstall infinium-codex where only you or root can write (`npm i -g` as root, or a prefix of your own)';

    /** Installs, loosens `path`, then checks doctor fails hook-paths and init refuses, and puts `path` back. */
    async function refusedAfter(
      bin: string,
      path: string,
      loose: number,
      tight: number,
      fix: string,
      node?: string,
    ): Promise<Sandbox> {
      const sandbox = makeSandbox();
      const first = await init(sandbox, bin, node);
      expect(first.code, first.stderr).toBe(0);
      const installed = readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8');
      chmodSync(path, loose);
      try {
        const problem = `${path} may be changed by other users (mode ${(loose & 0o777).toString(8)})`;
        const doctor = await runCli(sandbox, ['doctor'], { bin });
        expect(doctor.code).toBe(1);
        expect(doctor.stdout).toMatch(/✗ hook-paths: our hooks run .*/);
        expect(doctor.stdout).toContain(`, and ${problem}: another user could run their own code as you`);
        const again = await init(sandbox, bin, node);
        expect(again.code).toBe(1);
        expect(again.stdout).toBe('');
        expect(again.stderr).toBe(refusal(problem, fix));
        expect(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')).toBe(installed);
      } finally {
        chmodSync(path, tight);
      }
      return sandbox;
    }

    it('refuses a package whose parent folder others may write to without the sticky bit (N4)', async () => {
      await refusedAfter(
        join(clone, 'dist', 'bin.cjs'),
        shared,
        0o777,
        0o1777,
        `${REINSTALL}, or run \`chmod go-w ${shared}\` if it is yours`,
      );
    });

    it('refuses a keyring library others may change, and never loads it (N3)', async () => {
      // A clone with its own node_modules: the keyring packages copied, everything else linked.
      const own = join(shared, 'own-modules');
      mkdirSync(join(own, 'node_modules'), { recursive: true, mode: 0o755 });
      cpSync(join(clone, 'dist'), join(own, 'dist'), { recursive: true });
      writeFileSync(join(own, 'package.json'), readFileSync(join(REPO_ROOT, 'package.json')));
      for (const name of readdirSync(join(REPO_ROOT, 'node_modules'))) {
        const from = join(REPO_ROOT, 'node_modules', name);
        if (name === '@napi-rs') cpSync(from, join(own, 'node_modules', name), { recursive: true });
        else symlinkSync(from, join(own, 'node_modules', name));
      }
      const library = join(own, 'node_modules', '@napi-rs', 'keyring');
      const sandbox = await refusedAfter(
        join(own, 'dist', 'bin.cjs'),
        library,
        0o777,
        0o755,
        `${REINSTALL}, or run \`chmod -R go-w ${own}\` if every file there is yours`,
      );
      // The helper refuses it too, where it is loaded: doctor says the keyring is not used, and why.
      writeFileSync(
        join(library, 'index.js'),
        `require('fs').appendFileSync(${JSON.stringify(ranLog())}, 'keyring ran\\n');\n${readFileSync(join(library, 'index.js'), 'utf8')}`,
      );
      chmodSync(join(library, 'index.js'), 0o666);
      const doctor = await runCli(sandbox, ['doctor'], { bin: join(own, 'dist', 'bin.cjs') });
      expect(doctor.stdout).toContain(
        `✗ keyring: the keyring library was not loaded: ${join(library, 'index.js')} may be changed by other users (mode 666), so no secret is read from or stored in the OS keyring`,
      );
      expect(existsSync(ranLog())).toBe(false);
    });

    it('refuses a node others may change: hooks.json names it (N8)', async () => {
      const bin = join(shared, 'node-share', 'bin');
      mkdirSync(bin, { recursive: true, mode: 0o755 });
      const node = join(bin, 'node');
      cpSync(process.execPath, node);
      await refusedAfter(
        join(clone, 'dist', 'bin.cjs'),
        bin,
        0o777,
        0o755,
        `run it with a node only you or root can change (your system's, or one in your home), or run \`chmod go-w ${bin}\` if it is yours`,
        node,
      );
    });
  },
);

describe('hook.sh and a PATH the project controls', () => {
  // Every program hook.sh might start, planted first on PATH: each logs its name and fails.
  const HELPERS = ['cat', 'dd', 'mkdir', 'rm', 'wc', 'sleep', 'date', 'setsid', 'nice', 'kill', 'printf'];

  function plantedPath(): { path: string; log: string } {
    const dir = mkdtempSync(join(tmpdir(), 'icx-path-'));
    const log = join(dir, 'ran.log');
    for (const name of HELPERS) {
      writeFileSync(join(dir, name), `#!/bin/sh\necho ${name} >>'${log}'\nexit 1\n`, { mode: 0o755 });
    }
    return { path: `${dir}:${process.env.PATH}`, log };
  }

  /** hook.sh as Codex runs it, the payload written in two parts (the second after a pause: the slow path). */
  function runHookSh(event: string, env: Record<string, string>, parts: string[]): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn(join(DIST, 'hook.sh'), [event, '/bin/true'], {
        env,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      child.on('close', resolve);
      child.stdin.write(parts[0]);
      setTimeout(() => child.stdin.end(parts[1] ?? ''), parts.length > 1 ? 400 : 0);
    });
  }

  it.each([
    ['UserPromptSubmit', 'at once'],
    ['Stop', 'at once (and starts the worker)'],
    ['UserPromptSubmit', 'in two parts (dd, then cat under a watchdog)'],
  ])('%s, payload %s: runs none of them, and spools the payload', async (event, how) => {
    const box = makeHookSandbox();
    const { path, log } = plantedPath();
    const payload = JSON.stringify({ hook_event_name: event, session_id: 's1', prompt: 'x'.repeat(100) });
    const parts = how.startsWith('in two') ? [payload.slice(0, 50), payload.slice(50)] : [payload];
    const code = await runHookSh(event, { ...box.env, PATH: path }, parts);
    expect(code).toBe(0);
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
    const spool = join(box.state, 'spool');
    const entries = readdirSync(spool).filter((name) => name.endsWith(`.${event}.json`));
    expect(entries.map((name) => spooledBytes(join(spool, name)).toString())).toEqual([payload]);
    box.cleanup();
  });
});
