// Every file we write goes through here: a temp file beside the target, then a rename, so a crash or a
// full disk leaves either the old file or the new one, never half of either.
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of a new file; an existing file keeps its own unless `forceMode`. */
  mode?: number;
  forceMode?: boolean;
  /** Mode of directories created on the way. */
  dirMode?: number;
  /**
   * When `file` is a symbolic link, write its target and keep the link (a user's dotfile manager owns it).
   * Off for our own state files, where a planted link is replaced, never followed.
   */
  throughLink?: boolean;
}

/**
 * The file a write to `file` changes when links are followed: the target of a symbolic link (resolved
 * fully), else `file` itself (also when it does not exist). Throws ENOENT for a link to nothing.
 */
export function linkTarget(file: string): string {
  try {
    if (!lstatSync(file).isSymbolicLink()) return file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw error;
  }
  return realpathSync(file);
}

export function writeFileAtomic(
  path: string,
  text: string | NodeJS.ArrayBufferView,
  options: AtomicWriteOptions = {},
): void {
  const file = options.throughLink ? linkTarget(path) : path;
  mkdirSync(dirname(file), { recursive: true, mode: options.dirMode ?? 0o700 });
  let mode = options.mode ?? 0o644;
  if (!options.forceMode) {
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      // a new file: the requested mode
    }
  }
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, text, { mode });
    chmodSync(temp, mode);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Copies `file` (what it holds, through a link) to `<file>.infinium-codex.bak`, a regular file with the
 * same mode, before we change it; a link found at the backup's place is replaced, not followed. Returns
 * the backup's path.
 */
export function backupFile(file: string): string {
  const backup = `${file}.infinium-codex.bak`;
  writeFileAtomic(backup, readFileSync(file), { mode: statSync(file).mode & 0o777, forceMode: true });
  return backup;
}
