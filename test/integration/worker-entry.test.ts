// The worker's entry (src/worker/main.ts): it takes the worker lock before loading anything else, so a
// worker started while another one is at work leaves it a rerun request without loading the trace side;
// a SessionStart waiting in the spool still gets its start snapshot then (outcome evidence needs it
// before Codex's first tool call, whoever holds the lock), unless the holder took the lock after it was
// published: the holder takes it then.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spoolPaths } from '../../src/spool/layout';
import { LOCK_AHEAD_MS } from '../../src/spool/lock';
import { readSnapshots } from '../../src/spool/snapshots';
import type { WorkerTiming } from '../../src/worker/timing';
import {
  codexSession,
  feed,
  makeSandbox,
  runHook,
  type Sandbox,
  spoolNames,
} from '../support/capture-harness';
import { runWorkerProcess } from '../support/scenario';

const AGENT = '3f1f0c2e-0000-4000-8000-0000000e0001';
let box: Sandbox;
let holder: ChildProcess;

beforeEach(() => {
  box = makeSandbox({ agentId: AGENT, baseUrl: 'http://127.0.0.1:9/api/v1' });
  writeFileSync(join(box.project, 'a.txt'), 'a\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], {
      cwd: box.project,
      stdio: 'ignore',
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  // Another worker at work: a live process named in the lock, whose heartbeat promise is ahead.
  holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  const paths = spoolPaths(box.env);
  const pid = holder.pid as number;
  const owner: Record<string, unknown> = { pid, token: 'the-other-worker' };
  if (existsSync(`/proc/${pid}/stat`)) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    owner.start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  }
  mkdirSync(box.state, { recursive: true, mode: 0o700 });
  writeFileSync(paths.lock, JSON.stringify(owner));
  const ahead = new Date(Date.now() + LOCK_AHEAD_MS);
  utimesSync(paths.lock, ahead, ahead);
});

afterEach(() => {
  holder.kill('SIGKILL');
  box.cleanup();
});

const timings = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as WorkerTiming);

describe('a worker started while another one holds the lock', () => {
  it('leaves a rerun request without loading the trace side', async () => {
    const session = codexSession('session-busy', box.project);
    await feed('sh', [['UserPromptSubmit', session.prompt('t1', 'hello')]], box.env);
    const log = join(box.dir, 'timing.jsonl');
    expect(await runWorkerProcess({ ...box.env, INFINIUM_CODEX_BENCH_TIMING: log })).toBe(0);
    expect(existsSync(spoolPaths(box.env).rerun)).toBe(true);
    const [timing] = timings(log);
    expect(timing?.startedCpuMs).toBeGreaterThan(0);
    expect(timing?.loadedCpuMs).toBe(0);
    expect(spoolNames(box.state)).toHaveLength(1);
  });

  it("still takes a waiting SessionStart's start snapshot", async () => {
    const session = codexSession('session-start', box.project);
    // The hook's own worker start is a no-op here: the worker under test is the only one taking snapshots.
    await runHook('sh', 'SessionStart', session.sessionStart(), box.env, { node: '/bin/true' });
    const [entry] = spoolNames(box.state);
    expect(await runWorkerProcess(box.env)).toBe(0);
    const snapshots = readSnapshots(spoolPaths(box.env), 'session-start');
    expect(snapshots.map((snapshot) => snapshot.by)).toEqual([`start:${entry}`]);
    // The lock is still the other worker's, which was asked to look again.
    expect(JSON.parse(readFileSync(spoolPaths(box.env).lock, 'utf8')).token).toBe('the-other-worker');
    expect(existsSync(spoolPaths(box.env).rerun)).toBe(true);
  });

  /** The holder's lock as a worker entry writes it: when it was created, on the spool's clock. */
  function holderCreatedAt(createdAtMs: number): void {
    const paths = spoolPaths(box.env);
    const owner = JSON.parse(readFileSync(paths.lock, 'utf8'));
    const ahead = statSync(paths.lock).mtime;
    writeFileSync(paths.lock, JSON.stringify({ ...owner, createdAtMs }));
    utimesSync(paths.lock, ahead, ahead);
  }

  it.each([
    ['published before the holder created its lock: left to the holder', 1, false],
    ['published in the same tick of the file clock: taken', 0, true],
    ['published after: taken', -1, true],
  ])('a waiting SessionStart %s', async (_when, lockAfterMs, snapshots) => {
    const session = codexSession('session-start', box.project);
    await runHook('sh', 'SessionStart', session.sessionStart(), box.env, { node: '/bin/true' });
    const [entry] = spoolNames(box.state);
    const publishedAtMs = statSync(join(spoolPaths(box.env).spool, entry as string)).mtimeMs;
    holderCreatedAt(publishedAtMs + lockAfterMs);
    const log = join(box.dir, 'timing.jsonl');
    expect(await runWorkerProcess({ ...box.env, INFINIUM_CODEX_BENCH_TIMING: log })).toBe(0);
    const taken = readSnapshots(spoolPaths(box.env), 'session-start').map((snapshot) => snapshot.by);
    expect(taken).toEqual(snapshots ? [`start:${entry}`] : []);
    // Left to the holder: gone at the cost of a Node start, without loading the rest.
    expect(timings(log)[0]?.loadedCpuMs === 0).toBe(!snapshots);
    expect(existsSync(spoolPaths(box.env).rerun)).toBe(true);
  });
});
