import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findHistory, readHistory } from '../../../src/spool';
import {
  cleanSpoolLeftovers,
  listSpool,
  moveAside,
  readSpoolEntry,
  removeEntries,
  type SpoolEntry,
  spooledBytes,
} from '../../../src/spool/events';
import {
  appendHistory,
  type HistoryRecord,
  payloadFile,
  rolloutDrift,
  savedPayloadKeys,
  savePayload,
} from '../../../src/spool/history';
import { spoolPaths } from '../../../src/spool/layout';
import {
  BLOCKING_THREAD_CHARS,
  beforeBlockingWork,
  LOCK_AHEAD_MS,
  LOCK_HEARTBEAT_MS,
  LOCK_STALE_MS,
  LockLostError,
  lockCreatedAtMs,
  lockHeld,
  tryLock,
} from '../../../src/spool/lock';
import { appendLog, LOG_MAX_BYTES } from '../../../src/spool/log';
import { readSessionSecret } from '../../../src/spool/session-secrets';
import { readSessionState } from '../../../src/spool/sessions';
import { readSnapshots, sessionIndexFile } from '../../../src/spool/snapshots';
import { makeSandbox, type Sandbox, waitFor } from '../../support/capture-harness';

let box: Sandbox;
beforeEach(() => {
  box = makeSandbox();
});
afterEach(() => box.cleanup());

describe('worker lock', () => {
  it('lets one holder in at a time and frees on release', () => {
    const file = spoolPaths(box.env).lock;
    const held = tryLock(file);
    expect(held).not.toBeNull();
    expect(tryLock(file)).toBeNull();
    expect(lockHeld(file)).toBe(true);
    // Its mtime is a promise to refresh it: ahead of the clock while held (what the hooks look at).
    expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() + LOCK_AHEAD_MS - 5_000);
    held?.release();
    expect(lockHeld(file)).toBe(false);
    // A second release changes nothing, not even the next holder's lock.
    const next = tryLock(file);
    held?.release();
    expect(lockHeld(file)).toBe(true);
    next?.release();
  });

  it('is taken over when its holder died (SIGKILL leaves the file behind)', () => {
    const file = spoolPaths(box.env).lock;
    mkdirSync(box.state, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(file, JSON.stringify({ pid: Number(dead.stdout.toString()), token: 'x' }));
    const taken = tryLock(file);
    expect(taken).not.toBeNull();
    taken?.release();
  });

  it('is taken over when its holder stopped refreshing it and its start time cannot be told (no /proc)', () => {
    const file = spoolPaths(box.env).lock;
    mkdirSync(box.state, { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: process.pid, token: 'someone-else' }));
    expect(tryLock(file)).toBeNull();
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000);
    utimesSync(file, old, old);
    const taken = tryLock(file);
    expect(taken).not.toBeNull();
    taken?.release();
  });

  // redos-lock-takeover-duplicate: a holder busy in CPU-bound work past the stale time kept its pid alive,
  // and its lock was taken over for its age alone.
  it.skipIf(!existsSync('/proc/self/stat'))(
    'redos-lock-takeover-duplicate: a live holder is never taken over for the age of its lock alone',
    () => {
      const file = spoolPaths(box.env).lock;
      const held = tryLock(file);
      expect(held).not.toBeNull();
      const old = new Date(Date.now() - 10 * LOCK_STALE_MS);
      utimesSync(file, old, old);
      expect(tryLock(file)).toBeNull();
      expect(lockHeld(file)).toBe(true);
      expect(() => held?.verify()).not.toThrow();
      held?.release();
    },
  );

  it.skipIf(!existsSync('/proc/self/stat'))(
    'is taken over at once when its pid now belongs to another process (start time differs)',
    () => {
      const file = spoolPaths(box.env).lock;
      mkdirSync(box.state, { recursive: true });
      writeFileSync(file, JSON.stringify({ pid: process.pid, token: 'before-reboot', start: '1' }));
      const taken = tryLock(file);
      expect(taken).not.toBeNull();
      taken?.release();
    },
  );

  it.skipIf(!existsSync('/proc/self/stat'))(
    'is taken over from a stopped holder whose heartbeat went silent, never from a running one',
    async () => {
      const file = spoolPaths(box.env).lock;
      mkdirSync(box.state, { recursive: true });
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const pid = child.pid as number;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
        writeFileSync(file, JSON.stringify({ pid, token: 'sleeper', start }));
        const old = new Date(Date.now() - LOCK_STALE_MS - 1000);
        utimesSync(file, old, old);
        expect(tryLock(file)).toBeNull();
        child.kill('SIGSTOP');
        await waitFor(() => /^[Tt]$/.test(procState(pid)), 5_000, 'the child to stop');
        const taken = tryLock(file);
        expect(taken).not.toBeNull();
        taken?.release();
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  it('beats from a timer of the main thread, and renews its promise before synchronous work', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const file = spoolPaths(box.env).lock;
      const held = tryLock(file);
      const lapse = () => {
        const lapsed = new Date(Date.now() - LOCK_STALE_MS);
        utimesSync(file, lapsed, lapsed);
      };
      lapse();
      vi.advanceTimersByTime(LOCK_HEARTBEAT_MS);
      expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() + LOCK_AHEAD_MS - 5_000);
      lapse();
      beforeBlockingWork(1000);
      expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() + LOCK_AHEAD_MS - 5_000);
      held?.release();
      // Released: the timer is gone with the last lock, so nothing keeps touching the file.
      expect(existsSync(file)).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  // A thread costs about 30 ms of CPU to start: only synchronous work on a large input starts one.
  it.skipIf(!existsSync('/proc/self/task'))(
    'starts no thread for a small build; keeps beating through a large one that blocks the main thread',
    () => {
      const threads = () => readdirSync('/proc/self/task').length;
      const file = spoolPaths(box.env).lock;
      const before = threads();
      const held = tryLock(file);
      beforeBlockingWork(BLOCKING_THREAD_CHARS);
      expect(threads()).toBe(before);
      beforeBlockingWork(BLOCKING_THREAD_CHARS + 1);
      expect(threads()).toBeGreaterThan(before);
      const lapsed = new Date(Date.now() - LOCK_STALE_MS);
      utimesSync(file, lapsed, lapsed);
      // Synchronous from here on: no timer of the main thread can run until this loop ends.
      const deadline = Date.now() + 60_000;
      while (statSync(file).mtimeMs < Date.now() && Date.now() < deadline) {
        for (let i = 0; i < 1e6; i += 1) Math.sqrt(i);
      }
      expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now());
      held?.release();
    },
  );

  it('records, when asked, its creation time on the clock that stamps the files beside it', () => {
    const file = spoolPaths(box.env).lock;
    const plain = tryLock(file);
    expect(lockCreatedAtMs(file)).toBeNull();
    plain?.release();
    mkdirSync(box.state, { recursive: true });
    const before = join(box.state, 'before');
    writeFileSync(before, '');
    const stamped = tryLock(file, Date.now(), true);
    const created = lockCreatedAtMs(file) as number;
    expect(created).toBeGreaterThanOrEqual(statSync(before).mtimeMs);
    // Date.now() is whole milliseconds, the file system's clock is not.
    expect(Math.floor(created)).toBeLessThanOrEqual(Date.now());
    // The promise moves the lock's mtime ahead; the recorded time stays.
    expect(statSync(file).mtimeMs).toBeGreaterThan(created);
    stamped?.release();
    expect(lockCreatedAtMs(file)).toBeNull();
  });

  it('tells a holder that lost the lock, and a release then leaves the new holder alone', () => {
    const file = spoolPaths(box.env).lock;
    const held = tryLock(file);
    expect(() => held?.verify()).not.toThrow();
    writeFileSync(file, JSON.stringify({ pid: process.pid, token: 'the-new-holder' }));
    expect(() => held?.verify()).toThrow(LockLostError);
    held?.release();
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe('the-new-holder');
  });
});

function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

describe('spool listing', () => {
  it('orders events by arrival stamp, then lifecycle, pid and sequence, and ignores other files', () => {
    const dir = join(box.state, 'spool');
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    const at = (name: string, ms: number) => {
      writeFileSync(join(dir, name), '{}');
      utimesSync(join(dir, name), new Date(ms), new Date(ms));
    };
    at('900-0.Stop.json', 3000);
    at('800-0.SessionEnd.json', 3000);
    at('100-1.PreToolUse.json', 2000);
    at('100-0.UserPromptSubmit.json', 2000);
    at('5-0.SessionStart.json', 1000);
    writeFileSync(join(dir, 'stats.json'), '{}');
    writeFileSync(join(dir, 'tmp', '77-0'), 'partial');
    expect(listSpool(spoolPaths(box.env)).map((e) => [e.name, e.event])).toEqual([
      ['5-0.SessionStart.json', 'SessionStart'],
      ['100-0.UserPromptSubmit.json', 'UserPromptSubmit'],
      ['100-1.PreToolUse.json', 'PreToolUse'],
      ['900-0.Stop.json', 'Stop'],
      ['800-0.SessionEnd.json', 'SessionEnd'],
    ]);
  });
});

describe('history', () => {
  const record = (key: string, traceId: string): HistoryRecord => ({
    time: new Date().toISOString(),
    key,
    status: 'sent',
    project: 'p',
    agentId: 'a',
    sessionId: 's',
    turn: 't',
    turnNumber: 1,
    steps: 2,
    duration: 1,
    traceId,
    attempts: 1,
  });

  it('sums the drift counts of the history per Codex version, most seen first', () => {
    const drift = (codexVersion: string | undefined, unread: Record<string, number>) => ({
      ...record('k', 'id'),
      codexVersion,
      unreadRolloutLines: unread,
    });
    expect(
      rolloutDrift([
        drift('0.171.0', { 'event_msg:a': 1 }),
        record('k', 'id'),
        drift('0.171.0', { 'event_msg:a': 2, 'response_item:b': 4 }),
        drift('0.169.0', { 'event_msg:c': 1, 'event_msg:bad': -1 }),
        drift(undefined, { 'event_msg:d': 1 }),
      ]),
    ).toEqual([
      { codexVersion: '0.171.0', unread: { 'response_item:b': 4, 'event_msg:a': 3 } },
      { codexVersion: '0.169.0', unread: { 'event_msg:c': 1 } },
      { codexVersion: 'unknown', unread: { 'event_msg:d': 1 } },
    ]);
  });

  it('reads newest first, skips a torn line, and finds a record by trace id or key', () => {
    const paths = spoolPaths(box.env);
    appendHistory(paths, record('s~t1', 'id-1'));
    appendHistory(paths, record('s~t2', 'id-2'));
    appendFileSync(paths.historyFile, '{"time": "2026-');
    expect(readHistory(box.env).map((r) => r.traceId)).toEqual(['id-2', 'id-1']);
    expect(readHistory(box.env, { limit: 1 })).toHaveLength(1);
    expect(findHistory(box.env, 'id-1')?.record.key).toBe('s~t1');
    expect(findHistory(box.env, 's~t2')?.payload).toBeNull();
    expect(findHistory(box.env, 'nope')).toBeNull();
  });

  it('keeps the newest 500 bodies sent at least, pruning the oldest back to 500 once 50 more are kept', () => {
    const paths = spoolPaths(box.env);
    const save = (i: number) => {
      savePayload(paths, `s~t${i}`, '{}');
      // Each newer than the last: the oldest go first.
      const at = new Date(Date.now() - 1_000_000 + i * 1000);
      utimesSync(payloadFile(paths, `s~t${i}`), at, at);
    };
    for (let i = 0; i < 550; i += 1) save(i);
    expect(savedPayloadKeys(paths)).toHaveLength(550);
    save(550);
    const kept = savedPayloadKeys(paths);
    expect(kept).toHaveLength(500);
    expect(kept).toContain('s~t550');
    expect(kept).toContain('s~t51');
    expect(kept).not.toContain('s~t50');
  });
});

describe('log', () => {
  it('rotates past its cap, so it never grows without bound', () => {
    const file = spoolPaths(box.env).workerLog;
    const line = 'x'.repeat(10_000);
    for (let i = 0; i < (LOG_MAX_BYTES / 10_000) * 2 + 5; i += 1) appendLog(file, line);
    expect(statSync(file).size).toBeLessThanOrEqual(LOG_MAX_BYTES + 10_100);
    expect(statSync(`${file}.1`).size).toBeGreaterThan(LOG_MAX_BYTES);
    expect(readFileSync(file, 'utf8')).toContain(line);
  });
});

describe('spool leftovers', () => {
  it('drops old temp files a dead hook never published, but not the temp link of a waiting event', () => {
    const paths = spoolPaths(box.env);
    mkdirSync(paths.spoolTmp, { recursive: true });
    writeFileSync(join(paths.spoolTmp, '10-0'), '{"partial');
    writeFileSync(join(paths.spoolTmp, '11-0'), '{}');
    linkSync(join(paths.spoolTmp, '11-0'), join(paths.spool, '11-0.UserPromptSubmit.json'));
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const name of ['10-0', '11-0']) utimesSync(join(paths.spoolTmp, name), old, old);
    cleanSpoolLeftovers(paths, Date.now());
    expect(readdirSync(paths.spoolTmp)).toEqual(['11-0']);
    removeEntries([join(paths.spool, '11-0.UserPromptSubmit.json')]);
    expect(readdirSync(paths.spoolTmp)).toEqual([]);
  });

  it('reads a payload through its empty published name, and deletes or sets aside both files', () => {
    const paths = spoolPaths(box.env);
    mkdirSync(paths.spoolTmp, { recursive: true });
    const publish = (name: string, payload: string) => {
      writeFileSync(join(paths.spoolTmp, name), payload);
      writeFileSync(join(paths.spool, `${name}.Stop.json`), '');
    };
    publish('20-0', '{"hook_event_name":"Stop","session_id":"s","cwd":"/p","turn_id":"t"}');
    publish('21-0', 'not json');
    publish('22-0', '{"partial');
    // An unpublished temp (its hook died mid-write), an hour old: dropped; the published ones stay.
    writeFileSync(join(paths.spoolTmp, '23-0'), '{"partial');
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const name of ['20-0', '21-0', '23-0']) utimesSync(join(paths.spoolTmp, name), old, old);
    cleanSpoolLeftovers(paths, Date.now());
    expect(readdirSync(paths.spoolTmp).sort()).toEqual(['20-0', '21-0', '22-0']);
    const [first, second] = listSpool(paths);
    expect(readSpoolEntry(first as SpoolEntry)?.payload.session_id).toBe('s');
    expect(readSpoolEntry(second as SpoolEntry)).toBeNull();
    removeEntries([(first as SpoolEntry).file]);
    moveAside(paths, (second as SpoolEntry).file);
    expect(readFileSync(join(paths.corrupt, '21-0.Stop.json'), 'utf8')).toBe('not json');
    // A temp newer than its marker was reserved again by another process with that pid: not this entry's.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(paths.spoolTmp, '22-0'), later, later);
    expect(spooledBytes(join(paths.spool, '22-0.Stop.json')).toString()).toBe('');
    removeEntries([join(paths.spool, '22-0.Stop.json')]);
    expect(readdirSync(paths.spoolTmp)).toEqual(['22-0']);
    expect(listSpool(paths)).toEqual([]);
  });

  it('drops temp files of atomic writes a kill cut short, once an hour old, and nothing else', () => {
    const paths = spoolPaths(box.env);
    const old = new Date(Date.now() - 2 * 3_600_000);
    const planted: string[] = [];
    for (const dir of [paths.root, paths.outbox, paths.sessions, paths.payloads]) {
      mkdirSync(dir, { recursive: true });
      for (const name of ['a.json.123.4.tmp', 'a.json']) {
        writeFileSync(join(dir, name), '{}');
        utimesSync(join(dir, name), old, old);
      }
      writeFileSync(join(dir, 'b.json.123.5.tmp'), '{}');
      planted.push(dir);
    }
    cleanSpoolLeftovers(paths, Date.now());
    for (const dir of planted) {
      const names = readdirSync(dir);
      expect(names, dir).toContain('a.json');
      expect(names, dir).toContain('b.json.123.5.tmp');
      expect(names, dir).not.toContain('a.json.123.4.tmp');
    }
  });
});

// attack21c C6: what another user left in a state folder while it was open to them is never used, whatever
// the folder's mode now. Root can give a file to another uid (nobody's) without making an account.
describe.skipIf(process.getuid?.() !== 0)('files of another user in the state folder', () => {
  const NOBODY = 65534;
  function theirs(file: string, text: string): string {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, text);
    chownSync(file, NOBODY, NOBODY);
    return file;
  }

  it('are read as missing: session secrets, snapshots, session state, history', () => {
    const paths = spoolPaths(box.env);
    theirs(join(paths.sessionSecrets, 's1'), 'THEIR-SECRET');
    expect(readSessionSecret(paths, 's1')).toBeNull();
    const tree = 'a'.repeat(40);
    theirs(
      join(paths.root, 'snapshots', 's1.json'),
      JSON.stringify({ snapshots: [{ tree, root: '/r', by: 'start', atMs: 1, dirty: false }] }),
    );
    expect(readSnapshots(paths, 's1')).toEqual([]);
    theirs(join(paths.sessions, 's1.json'), JSON.stringify({ turnCount: 7, built: ['x'] }));
    expect(readSessionState(paths, 's1').turnCount).toBe(0);
    theirs(paths.historyFile, `${JSON.stringify({ status: 'sent', key: 'k', traceId: 't' })}\n`);
    expect(readHistory(box.env)).toEqual([]);
  });

  it('a session index of theirs is removed before git could use it', () => {
    const paths = spoolPaths(box.env);
    const index = theirs(join(paths.root, 'snapshots', 's1.index'), 'DIRC');
    expect(sessionIndexFile(paths, 's1')).toBe(index);
    expect(existsSync(index)).toBe(false);
  });
});
