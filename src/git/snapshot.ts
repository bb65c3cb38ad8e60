// Snapshots of a working tree as git tree objects, and what changed between two of them. The user's
// repository is only read, except for the objects git writes for the snapshot's files (unreferenced; git's
// own gc prunes them): each snapshot is written through a TEMPORARY index of ours (GIT_INDEX_FILE, seeded
// from a copy of the user's index so only changed files are hashed), never the user's index, refs, stash,
// hooks or config. Every git call is bounded in time; a tree with too many files is not snapshotted. When
// `git add` changed nothing in an index an earlier snapshot was written from (a turn that changed no file),
// that snapshot's tree is the tree: no `write-tree`.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { withoutAgentSecret } from '../config/paths';
import {
  type CommitFacts,
  type FileChange,
  GitOutputInvalid,
  objectId,
  parseDiffTree,
  parseLog,
} from '../trace/git-output';
import { readHead } from './head';
import { trustedGit } from './program';

export interface Snapshot {
  /** The working tree (tracked and untracked files, .gitignore honoured) as a tree object. */
  tree: string;
  /** HEAD's commit and tree; absent on a branch with no commit yet. */
  head?: string;
  headTree?: string;
  /** The checked-out branch; absent when HEAD is detached. */
  branch?: string;
  /** The working tree differs from HEAD's tree. */
  dirty: boolean;
  /** When the snapshot was taken (epoch ms). */
  atMs: number;
  /** The repository's top-level directory. */
  root: string;
  /**
   * The checksum git ends the index with, as this snapshot left it: an index with these bytes holds
   * `tree`. Absent where git wrote none (index.skipHash).
   */
  indexStamp?: string;
  /** When git wrote `tree`, when this snapshot reused it from an earlier one (else `atMs`). */
  treeAtMs?: number;
}

export type SnapshotResult = { snapshot: Snapshot } | { unavailable: string };

export interface SnapshotLimits {
  /** Time for the whole snapshot, every git call included. */
  timeoutMs: number;
  /** A working tree with more files is not snapshotted. */
  maxFiles: number;
}

export const DEFAULT_LIMITS: SnapshotLimits = { timeoutMs: 2_000, maxFiles: 50_000 };

/** Why a snapshot or comparison could not be made, in words fit for a trace (no path, no output). */
export class GitUnavailable extends Error {
  override name = 'GitUnavailable';
}

// Settings that would make git run a program of the user's, take a lock, write to the repository or
// change what the snapshot sees, turned off for our calls only (-c lasts one command).
const SAFE_CONFIG = [
  'core.fsmonitor=false',
  'core.untrackedCache=false',
  'core.splitIndex=false',
  `core.hooksPath=${process.platform === 'win32' ? 'NUL' : '/dev/null'}`,
  'gc.auto=0',
  'maintenance.auto=false',
  'core.autocrlf=false',
  'core.safecrlf=false',
  // The index's checksum is its stamp (Snapshot.indexStamp): written for our index whatever the user's say.
  'index.skipHash=false',
].flatMap((setting) => ['-c', setting]);

/**
 * The environment git runs in: ours without any GIT_* variable (Codex or the user's shell may have set
 * GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE ... for another purpose) and without the agent secret (git, and the
 * filters and helpers it runs, have no use for it), never prompting, never taking optional locks (a `git
 * status` of the user's meanwhile is unaffected), with C messages.
 */
function gitEnv(indexFile?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(withoutAgentSecret(process.env)))
    if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    LC_ALL: 'C',
    ...(indexFile ? { GIT_INDEX_FILE: indexFile } : {}),
  };
}

interface GitCall {
  cwd: string;
  deadline: number;
  /** The whole budget the deadline came from, for the message. */
  budgetMs: number;
  indexFile?: string;
  now: () => number;
}

/** Runs git and returns its stdout; throws GitUnavailable past the deadline or when git is missing. */
function git(args: string[], call: GitCall): Promise<string> {
  const timeout = Math.max(1, call.deadline - call.now());
  const found = trustedGit(call.cwd);
  if (!found)
    return Promise.reject(
      new GitUnavailable('no git on PATH outside the project and folders others may change'),
    );
  return new Promise((resolve, reject) => {
    execFile(
      found.program,
      [...SAFE_CONFIG, ...args],
      {
        cwd: call.cwd,
        env: { ...gitEnv(call.indexFile), PATH: found.path },
        timeout,
        maxBuffer: 32 * 1024 * 1024,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (failure.code === 'ENOENT') return reject(new GitUnavailable('git is not installed'));
        if (failure.killed)
          return reject(new GitUnavailable(`git took longer than ${call.budgetMs / 1000} s`));
        if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return reject(new GitUnavailable('git printed more than the connector reads'));
        reject(
          Object.assign(new Error(`git ${args[0]} failed`), {
            stdout: String(stdout),
            stderr: String(stderr),
          }),
        );
      },
    );
  });
}

/** The number of entries an index file holds (its header), or 0 when it cannot be read. */
function indexEntries(indexFile: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(indexFile, 'r');
    const header = Buffer.alloc(12);
    if (readSync(fd, header, 0, 12, 0) < 12 || header.toString('latin1', 0, 4) !== 'DIRC') return 0;
    return header.readUInt32BE(8);
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The checksum that ends an index file (its last 32 bytes: a SHA-256 one, or a SHA-1 one and the bytes
 * before it), which git computes over the whole file: the same stamp, the same entries. Null when there is
 * none (a zero checksum: index.skipHash) or the file cannot be read.
 */
function indexStamp(indexFile: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(indexFile, 'r');
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(32);
    if (size < 12 + tail.length || readSync(fd, tail, 0, tail.length, size - tail.length) < tail.length)
      return null;
    return tail.subarray(12).some((byte) => byte !== 0) ? tail.toString('hex') : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Located {
  /** The repository's top level and git dir. */
  root: string;
  gitDir: string;
  /** HEAD's commit and tree; absent on a branch with no commit yet. */
  head?: string;
  headTree?: string;
}

/**
 * Where the repository holding `cwd` is, and HEAD's commit and tree, in one git process (each one costs
 * the worker about 2 ms of CPU to start, and git its own); GitUnavailable outside a repository.
 */
async function locate(cwd: string, call: GitCall, memory?: LocateMemory): Promise<Located> {
  // A missing cwd would make the spawn fail as a missing git would.
  if (!existsSync(cwd)) throw new GitUnavailable('the folder no longer exists');
  const args = ['rev-parse', '--show-toplevel', '--absolute-git-dir', 'HEAD', 'HEAD^{tree}', '--'];
  let output: string;
  let headless = false;
  try {
    output = await git(args, { ...call, cwd });
  } catch (error) {
    if (error instanceof GitUnavailable) throw error;
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    if (/not a git repository/i.test(stderr))
      throw new GitUnavailable('the folder is not in a git repository');
    if (/dubious ownership/i.test(stderr))
      throw new GitUnavailable('git refuses the repository (owned by another user)');
    if (/must be run in a work tree|bare repository/i.test(stderr))
      throw new GitUnavailable('the repository has no working tree');
    // rev-parse prints as it goes: the repository came out before HEAD failed (no commit yet).
    output = stdout;
    headless = true;
  }
  const [root, gitDir, head = '', tree = ''] = output.split('\n');
  if (!root || !gitDir) {
    if (headless) throw new GitUnavailable('git could not read the repository');
    throw new GitUnavailable('the repository has no working tree');
  }
  if (headless) return { root, gitDir };
  const found = { root, gitDir, head: objectId(head), headTree: objectId(tree) };
  remember(located, cwd, { root, gitDir });
  remember(commitTrees, found.head, found.headTree);
  memory?.write({ folders: newest(located), trees: newest(commitTrees) });
  return found;
}

/**
 * Where each folder's repository was found, and the tree of each commit git named (a commit's tree never
 * changes): by this process, and by earlier ones through the caller's LocateMemory. The worker stays for
 * its session, so every snapshot after the first is of a folder it has located, and a session's first
 * snapshot is often of a folder an earlier session's worker located: while HEAD's files name a commit
 * whose tree is known, no git process is needed to locate.
 */
const located = new Map<string, { root: string; gitDir: string }>();
const commitTrees = new Map<string, string>();

/** What locate learned, as a caller keeps it between processes (src/spool/snapshots.ts: locateMemory). */
export interface LocatedRepositories {
  /** A folder snapshotted, and its repository's top level and git dir. */
  folders: Record<string, { root: string; gitDir: string }>;
  /** A commit, and its tree. */
  trees: Record<string, string>;
}

export interface LocateMemory {
  read(): LocatedRepositories | null;
  write(known: LocatedRepositories): void;
}

/** Entries of each kind kept between processes, the newest: a machine's recent folders and HEADs. */
const REMEMBERED = 64;

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
}

const newest = <T>(map: Map<string, T>): Record<string, T> => Object.fromEntries([...map].slice(-REMEMBERED));

/** Adds what earlier processes learned (this process's own answers stay the newest); false: nothing. */
function recall(memory: LocateMemory): boolean {
  const known = memory.read();
  if (!known) return false;
  for (const [folder, where] of Object.entries(known.folders))
    if (!located.has(folder)) located.set(folder, where);
  for (const [commit, tree] of Object.entries(known.trees))
    if (!commitTrees.has(commit)) commitTrees.set(commit, tree);
  return true;
}

/** The git dir `root`'s .git leads to: the folder itself, or the one a .git file names (a linked worktree). */
function gitDirOf(root: string): string | null {
  const dotGit = join(root, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const named = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    return named ? resolve(root, named) : null;
  } catch {
    return null;
  }
}

function locatedBefore(cwd: string): Located | null {
  const known = located.get(cwd);
  // The repository is still there, and its .git still leads where git said (a worktree removed and added
  // again elsewhere leads to another git dir): otherwise git is asked again.
  if (!known || !existsSync(cwd) || gitDirOf(known.root) !== known.gitDir) return null;
  // A repository made since in a folder between cwd and the root would hold cwd now.
  for (let dir = cwd; dir !== known.root; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return null;
  }
  const head = readHead(known.gitDir).commit;
  const headTree = head && commitTrees.get(head);
  return head && headTree ? { ...known, head, headTree } : null;
}

/** The checked-out branch, from HEAD itself (no git process). */
function branchOf(gitDir: string): string | undefined {
  try {
    const ref = /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(join(gitDir, 'HEAD'), 'utf8'))?.[1];
    return ref?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Snapshots the working tree holding `cwd`, through the temporary index `indexFile` gives (ours; kept
 * between snapshots of a session so that each hashes only what changed since the last). `indexFile` is
 * asked for only once `cwd` is known to be in a repository: nothing is written for a folder that is not.
 * `earlier`: snapshots taken through that index before (their stamps say which tree the index holds).
 * `memory`: where what locating repositories learned is kept between processes.
 */
export async function takeSnapshot(
  cwd: string,
  indexFileOf: () => string,
  limits: SnapshotLimits = DEFAULT_LIMITS,
  now: () => number = Date.now,
  earlier: readonly Snapshot[] = [],
  memory?: LocateMemory,
): Promise<SnapshotResult> {
  const startMs = now();
  const base: GitCall = { cwd, deadline: startMs + limits.timeoutMs, budgetMs: limits.timeoutMs, now };
  let indexFile = '';
  try {
    const { root, gitDir, ...headFacts } =
      locatedBefore(cwd) ??
      (memory && recall(memory) ? locatedBefore(cwd) : null) ??
      (await locate(cwd, base, memory));
    indexFile = indexFileOf();
    const ours = { ...base, cwd: root, indexFile };
    const userIndex = join(gitDir, 'index');
    if (!existsSync(indexFile) && existsSync(userIndex)) copyFileSync(userIndex, indexFile);
    if (indexEntries(indexFile) > limits.maxFiles) return tooMany(indexFile, limits);
    const stamp = indexStamp(indexFile);
    const held = stamp
      ? earlier.findLast(
          (s) =>
            s.root === root && s.indexStamp === stamp && startMs - treeWrittenAt(s) < HELD_TREE_MAX_AGE_MS,
        )
      : undefined;
    const changed = await addAll(ours, indexFile);
    if (indexEntries(indexFile) > limits.maxFiles) return tooMany(indexFile, limits);
    const reused = held && !changed ? held : undefined;
    const tree = reused ? reused.tree : objectId(await git(['write-tree'], ours));
    const after = indexStamp(indexFile);
    return {
      snapshot: {
        tree,
        ...headFacts,
        branch: branchOf(gitDir),
        dirty: tree !== (headFacts.headTree ?? EMPTY_TREE_SHA1),
        atMs: startMs,
        root,
        ...(after ? { indexStamp: after } : {}),
        ...(reused ? { treeAtMs: treeWrittenAt(reused) } : {}),
      },
    };
  } catch (error) {
    // An interrupted `git add` leaves its lock on OUR index: remove it, and the index it may have half
    // updated (the next snapshot seeds a fresh one).
    if (indexFile) rmSync(`${indexFile}.lock`, { force: true });
    if (error instanceof GitUnavailable) {
      if (indexFile && error.message.startsWith('git took longer')) rmSync(indexFile, { force: true });
      return { unavailable: error.message };
    }
    if (error instanceof GitOutputInvalid) return { unavailable: `git printed something unexpected` };
    return { unavailable: 'git could not snapshot the working tree' };
  } finally {
    // git writes it through the user's umask (a copy takes the user's index's mode): ours are 0600, and a
    // state folder holding an entry others could write is refused (config/paths.ts strangeEntry).
    if (indexFile) {
      try {
        chmodSync(indexFile, 0o600);
      } catch {
        // not there (removed above, or never made): nothing to close
      }
    }
  }
}

/**
 * A tree is reused from a snapshot this recent only: it is unreferenced, and git's gc prunes such objects
 * once they are old enough (two weeks by default).
 */
const HELD_TREE_MAX_AGE_MS = 86_400_000;

const treeWrittenAt = (snapshot: Snapshot) => snapshot.treeAtMs ?? snapshot.atMs;

const EMPTY_TREE_SHA1 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function tooMany(indexFile: string, limits: SnapshotLimits): SnapshotResult {
  rmSync(indexFile, { force: true });
  return { unavailable: `the working tree has more than ${limits.maxFiles.toLocaleString('en-US')} files` };
}

/**
 * Stages every file of the working tree into our index (not the user's), .gitignore honoured. Whether any
 * entry changed: --verbose names each path it adds or removes, and none whose content and mode are as the
 * index holds them (a file only touched included).
 */
async function addAll(call: GitCall, indexFile: string): Promise<boolean> {
  const add = ['add', '--all', '--ignore-errors', '--verbose', '--', '.'];
  try {
    return (await git(add, call)) !== '';
  } catch (error) {
    if (error instanceof GitUnavailable) throw error;
    // A seed git cannot use (a split index, another version's format): start from an empty index.
    rmSync(indexFile, { force: true });
    rmSync(`${indexFile}.lock`, { force: true });
    await git(add, call);
    return true;
  }
}

export interface Comparison {
  files: FileChange[];
  commits: CommitFacts[];
}

/** At most this many commits of a turn are listed. */
const MAX_COMMITS = 100;

/** What changed from `before` to `after` (two snapshots of one repository): files, and commits made. */
export async function compareSnapshots(
  before: Snapshot,
  after: Snapshot,
  timeoutMs: number = DEFAULT_LIMITS.timeoutMs,
  now: () => number = Date.now,
): Promise<Comparison> {
  if (before.root !== after.root) throw new GitUnavailable('the turn moved to another repository');
  const call: GitCall = { cwd: after.root, deadline: now() + timeoutMs, budgetMs: timeoutMs, now };
  // The commits made in between: those after HEAD reaches and HEAD before did not (all, on a first commit).
  const range =
    after.head && after.head !== before.head
      ? before.head
        ? `${before.head}..${after.head}`
        : after.head
      : undefined;
  const [diff, log] = await Promise.all([
    before.tree === after.tree
      ? ''
      : git(
          [
            'diff-tree',
            '-r',
            '-z',
            '-M',
            '--raw',
            '--numstat',
            '--no-ext-diff',
            '--no-textconv',
            before.tree,
            after.tree,
          ],
          call,
        ),
    range
      ? git(
          [
            'log',
            '-z',
            `-n${MAX_COMMITS}`,
            '--no-show-signature',
            '--format=%x1e%h%x1f%s',
            '--name-only',
            range,
            '--',
          ],
          call,
        )
      : '',
  ]);
  return { files: parseDiffTree(diff), commits: parseLog(log) };
}
