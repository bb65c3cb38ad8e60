// A state folder that is not the user's alone is refused (issue 21, kind 3; case
// state-root-owned-by-another-user): one made by another local user, or one others may write to, decides
// where the secret and the traces go (its config.json, credentials, spool). Every command refuses it in
// one sentence; the hooks (every front-end) exit 0 in silence and write nothing there; the worker does
// nothing. The other user's server never hears from us, and the folder is left as it was found.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, FRONT_ENDS, hookCommand, runHook, runProcess } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox, snapshot } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { makeOtherUser, type OtherUser, otherUserUnavailable } from '../support/other-user';
import { twoTurns } from '../support/recorded-turns';

const AGENT = 'ag1';
const SECRET = 'sk-state-root-secret-5150';
const COMMANDS = [
  ['status'],
  ['doctor'],
  ['history'],
  ['results'],
  ['retry'],
  ['view', '--no-open'],
  ['import', '--since', '7d', '--dry-run'],
  ['test'],
  ['pause'],
  ['uninstall', '--purge'],
];

let ours: StandIn;
let theirs: StandIn;
beforeAll(async () => {
  ours = await startStandIn({ [AGENT]: SECRET });
  // The other user's server, which would take the secret as it takes any.
  theirs = await startStandIn({ [AGENT]: SECRET });
});
afterAll(async () => {
  await ours.close();
  await theirs.close();
});

/** A folder in a shared place (1777, as /tmp) set up as the other user would, with their config in it. */
function plantedState(owner: { uid: number; gid: number } | null, mode: number): string {
  const shared = mkdtempSync(join(tmpdir(), 'icx-shared-'));
  chmodSync(shared, 0o1777);
  const state = join(shared, 'ic-state');
  mkdirSync(state);
  writeFileSync(join(state, 'config.json'), JSON.stringify({ agentId: AGENT, baseUrl: theirs.url }));
  writeFileSync(join(state, 'credentials.json'), JSON.stringify({ agents: {} }));
  writeFileSync(join(state, 'notes.txt'), 'not ours');
  chmodSync(state, mode);
  if (owner)
    for (const name of ['', 'config.json', 'credentials.json', 'notes.txt']) {
      chownSync(join(state, name), owner.uid, owner.gid);
    }
  return state;
}

function described(state: string): {
  tree: Record<string, string>;
  names: string[];
  uid: number;
  mode: number;
} {
  const stat = lstatSync(state);
  return { tree: snapshot(state), names: readdirSync(state).sort(), uid: stat.uid, mode: stat.mode & 0o7777 };
}

/** Every command refuses the folder in one sentence; hooks and the worker leave it alone; nothing is sent. */
async function expectRefused(
  sandbox: Sandbox,
  state: string,
  sentence: RegExp,
  usersOwn = false,
): Promise<void> {
  const before = described(state);
  const env = { INFINIUM_CODEX_HOME: state };
  const init = await runCli(sandbox, initArgs(AGENT, ours.url, '--all-projects'), { input: SECRET, env });
  expect(init.code).toBe(1);
  expect(init.stderr).toMatch(sentence);
  expect(init.stderr.trim().split('\n')).toHaveLength(1);
  for (const args of COMMANDS) {
    const run = await runCli(sandbox, args, { env });
    expect(run.code, args.join(' ')).toBe(1);
    expect(run.stderr, args.join(' ')).toMatch(sentence);
    expect(run.stdout, args.join(' ')).toBe('');
  }
  // The user's Codex runs a turn with the folder named: every front-end stays silent and writes nothing.
  const hookEnv = { ...sandbox.env, INFINIUM_CODEX_HOME: state };
  for (const frontEnd of FRONT_ENDS) {
    for (const { event, payload } of twoTurns(sandbox)) {
      expect(await runHook(frontEnd, event, payload, hookEnv), `${frontEnd} ${event}`).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
    }
  }
  const worker = spawn(process.execPath, [join(DIST, 'worker.mjs'), '--retry'], {
    env: hookEnv,
    stdio: 'ignore',
  });
  expect(await new Promise((resolve) => worker.on('close', resolve))).toBe(0);
  expect(theirs.requests).toEqual([]);
  if (!usersOwn) {
    expect(described(state)).toEqual(before);
    return;
  }
  // A folder of the user's own that others may write to: the hooks keep their events in it (they cannot
  // tell its mode without starting a program), in 0700 folders of 0600 files no one else can read; nothing
  // else in it changed, and nothing was read or sent from it.
  const after = described(state);
  expect({ ...after, tree: undefined, names: undefined }).toEqual({
    ...before,
    tree: undefined,
    names: undefined,
  });
  // (Our own files in it may have been closed to 0600: their contents are what they were.)
  const content = (entry: string | undefined) => entry?.replace(/^\d+ /, '');
  for (const [name, entry] of Object.entries(before.tree))
    expect(content(after.tree[name])).toBe(content(entry));
  for (const name of Object.keys(after.tree).filter((name) => !(name in before.tree))) {
    expect(name).toMatch(/^(spool|logs)\//);
    expect(after.tree[name]?.split(' ')[0]).toBe('600');
  }
}

describe('a state folder that is not the user’s alone', () => {
  it('ours but writable by others, holding files not ours: refused, left as it was', async () => {
    const sandbox = makeSandbox();
    const state = plantedState(null, 0o777);
    await expectRefused(
      sandbox,
      state,
      new RegExp(
        `^Error: The state folder ${state} can be written by other users \\(mode 0777\\) and holds files that are not ours, so it is not used: run \`chmod go-w ${state}\`, or set INFINIUM_CODEX_HOME to a folder of your own\\.\\n$`,
      ),
      true,
    );
  }, 120_000);

  it('ours and holding only our files: closed to 0700 and used', async () => {
    const sandbox = makeSandbox();
    const state = join(mkdtempSync(join(tmpdir(), 'icx-own-')), 'ic-state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    const env = { INFINIUM_CODEX_HOME: state };
    expect((await runCli(sandbox, initArgs(AGENT, ours.url), { input: SECRET, env })).code).toBe(0);
    expect(lstatSync(state).mode & 0o777).toBe(0o700);
  });

  const unavailable = otherUserUnavailable();
  if (unavailable) console.warn(`state folder of another user: skipped (${unavailable})`);
  describe.skipIf(unavailable !== null)('made by another local user', () => {
    let other: OtherUser;
    beforeAll(() => {
      other = makeOtherUser();
    });
    afterAll(() => other?.remove());

    it.each([0o777, 0o755, 0o1777])(
      'mode %o: refused by every command, ignored by hooks and worker',
      async (mode) => {
        const sandbox = makeSandbox();
        const state = plantedState(other, mode);
        await expectRefused(
          sandbox,
          state,
          new RegExp(
            `^Error: The state folder ${state} belongs to another user \\(uid ${other.uid}\\), who could change where your secret and traces go, so it is not used: set INFINIUM_CODEX_HOME to a folder of your own\\.\\n$`,
          ),
        );
      },
      180_000,
    );
  });
});

/** An event, run the way Codex runs it but through `sh -c '<setup>; exec <hook>'`: the hook keeps sh's pid. */
function eventThrough(
  frontEnd: (typeof FRONT_ENDS)[number],
  event: 'UserPromptSubmit' | 'Stop',
  setup: string,
  env: Record<string, string>,
) {
  const [command, args] = hookCommand(frontEnd, event, {});
  const payload = JSON.stringify({
    hook_event_name: event,
    session_id: '55555555-5555-4555-8555-555555555555',
    ...(event === 'UserPromptSubmit' ? { prompt: 'SECRET-PROMPT-TEXT' } : {}),
  });
  // Killed well before Codex would (10 s): a hook that blocks is what these tests catch.
  return runProcess('sh', ['-c', `${setup} && exec "$@"`, 'sh', command, ...args], payload, env, {
    timeoutMs: 6_000,
  });
}

const promptThrough = (frontEnd: (typeof FRONT_ENDS)[number], setup: string, env: Record<string, string>) =>
  eventThrough(frontEnd, 'UserPromptSubmit', setup, env);

const spooled = (state: string, event: string) =>
  readdirSync(join(state, 'spool')).filter((name) => name.endsWith(`.${event}.json`));
const spooledPrompts = (state: string) => spooled(state, 'UserPromptSubmit');

/** The sandbox's state folder (0700) with our folders made, as after a first event. */
function stateWithFolders(sandbox: Sandbox): string {
  mkdirSync(join(sandbox.stateDir, 'spool', 'tmp'), { recursive: true, mode: 0o700 });
  mkdirSync(join(sandbox.stateDir, 'logs'), { mode: 0o700 });
  return sandbox.stateDir;
}

/** Sets a file's mtime far ahead: a lock whose holder promised to refresh it, to the hooks. */
function ahead(file: string): string {
  const later = new Date('2030-01-01T00:00:00Z');
  utimesSync(file, later, later);
  return file;
}

/** The kind of an entry, read without opening it (a FIFO would block a read). */
const isFifo = (path: string) => lstatSync(path).isFIFO();

describe('FIFOs where the hooks write (issue 21, kind 3; attack21c C5)', () => {
  it('a FIFO under the temp name the hook will take: skipped, never opened; the event is kept', async () => {
    for (const frontEnd of FRONT_ENDS) {
      const sandbox = makeSandbox();
      const tmp = join(sandbox.stateDir, 'spool', 'tmp');
      mkdirSync(tmp, { recursive: true, mode: 0o700 });
      mkdirSync(join(sandbox.stateDir, 'logs'), { mode: 0o700 });
      const run = await promptThrough(frontEnd, `mkfifo "${tmp}/$$-0"`, sandbox.env);
      expect(run, frontEnd).toEqual({ code: 0, stdout: '', stderr: '' });
      const [entry, ...more] = spooledPrompts(sandbox.stateDir);
      expect(more, frontEnd).toEqual([]);
      expect(entry, frontEnd).toMatch(/^\d+-1\.UserPromptSubmit\.json$/);
      expect(lstatSync(join(tmp, `${entry?.split('-')[0]}-0`)).isFIFO(), frontEnd).toBe(true);
    }
  }, 60_000);

  it('a FIFO as logs/hook.log: never opened, so it cannot block the hook; the event is kept', async () => {
    for (const frontEnd of FRONT_ENDS) {
      const sandbox = makeSandbox();
      mkdirSync(join(sandbox.stateDir, 'spool', 'tmp'), { recursive: true, mode: 0o700 });
      mkdirSync(join(sandbox.stateDir, 'logs'), { mode: 0o700 });
      execFileSync('mkfifo', [join(sandbox.stateDir, 'logs', 'hook.log')]);
      const run = await promptThrough(frontEnd, 'true', sandbox.env);
      expect(run, frontEnd).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(spooledPrompts(sandbox.stateDir), frontEnd).toHaveLength(1);
    }
  }, 60_000);

  // The "ask a busy worker to run again" step of a turn-ending event reads worker.lock and appends to
  // worker.rerun (attack21d V5a): the worker is started instead.
  it('a FIFO as worker.lock, newer than the event: never opened, so a Stop cannot block; the event is kept', async () => {
    for (const frontEnd of FRONT_ENDS) {
      const sandbox = makeSandbox();
      const state = stateWithFolders(sandbox);
      execFileSync('mkfifo', [join(state, 'worker.lock')]);
      ahead(join(state, 'worker.lock'));
      const run = await eventThrough(frontEnd, 'Stop', 'true', sandbox.env);
      expect(run, frontEnd).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(spooled(state, 'Stop'), frontEnd).toHaveLength(1);
      expect(isFifo(join(state, 'worker.lock')), frontEnd).toBe(true);
    }
  }, 60_000);

  it('a FIFO as worker.rerun beside a busy worker’s lock: never opened, so a Stop cannot block; the event is kept', async () => {
    for (const frontEnd of FRONT_ENDS) {
      const sandbox = makeSandbox();
      const state = stateWithFolders(sandbox);
      // A live process (this test's) as the lock's holder.
      writeFileSync(join(state, 'worker.lock'), JSON.stringify({ pid: process.pid }));
      ahead(join(state, 'worker.lock'));
      execFileSync('mkfifo', [join(state, 'worker.rerun')]);
      const run = await eventThrough(frontEnd, 'Stop', 'true', sandbox.env);
      expect(run, frontEnd).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(spooled(state, 'Stop'), frontEnd).toHaveLength(1);
      expect(isFifo(join(state, 'worker.rerun')), frontEnd).toBe(true);
    }
  }, 60_000);

  const unavailable = otherUserUnavailable();
  if (unavailable) console.warn(`folders of another user in the state folder: skipped (${unavailable})`);
  describe.skipIf(unavailable !== null)('folders another user made in a state folder of the user’s', () => {
    let other: OtherUser;
    beforeAll(() => {
      other = makeOtherUser();
    });
    afterAll(() => other?.remove());

    /** Every path under `dir` with its type, read without opening anything (a FIFO would block a read). */
    const listing = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .map((name) => `${name} ${lstatSync(join(dir, name)).isFIFO() ? 'fifo' : 'other'}`)
        .sort();

    /**
     * The user's own state folder left open (made with umask 0), with `theirs` (0777) inside it and ours
     * (0700) where theirs needs a parent.
     */
    function openState(theirs: string): string {
      const state = join(mkdtempSync(join(tmpdir(), 'icx-open-')), 'ic-state');
      mkdirSync(join(state, theirs), { recursive: true, mode: 0o700 });
      chmodSync(state, 0o777);
      chmodSync(join(state, theirs), 0o777);
      chownSync(join(state, theirs), other.uid, other.gid);
      return state;
    }

    it.each([
      ['spool/', 'spool'],
      ['spool/tmp/ (in our spool/)', 'spool/tmp'],
      ['logs/, holding a FIFO as hook.log', 'logs'],
    ])(
      'theirs: %s every front-end exits 0 at once and writes nothing into it',
      async (_what, theirs) => {
        for (const frontEnd of FRONT_ENDS) {
          const sandbox = makeSandbox();
          const state = openState(theirs);
          if (theirs === 'spool') mkdirSync(join(state, 'spool', 'tmp'));
          if (theirs === 'logs') {
            execFileSync('mkfifo', ['-m', '666', join(state, 'logs', 'hook.log')]);
            chownSync(join(state, 'logs', 'hook.log'), other.uid, other.gid);
          }
          const before = listing(join(state, theirs));
          const run = await promptThrough(frontEnd, 'true', { ...sandbox.env, INFINIUM_CODEX_HOME: state });
          expect(run, frontEnd).toEqual({ code: 0, stdout: '', stderr: '' });
          expect(listing(join(state, theirs)), frontEnd).toEqual(before);
          expect(existsSync(join(state, 'spool')) ? spooledPrompts(state) : [], frontEnd).toEqual([]);
        }
      },
      60_000,
    );

    it('theirs: a busy worker’s lock (a live pid, mtime ahead) is no worker of ours: no request is left for it', async () => {
      for (const frontEnd of FRONT_ENDS) {
        const sandbox = makeSandbox();
        const state = stateWithFolders(sandbox);
        writeFileSync(join(state, 'worker.lock'), JSON.stringify({ pid: process.pid }));
        chownSync(ahead(join(state, 'worker.lock')), other.uid, other.gid);
        const run = await eventThrough(frontEnd, 'Stop', 'true', sandbox.env);
        expect(run, frontEnd).toEqual({ code: 0, stdout: '', stderr: '' });
        expect(spooled(state, 'Stop'), frontEnd).toHaveLength(1);
        // The worker started instead refuses the folder (another user's entry in it) and writes nothing.
        expect(existsSync(join(state, 'worker.rerun')), frontEnd).toBe(false);
      }
    }, 60_000);
  });
});

describe('entries another user left in a state folder of the user’s, now closed (attack21c C6)', () => {
  const unavailable = otherUserUnavailable();
  if (unavailable) console.warn(`entries of another user in a closed state folder: skipped (${unavailable})`);
  describe.skipIf(unavailable !== null)('read by the worker and `retry`', () => {
    let other: OtherUser;
    beforeAll(() => {
      other = makeOtherUser();
    });
    afterAll(() => other?.remove());

    it('a queued trace and a spooled event of theirs are never used: set aside, with a line saying so', async () => {
      const sandbox = makeSandbox();
      expect(
        (await runCli(sandbox, initArgs(AGENT, ours.url, '--all-projects'), { input: SECRET })).code,
      ).toBe(0);
      const state = sandbox.stateDir;
      const theirs = (file: string, text: string) => {
        writeFileSync(file, text);
        chownSync(file, other.uid, other.gid);
      };
      // Left while the folder was open to them (a recursive chmod 777), which the user then closed.
      const outbox = join(state, 'outbox');
      mkdirSync(outbox, { recursive: true, mode: 0o700 });
      const forged = {
        key: 'forged-0001~t1',
        sessionId: 'forged-0001',
        turnKey: 't1',
        turnNumber: 1,
        agentId: AGENT,
        baseUrl: ours.url,
        secret: 'stored',
        contentMode: 'redacted',
        redactPatterns: [],
        projectName: 'proj',
        cwd: sandbox.project,
        builtAtMs: Date.now(),
        taskData: {
          name: 'FORGED-BY-OTHER-USER',
          description: 'FORGED-BY-OTHER-USER',
          current_datetime: new Date().toISOString(),
          duration: 1,
        },
        attempts: 0,
        nextAttemptAtMs: 0,
      };
      theirs(join(outbox, 'forged-0001~t1.json'), JSON.stringify(forged));
      mkdirSync(join(state, 'spool'), { recursive: true, mode: 0o700 });
      const [prompt] = twoTurns(sandbox);
      theirs(join(state, 'spool', '99999-0.UserPromptSubmit.json'), prompt?.payload ?? '');
      chmodSync(state, 0o700);

      // Every command looks all the way down and refuses the folder (attack21d: closing it undoes nothing).
      const retry = await runCli(sandbox, ['retry']);
      expect(retry.code).toBe(1);
      expect(retry.stderr).toMatch(
        /holds (outbox\/forged-0001~t1\.json|spool\/99999-0\.UserPromptSubmit\.json), which belongs to another user/,
      );
      // The worker, which looks at the top of the folder on each pass, meets each entry as it reads it.
      const worker = spawn(process.execPath, [join(DIST, 'worker.mjs'), '--retry'], {
        env: sandbox.env,
        stdio: 'ignore',
      });
      expect(await new Promise((resolve) => worker.on('close', resolve))).toBe(0);
      expect(ours.receivedBytes().toString()).not.toContain('FORGED-BY-OTHER-USER');
      expect(readdirSync(outbox)).toEqual(['forged-0001~t1.json.not-ours']);
      expect(readdirSync(join(state, 'spool', 'corrupt'))).toEqual(['99999-0.UserPromptSubmit.json']);
      expect(readFileSync(join(state, 'logs', 'worker.log'), 'utf8')).toContain(
        `forged-0001~t1.json.not-ours, never sent: ${join(outbox, 'forged-0001~t1.json')} belongs to another user (uid ${other.uid})`,
      );
      // Still refused, naming what is left to look at.
      const status = await runCli(sandbox, ['status']);
      expect(status.stderr).toMatch(
        /holds (outbox\/forged-0001~t1\.json\.not-ours|spool\/corrupt\/99999-0\.UserPromptSubmit\.json), which belongs/,
      );
    }, 120_000);
  });
});
