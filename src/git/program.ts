// Which git the worker runs. The worker inherits the Codex session's PATH, and a project may set that PATH
// (`npx` and npm scripts put <project>/node_modules/.bin first; direnv's `PATH_add bin` adds a folder of the
// project): a `git` there would run as the user, outside Codex's sandbox, at every snapshot. So git is looked
// up on PATH here, by absolute path, skipping every folder the project or another user controls: relative
// entries, anything under a node_modules folder, anything inside the working tree, and a folder or program
// (links followed) that someone other than the user or root may change.
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import { changeableByOthers } from '../config/file-trust';

const found = new Map<string, string | null>();

/** The top of the working tree holding `cwd` (the nearest folder with a .git), else `cwd` itself. */
function workingTree(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

function usable(dir: string, tree: string): string | null {
  if (!isAbsolute(dir) || dir.split(/[\\/]/).includes('node_modules') || inside(dir, tree)) return null;
  const program = join(dir, 'git');
  try {
    accessSync(program, constants.X_OK);
    const real = realpathSync(program);
    if (real.split(sep).includes('node_modules') || inside(real, tree)) return null;
    for (const [path, what] of [
      [dir, dir],
      [real, real],
      [dirname(real), dirname(real)],
    ] as const) {
      if (changeableByOthers(statSync(path), what)) return null;
    }
    return statSync(real).isFile() ? program : null;
  } catch {
    return null;
  }
}

/** The git to run for a working tree at `cwd`, by absolute path, or null when PATH holds none we trust. */
export function trustedGit(cwd: string, path: string | undefined = process.env.PATH): string | null {
  // Windows folders carry ACLs, not these modes: git is left to the system's search there.
  if (process.platform === 'win32') return 'git';
  const tree = workingTree(cwd);
  const key = `${tree}\0${path ?? ''}`;
  if (!found.has(key)) {
    let program: string | null = null;
    for (const dir of (path ?? '').split(delimiter)) {
      program = usable(dir, tree);
      if (program) break;
    }
    found.set(key, program);
  }
  return found.get(key) ?? null;
}
