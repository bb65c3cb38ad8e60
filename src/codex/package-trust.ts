// Every Codex event runs our hook commands, and the worker they start, as the user: whoever can change the
// files of our package can run their own code as the user. So nothing of ours is installed as a hook, or
// passed by doctor, from a package that another user could change: its folder and everything in its dist/
// (hook.sh, the native program, the bundles the worker and the CLI load) must be owned by the user or root
// and writable by no one else (src/config/file-trust.ts's rule, the native program's own check included).
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { changeableByOthers } from '../config/file-trust';

/** Why another user could change what our hooks run from the package whose dist/ is `distDir`, or null. */
export function packageTrustProblem(distDir: string): string | null {
  if (process.getuid === undefined) return null;
  let dist: string;
  try {
    dist = realpathSync(distDir);
  } catch {
    return null; // gone: doctor says so on its own, and there is nothing to run
  }
  const packageRoot = dirname(dist);
  const rootStats = lstatSync(packageRoot);
  return changeableByOthers(rootStats, packageRoot) ?? treeProblem(dist);
}

function treeProblem(path: string): string | null {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) return null;
  const problem = changeableByOthers(stats, path);
  if (problem || !stats.isDirectory()) return problem;
  for (const name of readdirSync(path)) {
    const inner = treeProblem(join(path, name));
    if (inner) return inner;
  }
  return null;
}

/** The refusal of `init`, `init --system` and `doctor --fix`, in one sentence with its fix. */
export function packageTrustRefusal(distDir: string, problem: string): string {
  let packageRoot = dirname(distDir);
  try {
    packageRoot = dirname(realpathSync(distDir));
  } catch {
    // named as given
  }
  return `No hooks were installed: ${problem}, so another user could run their own code as you in every Codex hook; reinstall infinium-codex where only you or root can write (\`npm i -g\` as root, or a prefix of your own), or run \`chmod -R go-w ${packageRoot}\` if every file there is yours.`;
}
