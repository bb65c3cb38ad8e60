// Our own log files. Nothing we run on Codex's path may print, so failures are written here; each file is
// capped (the oldest half-megabyte is dropped by rotating to `.1`) so a broken setup cannot fill the disk.
import { renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { appendNoFollow, ensureDir } from './layout';

export const LOG_MAX_BYTES = 512 * 1024;

/** Rotates `file` to `file.1` once it is over `maxBytes`. Never throws. */
export function rotateIfLarge(file: string, maxBytes = LOG_MAX_BYTES): void {
  try {
    if (statSync(file).size > maxBytes) renameSync(file, `${file}.1`);
  } catch {
    // missing file: nothing to rotate
  }
}

/** Appends one line (one write call, so concurrent writers never interleave). Never throws. */
export function appendLog(file: string, message: string, nowMs = Date.now()): void {
  try {
    ensureDir(dirname(file));
    rotateIfLarge(file);
    const line = `${new Date(nowMs).toISOString()} ${message.replace(/\s*\n\s*/g, ' | ')}\n`;
    appendNoFollow(file, line);
  } catch {
    // a log we cannot write must not turn into a failure of what we were logging
  }
}
