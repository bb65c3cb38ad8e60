// Working-tree snapshots through a temporary index, on real repositories in temp dirs: what they see, and
// that the user's index, refs, stash and `git status` are exactly as before.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  compareSnapshots,
  type LocatedRepositories,
  type LocateMemory,
  type Snapshot,
  takeSnapshot,
} from '../../src/git/snapshot';
import { spoolPaths } from '../../src/spool/layout';
import { addSnapshot, readSnapshots, sessionIndexFile } from '../../src/spool/snapshots';
import { takeStartSnapshots, turnGitEvidence } from '../../src/worker/evidence';
import { runHook } from '../support/capture-harness';

let dir: string;
let repo: string;
let index: string;

const git = (...args: string[]) =>
  execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: dir,
    },
  });
const write = (path: string, text: string) => {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
};
const lines = (count: number, prefix = 'line') =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i}\n`).join('');

async function snapshot(cwd = repo, earlier: Snapshot[] = []): Promise<Snapshot> {
  const result = await takeSnapshot(cwd, () => index, undefined, undefined, earlier);
  if (!('snapshot' in result)) throw new Error(`no snapshot: ${result.unavailable}`);
  return result.snapshot;
}

/**
 * Puts a git first on PATH that logs each command it runs; `ran` says which ran since it was last asked
 * (each by its command name), `restore` puts PATH back.
 */
function countingGit(): { ran: () => string[]; restore: () => void } {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'git-ran.log');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >>'${log}'\nexec /usr/bin/git "$@"\n`, {
    mode: 0o755,
  });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  return {
    ran: () => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      rmSync(log, { force: true });
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/(-c \S+ )+/, '').split(' ')[0] as string);
    },
    restore: () => {
      process.env.PATH = path;
    },
  };
}

/** What a user would see of their repository: index bytes and mtime, refs, stash, status, lock files. */
function userView() {
  const indexFile = join(repo, '.git/index');
  return {
    index: existsSync(indexFile) ? readFileSync(indexFile).toString('base64') : null,
    indexMtime: existsSync(indexFile) ? statSync(indexFile).mtimeMs : null,
    refs: git('for-each-ref', '--format=%(refname) %(objectname)'),
    stash: git('stash', 'list'),
    // Without optional locks: the check itself must not refresh the index it compares.
    status: git('--no-optional-locks', 'status', '--porcelain=v1', '--untracked-files=all'),
    lock: existsSync(join(repo, '.git/index.lock')),
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ic-git-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  index = join(dir, 'snapshot.index');
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev');
  write('src/a.ts', lines(10));
  write('src/b.ts', lines(5));
  write('README.md', 'hello\n');
  write('.gitignore', 'dist/\n*.log\n');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('working-tree snapshots', () => {
  it('sees added, modified, deleted, renamed and binary files, honouring .gitignore, and leaves the user repository alone', async () => {
    write('src/staged.ts', 'staged\n');
    git('add', 'src/staged.ts');
    const before = userView();
    const start = await snapshot();
    expect(start).toMatchObject({ branch: 'main', dirty: true, root: repo });
    expect(userView()).toEqual(before);

    write('src/a.ts', lines(10).replace('line 3\n', 'line three\nline 3b\n'));
    rmSync(join(repo, 'src/b.ts'));
    renameSync(join(repo, 'README.md'), join(repo, 'docs.md'));
    write('src/new.ts', lines(4, 'new'));
    write('dist/out.js', 'ignored\n');
    write('debug.log', 'ignored\n');
    writeFileSync(join(repo, 'logo.bin'), Buffer.from([0, 1, 2, 0, 255]));
    const viewAfterEdits = userView();
    const end = await snapshot();
    expect(userView()).toEqual(viewAfterEdits);

    const { files, commits } = await compareSnapshots(start, end);
    expect(commits).toEqual([]);
    expect(files.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'docs.md', from: 'README.md', status: 'renamed', added: 0, removed: 0 },
      { path: 'logo.bin', status: 'added' },
      { path: 'src/a.ts', status: 'modified', added: 2, removed: 1 },
      { path: 'src/b.ts', status: 'deleted', added: 0, removed: 5 },
      { path: 'src/new.ts', status: 'added', added: 4, removed: 0 },
    ]);
  });

  it('lists the commits made between two snapshots, with their files, and the heads', async () => {
    const start = await snapshot();
    expect(start.dirty).toBe(false);
    write('src/a.ts', `${lines(10)}more\n`);
    git('commit', '-q', '-am', 'Add more to a');
    git('checkout', '-q', '-b', 'feature');
    write('src/c.ts', 'c\n');
    write('src/b.ts', 'b\n');
    git('add', '.');
    git('commit', '-q', '-m', 'Add c, rewrite b');
    const end = await snapshot();
    expect(end).toMatchObject({ branch: 'feature', dirty: false });
    expect(end.head).not.toBe(start.head);
    const { commits, files } = await compareSnapshots(start, end);
    expect(commits).toEqual([
      { sha: git('rev-parse', '--short', 'HEAD').trim(), subject: 'Add c, rewrite b', files: 2 },
      { sha: git('rev-parse', '--short', 'HEAD~1').trim(), subject: 'Add more to a', files: 1 },
    ]);
    expect(files.map((file) => file.path).sort()).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
  });

  it('finds nothing changed when nothing changed', async () => {
    const start = await snapshot();
    const end = await snapshot();
    expect(end.tree).toBe(start.tree);
    expect(await compareSnapshots(start, end)).toEqual({ files: [], commits: [] });
  });

  it('works on a repository with no commit yet, from a subfolder', async () => {
    rmSync(join(repo, '.git'), { recursive: true });
    git('init', '-q', '-b', 'main');
    const start = await snapshot(join(repo, 'src'));
    expect(start).toMatchObject({ branch: 'main', dirty: true, root: repo });
    expect(start.head).toBeUndefined();
  });

  it('locates the repository and reads HEAD in one git process, then not again while HEAD names a commit it saw', async () => {
    const { ran, restore } = countingGit();
    try {
      /** A snapshot, and the git commands it ran. */
      const counted = async (cwd = repo) => {
        ran();
        const shot = await snapshot(cwd);
        return { shot, ran: ran() };
      };
      // A file named HEAD in the working tree is no revision.
      write('HEAD', 'not a ref\n');
      const commit = () => ({
        head: git('rev-parse', 'HEAD').trim(),
        headTree: git('rev-parse', 'HEAD^{tree}').trim(),
      });
      const first = await counted();
      expect(first.ran).toEqual(['rev-parse', 'add', 'write-tree']);
      expect(first.shot).toMatchObject(commit());
      const second = await counted();
      expect(second.ran).toEqual(['add', 'write-tree']);
      expect(second.shot).toMatchObject({ ...commit(), tree: first.shot.tree });
      // HEAD moved: git is asked again; packed refs (no loose ref left) are read as git reads them.
      write('src/a.ts', 'changed\n');
      git('commit', '-q', '-am', 'more');
      const third = await counted();
      expect(third.ran).toEqual(['rev-parse', 'add', 'write-tree']);
      expect(third.shot).toMatchObject(commit());
      git('pack-refs', '--all');
      expect(existsSync(join(repo, '.git/refs/heads/main'))).toBe(false);
      const fourth = await counted();
      expect(fourth.ran).toEqual(['add', 'write-tree']);
      expect(fourth.shot).toMatchObject(commit());
      // A repository made since in a folder between: it holds the folder now.
      const inner = join(repo, 'src', 'inner');
      mkdirSync(inner);
      await snapshot(inner);
      git('-C', inner, 'init', '-q', '-b', 'inner');
      rmSync(index, { force: true });
      const nested = await snapshot(inner);
      expect(nested).toMatchObject({ root: inner, branch: 'inner' });
      expect(nested.head).toBeUndefined();
    } finally {
      restore();
    }
  });

  it("a new process's first snapshot locates the repository from what an earlier one kept, while it still holds", async () => {
    let kept: LocatedRepositories | null = null;
    const memory: LocateMemory = {
      read: () => kept,
      write: (known) => {
        kept = known;
      },
    };
    /** A snapshot by a process of its own (a fresh copy of the module), and the git commands it ran. */
    const inNewProcess = async (cwd = repo) => {
      vi.resetModules();
      const fresh = await import('../../src/git/snapshot');
      ran();
      const result = await fresh.takeSnapshot(cwd, () => index, undefined, undefined, [], memory);
      if (!('snapshot' in result)) throw new Error(result.unavailable);
      return { shot: result.snapshot, ran: ran() };
    };
    const { ran, restore } = countingGit();
    try {
      const facts = () => ({
        head: git('rev-parse', 'HEAD').trim(),
        headTree: git('rev-parse', 'HEAD^{tree}').trim(),
        branch: 'main',
        root: repo,
      });
      expect((await inNewProcess()).ran).toEqual(['rev-parse', 'add', 'write-tree']);
      const second = await inNewProcess();
      expect(second.ran).toEqual(['add', 'write-tree']);
      expect(second.shot).toMatchObject(facts());
      // A commit no process has seen: git is asked.
      write('src/a.ts', 'changed\n');
      git('commit', '-q', '-am', 'more');
      expect((await inNewProcess()).ran).toEqual(['rev-parse', 'add', 'write-tree']);
      expect((await inNewProcess()).shot).toMatchObject(facts());
      // The folder is now a linked worktree of another repository: its .git leads elsewhere.
      const other = join(dir, 'other');
      renameSync(repo, other);
      execFileSync('git', ['-C', other, 'worktree', 'add', '-q', '-b', 'wt', repo], { stdio: 'ignore' });
      rmSync(index, { force: true });
      const moved = await inNewProcess();
      expect(moved.ran).toEqual(['rev-parse', 'add', 'write-tree']);
      expect(moved.shot).toMatchObject({ branch: 'wt', root: repo });
      // A linked worktree's .git file is followed as git follows it.
      expect((await inNewProcess()).ran).toEqual(['add', 'write-tree']);
      // What was kept for another folder, or damaged, is not used.
      kept = { folders: {}, trees: {} };
      expect((await inNewProcess()).ran).toEqual(['rev-parse', 'add', 'write-tree']);
    } finally {
      restore();
    }
  });

  it("reuses an earlier snapshot's tree, without write-tree, only while git add changes nothing in the index it left", async () => {
    const { ran, restore } = countingGit();
    try {
      const counted = async (earlier: Snapshot[]) => {
        ran();
        const shot = await snapshot(repo, earlier);
        return { shot, ran: ran() };
      };
      const start = await counted([]);
      expect(start.ran).toEqual(['rev-parse', 'add', 'write-tree']);
      expect(start.shot.indexStamp).toMatch(/^[0-9a-f]{64}$/);
      const same = await counted([start.shot]);
      expect(same.ran).toEqual(['add']);
      expect(same.shot.tree).toBe(start.shot.tree);
      // A file only touched, or written again with the same bytes, is no change.
      const at = new Date(Date.now() + 5_000);
      utimesSync(join(repo, 'src/a.ts'), at, at);
      write('src/b.ts', lines(5));
      expect((await counted([start.shot, same.shot])).ran).toEqual(['add']);
      // Changes of every kind are seen, and the tree is written again.
      const changes: [string, () => void][] = [
        ['modified', () => write('src/a.ts', lines(11))],
        ['added', () => write('src/new.ts', 'new\n')],
        ['deleted', () => rmSync(join(repo, 'README.md'))],
        ['made executable', () => chmodSync(join(repo, 'src/b.ts'), 0o755)],
      ];
      let last = start.shot;
      for (const [what, change] of changes) {
        change();
        const after = await counted([last]);
        expect(after.ran, what).toEqual(['add', 'write-tree']);
        expect(after.shot.tree, what).not.toBe(last.tree);
        expect((await compareSnapshots(last, after.shot)).files, what).toHaveLength(1);
        last = after.shot;
      }
      // The index is not the one the snapshot left (re-seeded, or changed by another), or that snapshot is
      // older than git surely keeps its tree: written again.
      rmSync(index);
      expect((await counted([last])).ran).toEqual(['add', 'write-tree']);
      const again = await counted([]);
      const old = { ...again.shot, atMs: again.shot.atMs - 2 * 86_400_000 };
      const fresh = await counted([old]);
      expect(fresh.ran).toEqual(['add', 'write-tree']);
      const reused = await counted([fresh.shot]);
      expect(reused.ran).toEqual(['add']);
      // A reused tree is as old as the snapshot that wrote it.
      expect(reused.shot.treeAtMs).toBe(fresh.shot.atMs);
      const aged = { ...reused.shot, treeAtMs: fresh.shot.atMs - 2 * 86_400_000 };
      expect((await counted([aged])).ran).toEqual(['add', 'write-tree']);
    } finally {
      restore();
    }
  });

  it('ignores GIT_* variables of the environment it runs in', async () => {
    const saved = { ...process.env };
    process.env.GIT_DIR = join(dir, 'elsewhere');
    process.env.GIT_INDEX_FILE = join(repo, '.git/index');
    try {
      const before = userView();
      await snapshot();
      expect(userView()).toEqual(before);
    } finally {
      process.env = saved;
    }
  });

  it('says unavailable outside a git repository', async () => {
    const outside = join(dir, 'plain');
    mkdirSync(outside);
    expect(await takeSnapshot(outside, () => index)).toEqual({
      unavailable: 'the folder is not in a git repository',
    });
  });

  it('says unavailable for a repository of more than 50,000 files, without running git add over them', async () => {
    // 50,001 index entries (one blob under many names): the user's index is all it takes to know.
    const blob = git('hash-object', '-w', 'src/a.ts').trim();
    const entries = Array.from(
      { length: 50_001 },
      (_, i) => `100644 ${blob}\tgen/${i % 100}/f${i}.txt\n`,
    ).join('');
    execFileSync('git', ['update-index', '--index-info'], {
      cwd: repo,
      input: entries,
      env: { PATH: process.env.PATH },
    });
    const before = userView();
    expect(await takeSnapshot(repo, () => index)).toEqual({
      unavailable: 'the working tree has more than 50,000 files',
    });
    expect(existsSync(index)).toBe(false);
    expect(userView()).toEqual(before);
  });

  it('says unavailable when untracked files take the tree over the limit', async () => {
    for (let f = 0; f < 30; f += 1) write(`gen/${f}.txt`, `${f}\n`);
    const before = userView();
    expect(await takeSnapshot(repo, () => index, { timeoutMs: 2_000, maxFiles: 20 })).toEqual({
      unavailable: 'the working tree has more than 20 files',
    });
    expect(existsSync(`${index}.lock`)).toBe(false);
    expect(userView()).toEqual(before);
  });
});

describe('git evidence of turns (src/worker/evidence.ts)', () => {
  const env = () => ({ ...process.env, INFINIUM_CODEX_HOME: join(dir, 'state') });

  it("measures each turn from the previous turn's end, and a retried build compares the same two snapshots", async () => {
    // The session's first snapshot (what SessionStart's worker takes), then two turns.
    const paths = spoolPaths(env());
    const start = await takeSnapshot(repo, () => sessionIndexFile(paths, 's1'));
    if (!('snapshot' in start)) throw new Error(start.unavailable);
    addSnapshot(paths, 's1', { ...start.snapshot, by: 'start:x' });

    write('src/a.ts', `${lines(10)}one more\n`);
    const first = await turnGitEvidence(env(), 's1', 't1', repo);
    expect(first).toMatchObject({
      available: true,
      files: [{ path: 'src/a.ts', status: 'modified', added: 1, removed: 0 }],
    });

    write('src/b.ts', lines(2));
    const second = await turnGitEvidence(env(), 's1', 't2', repo);
    expect(second).toMatchObject({
      available: true,
      files: [{ path: 'src/b.ts', status: 'modified', added: 0, removed: 3 }],
    });
    // Built again (a crash before the outbox write): the same end snapshot, not a new one.
    write('src/c.ts', 'later\n');
    expect(await turnGitEvidence(env(), 's1', 't2', repo)).toEqual(second);

    // A turn that changed nothing.
    rmSync(join(repo, 'src/c.ts'));
    expect(await turnGitEvidence(env(), 's1', 't3', repo)).toMatchObject({
      available: true,
      files: [],
      commits: [],
    });
  });

  // A session's mistyped setting is read as its most private choice for the trace (issue 21 kind 5); its
  // start snapshot is taken under the same reading, or its first turn would have no evidence.
  it('takes the start snapshot of a session whose recorded settings hold a typo', async () => {
    const state = join(dir, 'state');
    mkdirSync(state, { recursive: true, mode: 0o700 });
    writeFileSync(join(state, 'config.json'), JSON.stringify({ agentId: 'ag1' }), { mode: 0o600 });
    const payload = JSON.stringify({
      session_id: 's9',
      hook_event_name: 'SessionStart',
      source: 'startup',
      cwd: repo,
    });
    const run = await runHook(
      'sh',
      'SessionStart',
      payload,
      {
        ...env(),
        INFINIUM_CODEX_CONTENT_MODE: 'Metadata',
      } as Record<string, string>,
      { node: '/bin/true' },
    );
    expect(run.code).toBe(0);
    await takeStartSnapshots(env());
    expect(readSnapshots(spoolPaths(env()), 's9').map((snapshot) => snapshot.by)).toEqual([
      expect.stringMatching(/^start:.*SessionStart/),
    ]);
  });

  // Under a umask of 0 git would write the index 0666, and a state folder holding a file others can write
  // is refused (config/paths.ts strangeEntry): our index is closed after every snapshot.
  it('keeps its snapshot index 0600 whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      await snapshot();
      expect(statSync(index).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('says why there is no evidence: no snapshot before the turn, outside git, turned off', async () => {
    expect(await turnGitEvidence(env(), 's2', 't1', repo)).toMatchObject({
      available: false,
      reason: expect.stringMatching(/no snapshot from before the turn/),
    });
    const outside = join(dir, 'plain');
    mkdirSync(outside);
    expect(await turnGitEvidence(env(), 's3', 't1', outside)).toEqual({
      available: false,
      reason: 'the folder is not in a git repository',
    });
    expect(
      await turnGitEvidence({ ...env(), INFINIUM_CODEX_GIT_EVIDENCE: '0' }, 's4', 't1', repo),
    ).toMatchObject({
      available: false,
      reason: expect.stringMatching(/turned off/),
    });
  });
});

// attack21 F6: the worker inherits the session's PATH, which a project may set (npx, npm scripts, direnv):
// a `git` planted there must never run; a git outside the project that no other user may change does.
describe('which git runs', () => {
  function plantGit(folder: string): string {
    mkdirSync(folder, { recursive: true });
    const log = join(dir, 'planted-ran.log');
    writeFileSync(join(folder, 'git'), `#!/bin/sh\necho "$0 $*" >>'${log}'\nexec /usr/bin/git "$@"\n`, {
      mode: 0o755,
    });
    return log;
  }

  it.each([
    ['the project’s node_modules/.bin', () => join(repo, 'node_modules', '.bin')],
    ['a folder of the project (direnv’s PATH_add bin)', () => join(repo, 'bin')],
    ['a node_modules/.bin above the project', () => join(dir, 'node_modules', '.bin')],
  ])('never a git planted first on PATH in %s', async (_where, folder) => {
    const log = plantGit(folder());
    const path = process.env.PATH;
    process.env.PATH = `${folder()}:${path}`;
    try {
      expect((await snapshot()).root).toBe(repo);
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(log)).toBe(false);
  });

  it('never a git of an outer repository holding this one (a submodule, a vendored clone: attack21b N5)', async () => {
    const outer = join(dir, 'outer');
    mkdirSync(join(outer, '.git'), { recursive: true });
    renameSync(repo, join(outer, 'vendor'));
    repo = join(outer, 'vendor');
    const log = plantGit(join(outer, 'bin'));
    const path = process.env.PATH;
    process.env.PATH = `${join(outer, 'bin')}:${path}`;
    try {
      expect((await snapshot()).root).toBe(repo);
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(log)).toBe(false);
  });

  it('git runs its own helpers (filters such as git-lfs) from the trusted folders of PATH only (attack21b N7)', async () => {
    const bin = join(repo, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    const log = join(dir, 'helper-ran.log');
    writeFileSync(join(bin, 'planted-filter'), `#!/bin/sh\necho ran >>'${log}'\ncat\n`, { mode: 0o755 });
    git('config', 'filter.planted.clean', 'planted-filter');
    write('.gitattributes', '*.txt filter=planted\n');
    write('notes.txt', 'filtered\n');
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      await snapshot();
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(log)).toBe(false);
  });

  it('git, and the filters and helpers it runs, never get the agent secret (attack21c C2)', async () => {
    const log = join(dir, 'filter-env.log');
    git('config', 'filter.logenv.clean', `sh -c 'env >>"${log}"; cat'`);
    write('.gitattributes', '*.txt filter=logenv\n');
    write('notes.txt', 'filtered\n');
    const saved = process.env.INFINIUM_AGENT_SECRET;
    process.env.INFINIUM_AGENT_SECRET = 'SESSION-SECRET-FOR-FILTER-123';
    try {
      await snapshot();
    } finally {
      if (saved === undefined) delete process.env.INFINIUM_AGENT_SECRET;
      else process.env.INFINIUM_AGENT_SECRET = saved;
    }
    const seen = readFileSync(log, 'utf8');
    expect(seen).toContain('GIT_OPTIONAL_LOCKS=0');
    expect(seen).not.toContain('INFINIUM_AGENT_SECRET');
  });

  it('never a git others may change; none at all is said as such, not run', async () => {
    const shared = join(dir, 'shared-bin');
    const log = plantGit(shared);
    chmodSync(shared, 0o777);
    const path = process.env.PATH;
    process.env.PATH = shared;
    try {
      const result = await takeSnapshot(repo, () => index);
      expect(result).toEqual({
        unavailable: 'no git on PATH outside the project and folders others may change',
      });
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(log)).toBe(false);
  });
});
