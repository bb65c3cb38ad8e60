// The two hook front-ends, run as Codex runs them (real child processes, payload through a pipe). The
// dist dir used here has no worker.mjs, so the worker a turn-ending event starts finds nothing to run and
// the spool stays as the hook left it.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spooledBytes } from '../../src/spool/events';
import { splitSpoolEntry } from '../../src/spool/session-env';
import {
  codexSession,
  DIST,
  type EventSequence,
  FRONT_ENDS,
  type FrontEnd,
  feed,
  hookCommand,
  hookShellCommand,
  makeSandbox,
  runHook,
  runProcess,
  type Sandbox,
  spoolNames,
  waitFor,
} from '../support/capture-harness';

let hookDist: string;
let box: Sandbox;
beforeAll(() => {
  hookDist = mkdtempSync(join(tmpdir(), 'infinium-hook-dist-'));
  copyFileSync(join(DIST, 'hook.sh'), join(hookDist, 'hook.sh'));
  copyFileSync(join(DIST, 'bin.cjs'), join(hookDist, 'bin.cjs'));
  const mode = statSync(join(DIST, 'hook.sh')).mode;
  expect(mode & 0o755).toBe(0o755);
});
afterAll(() => rmSync(hookDist, { recursive: true, force: true }));
beforeEach(() => {
  box = makeSandbox();
});
afterEach(() => box.cleanup());

/** The spool in arrival order: the event part of each name (pid and sequence differ by nature) and its bytes. */
function spoolContents(state: string) {
  const dir = join(state, 'spool');
  return spoolNames(state)
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name))
    .map(({ name }) => {
      const match = /^(\d+)-(\d+)\.([A-Za-z]+)\.json$/.exec(name);
      expect(match, name).not.toBeNull();
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
      return { event: match?.[3], seq: match?.[2], bytes: spooledBytes(join(dir, name)).toString('base64') };
    });
}

const frontEnds = FRONT_ENDS;

describe('hook front-ends', () => {
  it('write identical spools for the same payload sequence', async () => {
    const s = codexSession('019a-sess', '/home/dev/project', '/home/dev/.codex/sessions/r.jsonl');
    const fixture = readFileSync(
      join(import.meta.dirname, '../fixtures/codex-0.169.0/hook-payloads.jsonl'),
      'utf8',
    )
      .split('\n')
      .filter(Boolean)
      .map((line): [string, string] => [
        (JSON.parse(line) as { hook_event_name: string }).hook_event_name,
        line,
      ]);
    const sequence: EventSequence = [
      ...fixture,
      ['UserPromptSubmit', s.prompt('t1', 'héllo \u{1F600} "quoted" \\ back')],
      ['PreToolUse', s.preTool('t1', 'c1', 'printf "a\\nb"')],
      ['SubagentStop', s.subagent('SubagentStop', 'agent-1', 't1')],
      ['Interrupt', s.interrupt('t1')],
      ['PostToolUse', 'not json at all'],
    ];
    const results: ReturnType<typeof spoolContents>[] = [];
    for (const frontEnd of frontEnds) {
      const one = makeSandbox();
      const runs = await feed(frontEnd, sequence, one.env, hookDist);
      expect(runs.every((r) => r.code === 0 && r.stdout === '' && r.stderr === '')).toBe(true);
      results.push(spoolContents(one.state));
      expect(statSync(join(one.state, 'spool')).mode & 0o777).toBe(0o700);
      expect(statSync(one.state).mode & 0o777).toBe(0o700);
      one.cleanup();
    }
    expect(results[0]).toHaveLength(sequence.length);
    for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    expect(results[0]?.map((r) => Buffer.from(r.bytes, 'base64').toString())).toEqual(
      sequence.map(([, p]) => p),
    );
  });

  it.each(frontEnds)(
    '%s: exits 0 silently on bad input, keeping what is a payload byte for byte',
    async (frontEnd) => {
      const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
      const big = Buffer.alloc(50 * 1024 * 1024, 'a');
      const cases: [string, string | Buffer | null][] = [
        ['Stop', '{"session_id": "s", "hook_event_name": "Stop", '],
        ['UserPromptSubmit', ''],
        ['PostToolUse', invalidUtf8],
        ['PostToolUse', big],
        ['../../etc/passwd', '{"a":1}'],
      ];
      for (const [event, payload] of cases) {
        const run = await runHook(frontEnd, event, payload, box.env, { dist: hookDist });
        expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      }
      const names = spoolNames(box.state).sort();
      expect(names.map((n) => n.replace(/^\d+-\d+\./, '')).sort()).toEqual([
        'PostToolUse.json',
        'PostToolUse.json',
        'Stop.json',
        'Unknown.json',
      ]);
      const sizes = names.map((n) => spooledBytes(join(box.state, 'spool', n)).length).sort((a, b) => a - b);
      expect(sizes).toEqual([7, 8, 47, big.length]);
      const utf8File = names.find(
        (n) => spooledBytes(join(box.state, 'spool', n)).length === 8 && n.includes('PostToolUse'),
      );
      expect(spooledBytes(join(box.state, 'spool', utf8File as string))).toEqual(invalidUtf8);
      // Each published name is an empty marker of a temp file holding its payload; no temp is left over.
      const temps = readdirSync(join(box.state, 'spool', 'tmp'));
      expect(temps.sort()).toEqual(names.map((n) => n.replace(/\.[A-Za-z]+\.json$/, '')).sort());
      expect(names.every((n) => statSync(join(box.state, 'spool', n)).size === 0)).toBe(true);
    },
  );

  it.each(frontEnds)(
    '%s: gives up on a stdin that is never closed, within a bounded wait',
    async (frontEnd) => {
      const started = Date.now();
      const run = await runHook(frontEnd, 'Stop', '{"partial":', box.env, {
        dist: hookDist,
        keepStdinOpen: true,
      });
      expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(spoolNames(box.state)).toEqual([]);
      expect(readFileSync(join(box.state, 'logs', 'hook.log'), 'utf8')).toContain('stdin still open');
    },
  );

  it.each(frontEnds)('%s: exits 0 silently when the state dir cannot be written', async (frontEnd) => {
    const blocker = join(box.dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const env = { ...box.env, INFINIUM_CODEX_HOME: join(blocker, 'state') };
    const run = await runHook(frontEnd, 'Stop', '{"session_id":"s"}', env, { dist: hookDist });
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it.each(frontEnds)(
    '%s: exits 0 silently when the payload cannot be written (file size limit, as a full disk)',
    async (frontEnd) => {
      const hook = hookShellCommand(frontEnd, 'PostToolUse', { dist: hookDist });
      const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn('sh', ['-c', `ulimit -f 8; ${hook}`], {
          env: box.env,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d) => {
          output += d;
        });
        child.stderr.on('data', (d) => {
          output += d;
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(JSON.stringify({ session_id: 's', big: 'x'.repeat(100_000) }));
        child.on('close', (code) => resolve({ code, output }));
      });
      expect(run).toEqual({ code: 0, output: '' });
      expect(spoolNames(box.state)).toEqual([]);
      expect(readdirSync(join(box.state, 'spool', 'tmp'))).toEqual([]);
      expect(readFileSync(join(box.state, 'logs', 'hook.log'), 'utf8')).toMatch(
        /could not store the payload|EFBIG/,
      );
    },
  );

  it.each(frontEnds)(
    '%s: never overwrites an entry left by an earlier process with the same pid',
    async (frontEnd) => {
      const spoolDir = join(box.state, 'spool');
      mkdirSync(join(spoolDir, 'tmp'), { recursive: true, mode: 0o700 });
      // The wrapper shell creates what a dead process with its pid could have left, then becomes the hook.
      const hook = hookShellCommand(frontEnd, 'UserPromptSubmit', { dist: hookDist });
      const script = `echo old > '${spoolDir}'/$$-0.UserPromptSubmit.json; : > '${spoolDir}'/tmp/$$-1; ${hook}`;
      await new Promise<void>((resolve) => {
        const child = spawn('sh', ['-c', script], { env: box.env, stdio: ['pipe', 'ignore', 'ignore'] });
        child.stdin.end('{"new":true}');
        child.on('close', () => resolve());
      });
      const names = spoolNames(box.state).sort();
      expect(names.map((n) => n.replace(/^\d+-/, ''))).toEqual([
        '0.UserPromptSubmit.json',
        '2.UserPromptSubmit.json',
      ]);
      expect(spooledBytes(join(spoolDir, names[0] as string)).toString()).toBe('old\n');
      expect(spooledBytes(join(spoolDir, names[1] as string)).toString()).toBe('{"new":true}');
    },
  );

  it("records the session's tracing settings after the payload (the secret only as set), alike in every front-end", async () => {
    // env-bleed-across-sessions: the worker that builds this session's turns may run in another's env.
    const payload = codexSession('s-env', '/home/dev/project').postTool('t1', 'c1', 'ls', 'a\nb');
    const env = {
      INFINIUM_AGENT_ID: 'agent-%s \\n\nnext',
      INFINIUM_CODEX_CONTENT_MODE: 'metadata',
      INFINIUM_CODEX_RUN_ID: 'run-7',
      INFINIUM_AGENT_SECRET: 'ik_live_never_in_the_spool_0123456789',
    };
    const spools: Buffer[] = [];
    for (const frontEnd of frontEnds) {
      const one = makeSandbox();
      const run = await runHook(frontEnd, 'PostToolUse', payload, { ...one.env, ...env }, { dist: hookDist });
      expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      spools.push(spooledBytes(join(one.state, 'spool', spoolNames(one.state)[0] as string)));
      one.cleanup();
    }
    for (const spool of spools.slice(1)) expect(spool).toEqual(spools[0]);
    const bytes = spools[0] as Buffer;
    expect(bytes.toString()).not.toContain('ik_live_never');
    expect(splitSpoolEntry(bytes)).toEqual({
      payload: Buffer.from(payload),
      env: {
        INFINIUM_AGENT_ID: env.INFINIUM_AGENT_ID,
        INFINIUM_CODEX_CONTENT_MODE: 'metadata',
        INFINIUM_CODEX_RUN_ID: 'run-7',
        INFINIUM_AGENT_SECRET: 'set',
      },
    });
  });

  it.each(frontEnds)(
    '%s: spools nothing for a session with tracing off, a relative INFINIUM_CODEX_HOME or HOME (misc-low, attack21 F8)',
    async (frontEnd) => {
      const relative = `relstate-${process.pid}-${frontEnd}`;
      const relativeHome = `relhome-${process.pid}-${frontEnd}`;
      try {
        for (const env of [
          { ...box.env, INFINIUM_CODEX_DISABLED: '1' },
          { ...box.env, INFINIUM_CODEX_DISABLED: 'Yes' },
          { ...box.env, INFINIUM_CODEX_HOME: relative },
          { ...box.env, INFINIUM_CODEX_HOME: '', HOME: relativeHome },
        ]) {
          const run = await runHook(frontEnd, 'Stop', '{"session_id":"s"}', env, { dist: hookDist });
          expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
        }
        expect(existsSync(box.state)).toBe(false);
        expect(existsSync(relative)).toBe(false);
        expect(existsSync(relativeHome)).toBe(false);
        // Off means off only for those values: these sessions are traced.
        for (const off of ['0', 'FALSE', 'no']) {
          await runHook(
            frontEnd,
            'PostToolUse',
            '{}',
            { ...box.env, INFINIUM_CODEX_DISABLED: off },
            {
              dist: hookDist,
            },
          );
        }
        expect(spoolNames(box.state)).toHaveLength(3);
      } finally {
        rmSync(relative, { recursive: true, force: true });
        rmSync(relativeHome, { recursive: true, force: true });
      }
    },
  );

  it.runIf(process.getuid?.() === 0).each(frontEnds)(
    "%s: spools through a link of the user's to the state folder, never through another user's (attack21b N9)",
    async (frontEnd) => {
      const real = `${box.state}-real`;
      mkdirSync(real, { mode: 0o700 });
      symlinkSync(real, box.state);
      const stop = () => runHook(frontEnd, 'PostToolUse', '{"session_id":"s"}', box.env, { dist: hookDist });
      expect(await stop()).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(spoolNames(real)).toHaveLength(1);
      lchownSync(box.state, 4242, 4242);
      expect(await stop()).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(spoolNames(real)).toHaveLength(1);
    },
  );

  it.each(frontEnds)('%s: exits 0 and prints nothing when stdin is closed (misc-low)', async (frontEnd) => {
    const [command, args] = hookCommand(frontEnd, 'Stop', { dist: hookDist });
    const run = await runProcess('sh', ['-c', '"$0" "$@" <&-', command, ...args], null, box.env);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(spoolNames(box.state)).toEqual([]);
  });

  it.each(frontEnds)('%s: keeps every event when many hooks run at once', async (frontEnd) => {
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        runHook(frontEnd, 'PostToolUse', JSON.stringify({ n: i }), box.env, { dist: hookDist }),
      ),
    );
    expect(runs.every((r) => r.code === 0)).toBe(true);
    const contents = spoolNames(box.state).map((n) => spooledBytes(join(box.state, 'spool', n)).toString());
    expect(contents.sort()).toEqual(Array.from({ length: 12 }, (_, i) => JSON.stringify({ n: i })).sort());
  });
});

describe('worker start on a turn-ending event', () => {
  let markerDist: string;
  beforeAll(() => {
    // A worker that only records that it was started.
    markerDist = mkdtempSync(join(tmpdir(), 'infinium-marker-dist-'));
    copyFileSync(join(DIST, 'hook.sh'), join(markerDist, 'hook.sh'));
    copyFileSync(join(DIST, 'bin.cjs'), join(markerDist, 'bin.cjs'));
    writeFileSync(
      join(markerDist, 'worker.mjs'),
      // Its args and stdin too: a session with its own secret hands its worker the spool entry. Its niceness
      // after a moment: the Node front-end lowers the priority of the worker it has started (os.setPriority).
      "import { appendFileSync, readFileSync } from 'node:fs';\nimport { getPriority } from 'node:os';\n" +
        "const input = readFileSync(0, 'utf8');\nsetTimeout(() => appendFileSync(process.env.MARKER, " +
        "'started ' + process.argv.slice(2) + ' ' + input + " +
        // Where it finds NODE_EXTRA_CA_CERTS's file.
        "' ca=' + process.env.NODE_EXTRA_CA_CERTS + '|' + process.env.INFINIUM_CODEX_EXTRA_CA_CERTS + " +
        "' nice=' + getPriority() + '\\n'), 300);\n",
    );
  });
  afterAll(() => rmSync(markerDist, { recursive: true, force: true }));

  const deadPid = () => {
    const child = spawn(process.execPath, ['-e', '0']);
    return new Promise<number>((resolve) => child.on('close', () => resolve(child.pid as number)));
  };

  /**
   * Plants a lock for `pid` whose mtime is `aheadMs` from now, runs a Stop hook, and says what happened:
   * waiting for a worker when one should start, and long enough to see one that should not.
   */
  async function stopWithLock(
    frontEnd: FrontEnd,
    lock: { pid: number; aheadMs: number } | null,
    shouldStart: boolean,
  ) {
    const marker = join(box.dir, 'started');
    mkdirSync(box.state, { recursive: true, mode: 0o700 });
    const lockFile = join(box.state, 'worker.lock');
    if (lock) {
      writeFileSync(lockFile, JSON.stringify({ pid: lock.pid, token: 'holder' }));
      const at = new Date(Date.now() + lock.aheadMs);
      utimesSync(lockFile, at, at);
    }
    const run = await runHook(
      frontEnd,
      'Stop',
      '{"hook_event_name":"Stop"}',
      { ...box.env, MARKER: marker },
      {
        dist: markerDist,
      },
    );
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(spoolNames(box.state)).toHaveLength(1);
    // A started worker is a detached process: give it time to write its mark (a Node start: well under
    // 1.5 s when nothing else runs, longer on a loaded machine).
    const deadline = Date.now() + 15_000;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    while (shouldStart && !existsSync(marker) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      started: existsSync(marker),
      rerunRequested: existsSync(join(box.state, 'worker.rerun')),
    };
  }

  it.each(frontEnds)(
    '%s: leaves a rerun request, and starts nothing, when a live worker holds the lock',
    async (frontEnd) => {
      expect(await stopWithLock(frontEnd, { pid: process.pid, aheadMs: 15_000 }, false)).toEqual({
        started: false,
        rerunRequested: true,
      });
    },
  );

  it.each(frontEnds)(
    '%s: a session started with its own secret starts its own worker even when one is at work, handing it the entry',
    async (frontEnd) => {
      // env-bleed-across-sessions: that worker keeps the secret for the session; the spool only says "set".
      const marker = join(box.dir, 'started');
      mkdirSync(box.state, { recursive: true, mode: 0o700 });
      const lockFile = join(box.state, 'worker.lock');
      writeFileSync(lockFile, JSON.stringify({ pid: process.pid, token: 'holder' }));
      const at = new Date(Date.now() + 15_000);
      utimesSync(lockFile, at, at);
      const payload = '{"hook_event_name":"Stop","session_id":"s-own"}';
      const env = { ...box.env, MARKER: marker, INFINIUM_AGENT_SECRET: 'ik_live_own_secret_0123456789' };
      const run = await runHook(frontEnd, 'Stop', payload, env, { dist: markerDist });
      expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      await waitFor(() => existsSync(marker), 15_000, 'the worker');
      const started = readFileSync(marker, 'utf8');
      expect(started.startsWith(`started --session-secret ${payload}\0env1\0`)).toBe(true);
      expect(started).not.toContain('ik_live_own_secret');
      expect(existsSync(join(box.state, 'worker.rerun'))).toBe(false);
    },
  );

  it.each(frontEnds)(
    '%s: a prompt starts a worker only while another prompt waits in the spool (a turn ended without Stop)',
    async (frontEnd) => {
      const marker = join(box.dir, 'started');
      const env = { ...box.env, MARKER: marker };
      const prompt = (turn: string) =>
        runHook(
          frontEnd,
          'UserPromptSubmit',
          `{"hook_event_name":"UserPromptSubmit","turn_id":"${turn}"}`,
          env,
          {
            dist: markerDist,
          },
        );
      // The first prompt, and tool events of its turn, start nothing.
      expect(await prompt('t1')).toEqual({ code: 0, stdout: '', stderr: '' });
      await runHook(frontEnd, 'PostToolUse', '{"hook_event_name":"PostToolUse"}', env, { dist: markerDist });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(existsSync(marker)).toBe(false);
      // Turn t1 failed (Codex 0.171 fires no Stop then): the next prompt finds t1's prompt still spooled.
      expect(await prompt('t2')).toEqual({ code: 0, stdout: '', stderr: '' });
      await waitFor(() => existsSync(marker), 15_000, 'the worker');
    },
  );

  it.each(frontEnds)('%s: starts a worker when there is no lock, at a lower priority', async (frontEnd) => {
    expect(await stopWithLock(frontEnd, null, true)).toEqual({ started: true, rerunRequested: false });
    // Niceness 10 more than the hook's: its start and build yield the CPU to Codex.
    const nice = Math.min(19, getPriority() + 10);
    expect(readFileSync(join(box.dir, 'started'), 'utf8').endsWith(` nice=${nice}\n`)).toBe(true);
  });

  it.each(frontEnds)(
    '%s: hands NODE_EXTRA_CA_CERTS over for the worker to read itself, unless NODE_OPTIONS is set',
    async (frontEnd) => {
      // Node would parse the file at the worker's start; the worker reads it only for an HTTPS request.
      const marker = join(box.dir, 'started');
      // A real file: the Node front-end's own start reads it (a missing one would be warned of on stderr).
      const ca = join(box.dir, 'extra ca.pem');
      copyFileSync(join(import.meta.dirname, '../fixtures/tls/ca.pem'), ca);
      const cases: [string, string][] = [
        ['', `ca=undefined|${ca} `],
        ['--use-openssl-ca', `ca=${ca}|undefined `],
      ];
      for (const [options, seen] of cases) {
        rmSync(marker, { force: true });
        const env = { ...box.env, MARKER: marker, NODE_EXTRA_CA_CERTS: ca, NODE_OPTIONS: options };
        const run = await runHook(frontEnd, 'Stop', '{"hook_event_name":"Stop"}', env, { dist: markerDist });
        expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
        await waitFor(() => existsSync(marker), 15_000, 'the worker');
        expect(readFileSync(marker, 'utf8')).toContain(seen);
      }
    },
  );

  it.each(frontEnds)('%s: starts a worker when the holder is dead', async (frontEnd) => {
    const pid = await deadPid();
    expect(await stopWithLock(frontEnd, { pid, aheadMs: 15_000 }, true)).toEqual({
      started: true,
      rerunRequested: false,
    });
  });

  it.each(frontEnds)(
    '%s: starts a worker when the holder stopped refreshing the lock (frozen, or its pid reused)',
    async (frontEnd) => {
      expect(await stopWithLock(frontEnd, { pid: process.pid, aheadMs: -2_000 }, true)).toEqual({
        started: true,
        rerunRequested: false,
      });
    },
  );
});
