// Every Codex event runs our hook commands, and the worker they start, as the user: whoever can change what
// they run can run their own code as the user. So nothing of ours is installed as a hook, or passed by
// doctor, when another user could change: the package's folder or anything in its dist/ (hook.sh, the native
// program, the bundles the worker and the CLI load) or its package.json; the keyring library the worker and
// the CLI load (with the platform package holding its compiled part); the `node` hooks.json names; or any
// folder above one of these, through which the whole of it could be swapped (src/config/path-trust.ts, on
// src/config/file-trust.ts's one rule).
import { realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { keyringModule, keyringTrustProblem } from '../config/credentials';
import { reachTrustProblem, treeTrustProblem, type Untrusted } from '../config/path-trust';
import type { HookTarget } from './hooks-file';

/** What another user could change among what our hooks run, why, and how to put it right. */
export interface PackageTrust extends Untrusted {
  fix: string;
}

const REINSTALL =
  'reinstall infinium-codex where only you or root can write (`npm i -g` as root, or a prefix of your own)';

/** What another user could change among what our hooks run for `target`, and why, or null. */
export function packageTrustProblem(target: HookTarget): PackageTrust | null {
  if (process.getuid === undefined) return null;
  let dist: string;
  try {
    dist = realpathSync(target.distDir);
  } catch {
    return null; // gone: doctor says so on its own, and there is nothing to run
  }
  const packageRoot = dirname(dist);
  const keyring = keyringModule(join(dist, 'worker.mjs'));
  const found =
    reachTrustProblem(packageRoot) ??
    // dist/ named through links: their folders count too (its real path is judged above and below).
    (resolve(target.distDir) === dist ? null : reachTrustProblem(target.distDir)) ??
    treeTrustProblem(dist) ??
    treeTrustProblem(join(packageRoot, 'package.json')) ??
    (keyring ? keyringTrustProblem(keyring) : null);
  if (found) {
    const inside = found.path === packageRoot || found.path.startsWith(`${packageRoot}${sep}`);
    return {
      ...found,
      fix: inside
        ? `${REINSTALL}, or run \`chmod -R go-w ${packageRoot}\` if every file there is yours`
        : `${REINSTALL}, or run \`chmod go-w ${found.path}\` if it is yours`,
    };
  }
  const node = reachTrustProblem(target.nodePath);
  return node
    ? {
        ...node,
        fix: `run it with a node only you or root can change (your system's, or one in your home), or run \`chmod go-w ${node.path}\` if it is yours`,
      }
    : null;
}

/** The refusal of `init`, `init --system` and `doctor --fix`, in one sentence with its fix. */
export function packageTrustRefusal(untrusted: PackageTrust): string {
  return `No hooks were installed: ${untrusted.problem}, so another user could run their own code as you in every Codex hook; ${untrusted.fix}.`;
}
