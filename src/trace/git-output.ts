// git's machine output, read into typed facts where it enters (src/git/ runs git; this module only reads
// what it printed). Paths and counts only: git is never asked for file contents. Pure.

import { COMMIT_ID, type FileChangeStatus as FileStatus } from '../infinium/task-data';

export type { FileStatus };

export interface FileChange {
  path: string;
  /** The path before a rename. */
  from?: string;
  status: FileStatus;
  /** Lines added and removed; absent for a binary file. */
  added?: number;
  removed?: number;
}

export interface CommitFacts {
  /** Abbreviated sha, as `git log %h` prints it. */
  sha: string;
  subject: string;
  /** How many files the commit changed. */
  files: number;
}

export class GitOutputInvalid extends Error {
  override name = 'GitOutputInvalid';
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A full object id (sha-1 or sha-256) as git printed it on a line of its own; throws on anything else. */
export function objectId(output: string): string {
  const id = output.trim();
  if (!OBJECT_ID.test(id))
    throw new GitOutputInvalid(`git printed no object id (${JSON.stringify(id.slice(0, 80))})`);
  return id;
}

const STATUS: Record<string, FileStatus> = {
  A: 'added',
  M: 'modified',
  T: 'modified',
  D: 'deleted',
  R: 'renamed',
};

/**
 * `git diff-tree -r -z -M --raw --numstat <a> <b>`: the raw records (`:<modes> <ids> <status>\0<path>\0`, a
 * rename with two paths), then the numstat records (`<added>\t<removed>\t<path>\0`, a rename as
 * `<added>\t<removed>\t\0<from>\0<to>\0`, `-` counts for a binary file), in the same order.
 */
export function parseDiffTree(output: string): FileChange[] {
  const fields = output.split('\0');
  const changes: FileChange[] = [];
  let i = 0;
  while (i < fields.length && (fields[i] as string).startsWith(':')) {
    const letter = (fields[i] as string).split(' ')[4]?.[0] ?? '';
    const status = STATUS[letter];
    if (letter === 'R' || letter === 'C') {
      const [from, to] = [fields[i + 1], fields[i + 2]];
      if (from === undefined || to === undefined)
        throw new GitOutputInvalid('a rename record lacks its paths');
      // A copy leaves its source in place: the copy is a new file.
      changes.push(letter === 'R' ? { path: to, from, status: 'renamed' } : { path: to, status: 'added' });
      i += 3;
    } else {
      const path = fields[i + 1];
      if (path === undefined || status === undefined)
        throw new GitOutputInvalid(
          `unknown diff record ${JSON.stringify((fields[i] as string).slice(0, 100))}`,
        );
      changes.push({ path, status });
      i += 2;
    }
  }
  for (const change of changes) {
    const counts = fields[i];
    const match = counts === undefined ? null : /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(counts);
    if (!match) throw new GitOutputInvalid('numstat records do not match the raw records');
    i += match[3] === '' ? 3 : 1;
    if (match[1] !== '-') change.added = Number(match[1]);
    if (match[2] !== '-') change.removed = Number(match[2]);
  }
  return changes;
}

/**
 * `git log -z --format=%x1e%h%x1f%s --name-only <range>`: per commit a record separator, the abbreviated
 * sha, a unit separator, the subject, then the changed paths (NUL-separated; only counted).
 */
export function parseLog(output: string): CommitFacts[] {
  return output
    .split('\x1e')
    .filter((record) => record !== '')
    .map((record) => {
      const [header = '', ...paths] = record.split('\0');
      const [sha = '', subject = ''] = header.split('\x1f');
      if (!COMMIT_ID.test(sha)) throw new GitOutputInvalid('a log record has no commit id');
      return { sha, subject, files: paths.filter((path) => path.trim() !== '').length };
    });
}
