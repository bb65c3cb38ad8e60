// Every file we write goes through here: a temp file beside the target, then a rename, so a crash or a
// full disk leaves either the old file or the new one, never half of either.
import { chmodSync, copyFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of a new file; an existing file keeps its own unless `forceMode`. */
  mode?: number;
  forceMode?: boolean;
  /** Mode of directories created on the way. */
  dirMode?: number;
}

export function writeFileAtomic(file: string, text: string, options: AtomicWriteOptions = {}): void {
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

/** Copies `file` to `<file>.infinium-codex.bak` before we change it; returns the backup's path. */
export function backupFile(file: string): string {
  const backup = `${file}.infinium-codex.bak`;
  copyFileSync(file, backup);
  return backup;
}
