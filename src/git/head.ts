// HEAD's ref and commit read from a repository's files, without a git process (starting one costs the
// worker about 2 ms of CPU, and git its own). Files backend only: a commit that is neither a loose ref nor
// in packed-refs (a reftable repository, a symbolic ref chain) is not known here, and callers that need it
// ask git.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** HEAD of the git dir `gitDir`: the ref it names (absent when detached), and its commit where known. */
export function readHead(gitDir: string): { ref?: string; commit?: string } {
  const head = readText(join(gitDir, 'HEAD'))?.trim();
  if (!head) return {};
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (!ref) return OBJECT_ID.test(head) ? { commit: head } : {};
  // A linked worktree keeps its own HEAD; the refs are the main repository's (commondir).
  const common = readText(join(gitDir, 'commondir'))?.trim();
  const dirs = [gitDir, ...(common ? [resolve(gitDir, common)] : [])];
  for (const dir of dirs) {
    const loose = readText(join(dir, ref))?.trim();
    if (loose && OBJECT_ID.test(loose)) return { ref, commit: loose };
  }
  for (const dir of dirs) {
    const line = readText(join(dir, 'packed-refs'))
      ?.split('\n')
      .find((entry) => entry.endsWith(` ${ref}`));
    const commit = line?.split(' ')[0];
    if (commit && OBJECT_ID.test(commit)) return { ref, commit };
  }
  return { ref };
}
