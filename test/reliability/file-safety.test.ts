// File safety of everything the hook, the worker and the CLI write: the state dir and its files are
// private (0700/0600) whatever the umask; symbolic links planted where our directories and files go are
// never written through, and the files they point at (another user's) are left as they were; nothing is
// written outside the state dir; history, logs and the spool stay bounded. Counts are printed.
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readHistory } from '../../src/spool';
import { HISTORY_MAX_BYTES, PAYLOADS_KEPT, PAYLOADS_SLACK } from '../../src/spool/history';
import { spoolPaths } from '../../src/spool/layout';
import { LOG_MAX_BYTES } from '../../src/spool/log';
import {
  FRONT_ENDS,
  type FrontEnd,
  makeSandbox as makeCaptureSandbox,
  runHook,
  type Sandbox,
  storeAgentSecret,
  waitFor,
} from '../support/capture-harness';
import { makeSandbox as makeCliSandbox, runCli } from '../support/cli-sandbox';
import { SimulatedSession } from '../support/codex-simulator';
import { workerIdle } from '../support/faults';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { runWorkerProcess } from '../support/scenario';

const AGENT = '3f1f0c2e-0000-4000-8000-00000000f11e';
const SECRET = 'ik_live_file_safety_secret_0123456789';
/** Another user: the owner of the files our planted links point at. */
const OTHER_UID = 65534;

let server: StandIn;
let previousUmask: number;

beforeAll(() => {
  // A common user umask: our modes must not depend on a strict one.
  previousUmask = process.umask(0o022);
});
afterAll(() => {
  process.umask(previousUmask);
});
beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
});
afterEach(async () => {
  await server.close();
});

function simulate(
  cwd: string,
  codexHome: string,
  env: Record<string, string>,
  frontEnd: FrontEnd = 'sh',
): SimulatedSession {
  return new SimulatedSession({
    sessionId: randomUUID(),
    cwd,
    codexHome,
    env,
    mode: 'lean',
    toolsPerTurn: 2,
    frontEnd,
    onHook: (event, run) => expect(run, event).toEqual({ code: 0, stdout: '', stderr: '' }),
  });
}

/** Every entry under `dir` (not following links): path -> kind, mode. */
function walk(dir: string): { path: string; kind: 'dir' | 'file' | 'link'; mode: number }[] {
  const found: { path: string; kind: 'dir' | 'file' | 'link'; mode: number }[] = [];
  const visit = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      const stat = lstatSync(path);
      const kind = stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'dir' : 'file';
      found.push({ path, kind, mode: stat.mode & 0o777 });
      if (kind === 'dir') visit(path);
    }
  };
  visit(dir);
  return found;
}

/** Files under `dir` with their bytes, skipping `except` (relative paths' prefixes). */
function contents(dir: string, except: string[] = []): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of walk(dir)) {
    const path = relative(dir, entry.path);
    if (except.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) continue;
    files[path] = entry.kind === 'file' ? readFileSync(entry.path, 'utf8') : entry.kind;
  }
  return files;
}

describe('file safety', () => {
  it('creates the state dir and every file in it private (0700/0600), and writes nothing elsewhere', async () => {
    const box = makeCliSandbox();
    const tmp = join(box.root, 'tmp');
    mkdirSync(tmp);
    const env = { ...box.env, TMPDIR: tmp };
    const cli = async (args: string[], input?: string) => {
      const result = await runCli({ ...box, env }, args, { input });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    };
    const initArgs = ['init', '--yes', '--agent-id', AGENT, '--agent-secret-stdin', '--base-url', server.url];
    await cli([...initArgs, '--no-keyring'], SECRET);
    await cli(['test']);
    await cli(['pause']);
    await cli(['resume']);
    await cli(['doctor']);
    const elsewhere = () => ({
      home: contents(box.home, ['.infinium-codex', '.codex/sessions']),
      project: contents(box.project),
      tmp: contents(tmp),
    });
    const before = elsewhere();

    // Hooks (every front-end), the worker, a sent trace, a dead one, a corrupt entry, a hook log line.
    for (const frontEnd of FRONT_ENDS) await simulate(box.project, box.codexHome, env, frontEnd).run(1);
    await simulate(box.project, box.codexHome, env, 'sh').run(1);
    // A turn more than front-ends (`test` checks the connection without sending a trace).
    const turns = FRONT_ENDS.length + 1;
    await waitFor(() => server.traces.length >= turns, 30_000, 'the traces');
    await workerIdle(env);
    server.failNext(1, { kind: 'status', status: 400 });
    await simulate(box.project, box.codexHome, env).run(1);
    expect((await runHook('sh', 'PostToolUse', '{"torn', env)).code).toBe(0);
    expect((await runHook('node', 'Stop', 'x', env, { keepStdinOpen: true })).code).toBe(0);
    await workerIdle(env);
    await runWorkerProcess(env);
    expect(readHistory(env).map((r) => r.status)).toContain('dead');

    const entries = walk(box.stateDir);
    const wrong = entries.filter(
      (e) => (e.kind === 'dir' ? e.mode !== 0o700 : e.mode !== 0o600) || e.kind === 'link',
    );
    expect(wrong.map((e) => `${relative(box.stateDir, e.path)} ${e.kind} ${e.mode.toString(8)}`)).toEqual([]);
    expect(statSync(box.stateDir).mode & 0o777).toBe(0o700);
    for (const expected of [
      'credentials.json',
      'outbox',
      'dead',
      'history/history.jsonl',
      'logs/worker.log',
      'logs/hook.log',
      'spool/corrupt',
      'spool/sessions',
    ]) {
      expect(existsSync(join(box.stateDir, expected)), expected).toBe(true);
    }
    expect(elsewhere()).toEqual(before);
    console.log(
      `file-safety: ${entries.filter((e) => e.kind === 'file').length} files and ` +
        `${entries.filter((e) => e.kind === 'dir').length + 1} dirs created by the CLI, hooks and worker: all 0600/0700`,
    );
  }, 120_000);

  describe('planted symbolic links', () => {
    let box: Sandbox;
    let env: Record<string, string>;
    let victims: string;
    beforeEach(() => {
      box = makeCaptureSandbox({ agentId: AGENT, baseUrl: server.url });
      storeAgentSecret(box, { [AGENT]: SECRET });
      env = { ...box.env };
      victims = join(box.dir, 'other-user');
      mkdirSync(victims, { mode: 0o755 });
    });
    afterEach(async () => {
      await workerIdle(env);
      box.cleanup();
    });

    /** A file or directory of another user, with an old mtime, for a link to point at. */
    function victim(name: string, kind: 'file' | 'dir'): string {
      const path = join(victims, name);
      if (kind === 'dir') mkdirSync(path, { mode: 0o755 });
      else writeFileSync(path, `${name} belongs to someone else\n`, { mode: 0o644 });
      chownSync(path, OTHER_UID, OTHER_UID);
      const old = new Date(Date.now() - 86_400_000);
      utimesSync(path, old, old);
      return path;
    }

    const fingerprint = () =>
      Object.fromEntries(
        walk(victims).map((e) => {
          const stat = lstatSync(e.path);
          return [
            relative(victims, e.path),
            `${e.kind} ${e.mode.toString(8)} ${stat.uid} ${stat.mtimeMs} ${e.kind === 'file' ? readFileSync(e.path, 'utf8') : ''}`,
          ];
        }),
      );

    async function runPipeline(turns: number) {
      for (const frontEnd of FRONT_ENDS) {
        await simulate(box.project, box.env.CODEX_HOME as string, env, frontEnd).run(turns);
        // A hook whose stdin never closes writes a line to hook.log.
        expect((await runHook(frontEnd, 'Stop', 'x', env, { keepStdinOpen: true })).code).toBe(0);
      }
      // One of them is refused (400) and goes to dead/.
      await waitFor(() => server.traces.length >= FRONT_ENDS.length * turns - 1, 30_000, 'the traces');
      await workerIdle(env);
      await runWorkerProcess(env);
    }

    it.each([
      ['directories', ['spool/tmp', 'outbox', 'dead', 'history', 'logs', 'spool/sessions'], 'dir'],
      [
        'files',
        ['history/history.jsonl', 'logs/worker.log', 'logs/hook.log', 'worker.lock', 'worker.rerun'],
        'file',
      ],
    ] as const)(
      'are not followed for writes (%s), and what they point at is untouched',
      async (_label, planted, kind) => {
        for (const place of planted) {
          mkdirSync(dirname(join(box.state, place)), { recursive: true, mode: 0o700 });
          symlinkSync(victim(place.replaceAll('/', '_'), kind), join(box.state, place));
        }
        const before = fingerprint();
        // A dead trace, so that dead/ is written too.
        server.failNext(1, { kind: 'status', status: 400 });
        await runPipeline(2);
        expect(fingerprint()).toEqual(before);
        for (const place of planted) {
          if (place === 'worker.lock' || place === 'worker.rerun') {
            expect(existsSync(join(box.state, place)), place).toBe(false);
          } else {
            expect(lstatSync(join(box.state, place)).isSymbolicLink(), place).toBe(false);
          }
        }
        // Every turn accounted for: sent once, or dead with its reason.
        const history = readHistory(env);
        expect(history.filter((r) => r.status === 'dead')).toHaveLength(1);
        expect(server.traces).toHaveLength(FRONT_ENDS.length * 2 - 1);
        expect(new Set(server.traces.map((t) => JSON.stringify(t.body.environment))).size).toBe(
          FRONT_ENDS.length * 2 - 1,
        );
        console.log(
          `file-safety: ${planted.length} planted links (${planted.join(', ')}) replaced, never followed`,
        );
      },
      120_000,
    );
  });

  it('leaves the user’s Codex files theirs: links written through, planted backup links replaced, look-alikes and foreign tables kept', async () => {
    // Cases symlinked-codex-files and codex-writes-inside-our-block, and a look-alike of our hook.
    const box = makeCliSandbox();
    const dotfiles = join(box.home, 'dotfiles');
    mkdirSync(dotfiles);
    const lookAlike = {
      type: 'command',
      command: "'/opt/other-tool/dist/hook.sh' Stop '/usr/bin/node'",
      commandWindows: '"/usr/bin/node" "/opt/other-tool/dist/bin.cjs" hook Stop',
      timeout: 10,
    };
    const files = {
      'config.toml': '# mine\r\nmodel = "gpt-5.5"\r\n',
      'hooks.json': `${JSON.stringify({ hooks: { Stop: [{ hooks: [lookAlike] }] } }, null, 2)}\n`,
    };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(dotfiles, name), text);
      symlinkSync(join(dotfiles, name), join(box.codexHome, name));
      // A link planted where our backup goes: it must be replaced, and what it points at left alone.
      writeFileSync(victimOf(name), `${name} belongs to someone else\n`);
      symlinkSync(victimOf(name), join(box.codexHome, `${name}.infinium-codex.bak`));
    }
    const cli = async (args: string[], input?: string) => {
      const result = await runCli(box, args, { input });
      expect(result.stderr, args.join(' ')).toBe('');
      return result.stdout;
    };
    const init = ['init', '--yes', '--offline', '--agent-id', AGENT, '--agent-secret-stdin', '--no-keyring'];
    await cli(init, SECRET);
    // Codex adds a table of its own after our last table (as toml_edit does), then init and doctor --fix run.
    writeFileSync(
      join(dotfiles, 'config.toml'),
      `${readFileSync(join(dotfiles, 'config.toml'), 'utf8')}\r\n[mcp_servers.docs]\r\ncommand = "npx"\r\n`,
    );
    await cli([...init, '--capture', 'full'], SECRET);
    await cli(['doctor', '--fix']);
    const kinds = () =>
      Object.keys(files).map((name) => lstatSync(join(box.codexHome, name)).isSymbolicLink());
    expect(kinds()).toEqual([true, true]);
    for (const name of Object.keys(files)) {
      expect(lstatSync(join(box.codexHome, `${name}.infinium-codex.bak`)).isSymbolicLink()).toBe(false);
      expect(readFileSync(victimOf(name), 'utf8')).toBe(`${name} belongs to someone else\n`);
    }
    const hooks = JSON.parse(readFileSync(join(dotfiles, 'hooks.json'), 'utf8'));
    expect(hooks.hooks.Stop[0]).toEqual({ hooks: [lookAlike] });
    await cli(['uninstall']);
    expect(kinds()).toEqual([true, true]);
    expect(readFileSync(join(dotfiles, 'hooks.json'), 'utf8')).toBe(files['hooks.json']);
    expect(readFileSync(join(dotfiles, 'config.toml'), 'utf8')).toBe(
      `${files['config.toml']}\r\n[mcp_servers.docs]\r\ncommand = "npx"\r\n`,
    );
    console.log(
      'file-safety: symlinked config.toml and hooks.json written through and kept as links; 2 planted backup links replaced; ' +
        'a look-alike hook and a table Codex wrote after our block kept through init, doctor --fix and uninstall',
    );

    function victimOf(name: string): string {
      return join(box.root, `victim-${name}`);
    }
  }, 120_000);

  it('keeps history, logs, sent payloads and leftovers bounded', async () => {
    const box = makeCaptureSandbox({ agentId: AGENT, baseUrl: server.url });
    storeAgentSecret(box, { [AGENT]: SECRET });
    const env = { ...box.env };
    try {
      const paths = spoolPaths(env);
      for (const dir of [paths.spoolTmp, paths.corrupt, paths.sessions, paths.payloads, paths.logs]) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
      }
      const line = `${JSON.stringify({ time: new Date().toISOString(), key: 'old~t1', status: 'sent', steps: 1 })}\n`;
      appendFileSync(paths.historyFile, line.repeat(Math.ceil(HISTORY_MAX_BYTES / line.length) + 10));
      for (const log of [paths.workerLog, paths.hookLog]) appendFileSync(log, 'x'.repeat(LOG_MAX_BYTES + 10));
      const old = (days: number) => new Date(Date.now() - days * 86_400_000);
      const aged = (file: string, days: number, text = '{}') => {
        writeFileSync(file, text, { mode: 0o600 });
        utimesSync(file, old(days), old(days));
      };
      // Past the slack a prune waits for: the next send prunes back to the newest PAYLOADS_KEPT.
      for (let i = 0; i < PAYLOADS_KEPT + PAYLOADS_SLACK + 10; i += 1)
        aged(join(paths.payloads, `old-${i}.json`), 1);
      aged(join(paths.corrupt, '1-0.Stop.json'), 8);
      aged(join(paths.spoolTmp, '1-0'), 1);
      aged(join(paths.sessions, 'gone.json'), 31);

      await simulate(box.project, box.env.CODEX_HOME as string, env).run(2);
      await waitFor(() => server.traces.length >= 2, 30_000, 'the traces');
      await workerIdle(env);
      // A hook log line after the worker rotated: hook.log is rotated by the worker, not by the hook.
      await runWorkerProcess(env);

      const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);
      expect(size(paths.historyFile)).toBeLessThan(HISTORY_MAX_BYTES);
      expect(existsSync(`${paths.historyFile}.1`)).toBe(true);
      expect(readdirSync(paths.history).filter((n) => n.startsWith('history'))).toHaveLength(2);
      for (const log of [paths.workerLog, paths.hookLog]) {
        expect(size(log)).toBeLessThanOrEqual(LOG_MAX_BYTES);
        expect(size(`${log}.1`)).toBeGreaterThan(LOG_MAX_BYTES);
      }
      // The first send pruned back to the newest PAYLOADS_KEPT, the second added its own.
      expect(readdirSync(paths.payloads).length).toBe(PAYLOADS_KEPT + 1);
      expect(readdirSync(paths.corrupt)).toEqual([]);
      expect(readdirSync(paths.spoolTmp)).toEqual([]);
      expect(existsSync(join(paths.sessions, 'gone.json'))).toBe(false);
      const total = walk(box.state)
        .filter((e) => e.kind === 'file')
        .reduce((sum, e) => sum + statSync(e.path).size, 0);
      console.log(
        `file-safety: bounded growth: history ${size(paths.historyFile)} B + ${size(`${paths.historyFile}.1`)} B rotated, ` +
          `worker.log ${size(paths.workerLog)} B, ${readdirSync(paths.payloads).length} payloads kept, ` +
          `state dir ${(total / 1024 / 1024).toFixed(1)} MB in all`,
      );
    } finally {
      await workerIdle(env);
      box.cleanup();
    }
  }, 120_000);
});
