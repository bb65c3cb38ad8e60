// Which git the worker runs, and the PATH git runs its own helpers from (git-lfs, credential helpers). The
// worker inherits the Codex session's PATH, and a project may set that PATH (`npx` and npm scripts put
// <project>/node_modules/.bin first; direnv's `PATH_add bin` adds a folder of the project): a `git` or
// `git-lfs` there would run as the user, outside Codex's sandbox, at every snapshot. So only the PATH's
// trusted folders count: absolute, under no node_modules folder, inside no working tree that holds the
// session's folder (a submodule's outer repository included), and not changeable or replaceable by anyone
// but the user or root (src/config/path-trust.ts: the folder and every folder above it); git itself is taken
// from them by absolute path (links followed, and judged the same way).
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import { reachTrustProblem } from '../config/path-trust';

const found = new Map<string, TrustedGit | null>();

export interface TrustedGit {
  /** git's absolute path. */
  program: string;
  /** The trusted folders of PATH, in order: git's own helpers are found there only. */
  path: string;
}

/** Every working tree holding `cwd`: each folder from it up to `/` that has a .git, and `cwd` itself. */
function workingTrees(cwd: string): string[] {
  const trees = [cwd];
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) trees.push(dir);
    if (dirname(dir) === dir) return trees;
  }
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

function projectControlled(path: string, trees: string[]): boolean {
  return path.split(sep).includes('node_modules') || trees.some((tree) => inside(path, tree));
}

function trustedFolder(dir: string, trees: string[]): boolean {
  if (!isAbsolute(dir) || projectControlled(dir, trees)) return false;
  try {
    return !projectControlled(realpathSync(dir), trees) && reachTrustProblem(dir) === null;
  } catch {
    return false;
  }
}

function gitIn(dir: string, trees: string[]): string | null {
  const program = join(dir, 'git');
  try {
    accessSync(program, constants.X_OK);
    const real = realpathSync(program);
    if (projectControlled(real, trees) || !statSync(real).isFile()) return null;
    return reachTrustProblem(program) === null ? program : null;
  } catch {
    return null;
  }
}

/**
 * The git to run for a working tree at `cwd`, by absolute path, with the PATH it may run helpers from; null
 * when PATH holds no git we trust.
 */
export function trustedGit(cwd: string, path: string | undefined = process.env.PATH): TrustedGit | null {
  const key = `${cwd}\0${path ?? ''}`;
  if (!found.has(key)) {
    const trees = workingTrees(cwd);
    const folders = (path ?? '').split(delimiter).filter((dir) => trustedFolder(dir, trees));
    let program: string | null = null;
    for (const dir of folders) {
      program = gitIn(dir, trees);
      if (program) break;
    }
    found.set(key, program ? { program, path: folders.join(delimiter) } : null);
  }
  return found.get(key) ?? null;
}
