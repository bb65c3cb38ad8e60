// Which git (or codex) we run, and the PATH git runs its own helpers from (git-lfs, credential helpers). The
// worker inherits the Codex session's PATH, and the CLI the user's shell's; a project may set that PATH (`npx`
// and npm scripts put <project>/node_modules/.bin first; direnv's `PATH_add bin` adds a folder of the
// project): a `git` or `git-lfs` there would run as the user, outside Codex's sandbox, at every snapshot. So
// only the PATH's trusted folders count: absolute, under no node_modules folder, inside no working tree that
// holds the session's folder (a submodule's outer repository included), and not changeable or replaceable
// by anyone but the user or root (src/config/path-trust.ts: the folder and every folder above it); the
// program itself is taken from them by absolute path (links followed, and judged the same way). Codex ships
// as an npm package: its `codex` may sit in a node_modules/.bin (a global install's link leads into one),
// so for it node_modules is no mark against a folder; the working trees and the owners still are.
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import { reachTrustProblem } from '../config/path-trust';
import { insideFolder } from '../config/paths';

const found = new Map<string, TrustedProgram | null>();

export interface TrustedProgram {
  /** The program's absolute path. */
  program: string;
  /** The trusted folders of PATH, in order: the program's own helpers are found there only. */
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

/** Where the project decides what runs: its working trees, and (but for codex) any node_modules folder. */
type Controlled = (path: string) => boolean;

function controlledBy(trees: string[], packaged: boolean): Controlled {
  return (path) =>
    (!packaged && path.split(sep).includes('node_modules')) || trees.some((tree) => insideFolder(tree, path));
}

function trustedFolder(dir: string, controlled: Controlled): boolean {
  if (!isAbsolute(dir) || controlled(dir)) return false;
  try {
    return !controlled(realpathSync(dir)) && reachTrustProblem(dir) === null;
  } catch {
    return false;
  }
}

function programIn(dir: string, name: string, controlled: Controlled): string | null {
  const program = join(dir, name);
  try {
    accessSync(program, constants.X_OK);
    const real = realpathSync(program);
    if (controlled(real) || !statSync(real).isFile()) return null;
    return reachTrustProblem(program) === null ? program : null;
  } catch {
    return null;
  }
}

/**
 * The `name` (git, codex, or the browser opener of `view`) to run for a folder `cwd`, by absolute path, with
 * the PATH it may run helpers from; null when PATH holds none we trust.
 */
export function trustedProgram(
  name: 'git' | 'codex' | 'xdg-open' | 'open',
  cwd: string,
  path: string | undefined = process.env.PATH,
): TrustedProgram | null {
  // Windows folders carry ACLs, not these modes: the program is left to the system's search there.
  if (process.platform === 'win32') return { program: name, path: path ?? '' };
  const key = `${name}\0${cwd}\0${path ?? ''}`;
  if (!found.has(key)) {
    const controlled = controlledBy(workingTrees(cwd), name === 'codex');
    const folders = (path ?? '').split(delimiter).filter((dir) => trustedFolder(dir, controlled));
    let program: string | null = null;
    for (const dir of folders) {
      program = programIn(dir, name, controlled);
      if (program) break;
    }
    found.set(key, program ? { program, path: folders.join(delimiter) } : null);
  }
  return found.get(key) ?? null;
}

/** The git to run for a working tree at `cwd` (see trustedProgram). */
export function trustedGit(cwd: string, path: string | undefined = process.env.PATH): TrustedProgram | null {
  return trustedProgram('git', cwd, path);
}
