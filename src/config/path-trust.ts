// Whether another user could change what we run from a path, or put something else in its place: the path
// itself and every folder the system passes through to reach it (links followed, each link's own folder
// included), judged by src/config/file-trust.ts's one rule. A folder others may write to lets them rename
// what it holds and put their own in its place, unless it has the sticky bit (as /tmp): then only the owner
// of an entry (ours or root's, as the rule demands of each entry in turn), the folder's owner or root may
// rename it. A few lstats per path, whatever the folder holds.
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join, parse, resolve, sep } from 'node:path';
import { changeableByOthers } from './file-trust';

/** What another user could change (`path`), and the rule's sentence saying so. */
export interface Untrusted {
  path: string;
  problem: string;
}

/** Linux's own limit on links followed in one lookup: past it the path reaches nothing to run. */
const MAX_LINKS = 40;

/** The same stats without group and other write: what the rule says of an entry no one else can rewrite. */
function withoutSharedWrite(stats: Stats): Stats {
  return { ...stats, mode: stats.mode & ~0o022 } as Stats;
}

function judged(stats: Stats, path: string): Untrusted | null {
  const problem = changeableByOthers(stats, path);
  return problem ? { path, problem } : null;
}

/**
 * Why another user could change `path` or swap it for something of theirs, or null: `path` and every folder
 * above it up to `/`, and through each link on the way (a link is never changed in place, so only its owner
 * counts; its folder and its target are judged as any other). Null for a path that is not there (nothing
 * to run; its users say so on their own).
 */
export function reachTrustProblem(path: string): Untrusted | null {
  try {
    return walk(resolve(path), 0);
  } catch {
    return null; // a part that is not a folder, or went away while we looked: nothing is reached
  }
}

function walk(path: string, links: number): Untrusted | null {
  if (links > MAX_LINKS) return null;
  const parts = path.split(sep).filter(Boolean);
  let current = parse(path).root;
  let stats = lstatSync(current);
  for (const [i, part] of parts.entries()) {
    const entry = join(current, part);
    const below = lstatSync(entry, { throwIfNoEntry: false });
    if (!below) return null;
    const folder = judged(stats.mode & 0o1000 ? withoutSharedWrite(stats) : stats, current);
    if (folder) return folder;
    if (below.isSymbolicLink()) {
      const link = judged(withoutSharedWrite(below), entry);
      if (link) return link;
      return walk(join(resolve(current, readlinkSync(entry)), ...parts.slice(i + 1)), links + 1);
    }
    current = entry;
    stats = below;
  }
  return judged(stats, current);
}

/** Why another user could change `path` or anything inside it (a folder's whole tree), or null. */
export function treeTrustProblem(path: string): Untrusted | null {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) return null;
  const problem = judged(stats, path);
  if (problem || !stats.isDirectory()) return problem;
  for (const name of readdirSync(path)) {
    const inner = treeTrustProblem(join(path, name));
    if (inner) return inner;
  }
  return null;
}

/** Why another user could change a package folder we load code from (its tree, or a folder above it), or null. */
export function loadedFolderProblem(folder: string): Untrusted | null {
  return reachTrustProblem(folder) ?? treeTrustProblem(folder);
}
