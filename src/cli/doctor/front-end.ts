// Doctor's check on what our hooks run: the front-end program (hook.sh or the native one), node and dist/.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerPaths } from '../../codex/hooks-file';
import type { InstalledHook } from '../../codex/install';
import { nativeHookProblem } from '../../codex/native-hook';
import { packageTrustProblem } from '../../codex/package-trust';
import type { CliContext } from '../context';

/**
 * What is wrong with what our hooks run, for the first hook it is wrong for, or null: the front-end program
 * (hook.sh or the native one), node or dist/ is gone, or the native front-end fails its self-test (see
 * nativeHookProblem; run once per program).
 */
export function brokenFrontEnd(hooks: InstalledHook[], ctx: CliContext): string | null {
  const seen = new Map<string, string | null>();
  for (const { paths } of hooks) {
    if (!paths) continue;
    const key = JSON.stringify(paths);
    if (!seen.has(key)) seen.set(key, frontEndProblem(paths, ctx));
    const problem = seen.get(key);
    if (problem) return problem;
  }
  return null;
}

function frontEndProblem(paths: HandlerPaths, ctx: CliContext): string | null {
  const runs = `our hooks run ${paths.program} with ${paths.node}`;
  if (!executable(paths.program))
    return `${runs}, and that ${paths.frontEnd === 'sh' ? 'script' : 'program'} is gone (moved or reinstalled package?)`;
  if (!executable(paths.node)) return `${runs}, and that node is gone (moved node?)`;
  const unsafe = packageTrustProblem({ distDir: paths.distDir, nodePath: paths.node });
  if (unsafe)
    return `${runs}, and ${unsafe.problem}: another user could run their own code as you in every Codex hook`;
  if (paths.frontEnd === 'sh') return null;
  if (!existsSync(join(paths.distDir, 'worker.mjs')))
    return `${runs} for ${paths.distDir}, and that folder is gone (moved or reinstalled package?)`;
  const problem = nativeHookProblem(paths.program, { distDir: paths.distDir, nodePath: paths.node }, ctx.env);
  return problem ? `our hooks run the native front-end ${paths.program}, and ${problem}` : null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
