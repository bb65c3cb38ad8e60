// Reading the spool: one file per hook event, named `<pid>-<n>.<Event>.json`, arrival time = mtime.
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseHookPayload } from '../codex/hook-payload';
import type { SpooledEvent } from '../worker/closed-turn';
import { ensureDir, SPOOL_NAME, type SpoolPaths } from './layout';

export interface SpoolEntry {
  name: string;
  file: string;
  /** The event name the hook was registered for (from the file name). */
  event: string;
  arrivedAtMs: number;
  size: number;
}

/** Spooled events in arrival order (mtime, then the hook's pid and sequence as a tie-break). */
export function listSpool(paths: SpoolPaths): SpoolEntry[] {
  let names: string[];
  try {
    names = readdirSync(paths.spool);
  } catch {
    return [];
  }
  const entries: (SpoolEntry & { pid: number; seq: number })[] = [];
  for (const name of names) {
    const match = SPOOL_NAME.exec(name);
    if (!match) continue;
    const file = join(paths.spool, name);
    try {
      const stat = statSync(file);
      entries.push({
        name,
        file,
        event: match[3] ?? '',
        arrivedAtMs: stat.mtimeMs,
        size: stat.size,
        pid: Number(match[1]),
        seq: Number(match[2]),
      });
    } catch {
      // consumed by another worker between readdir and stat
    }
  }
  entries.sort((a, b) => a.arrivedAtMs - b.arrivedAtMs || a.pid - b.pid || a.seq - b.seq);
  return entries.map(({ pid: _pid, seq: _seq, ...entry }) => entry);
}

/** The entry as an event, or null when it is not a hook payload we can place (corrupt, torn, foreign). */
export function readSpoolEntry(entry: SpoolEntry): SpooledEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(entry.file, 'utf8'));
  } catch {
    return null;
  }
  const payload = parseHookPayload(json);
  if (!payload) return null;
  return { event: payload.hook_event_name, arrivedAtMs: entry.arrivedAtMs, payload };
}

/** Moves an unparseable entry out of the way, so it is counted once and the rest of the spool goes on. */
export function moveAside(paths: SpoolPaths, entry: SpoolEntry): void {
  try {
    ensureDir(paths.corrupt);
    renameSync(entry.file, join(paths.corrupt, entry.name));
  } catch {
    rmSync(entry.file, { force: true });
  }
}

export function removeEntries(files: readonly string[]): void {
  for (const file of files) rmSync(file, { force: true });
}

const TEMP_MAX_AGE_MS = 3_600_000;
const CORRUPT_MAX_AGE_MS = 7 * 86_400_000;

/** Drops temp files of hooks that died mid-write, and old corrupt entries (raw payloads: keep them briefly). */
export function cleanSpoolLeftovers(paths: SpoolPaths, nowMs: number): void {
  for (const [dir, maxAge] of [
    [paths.spoolTmp, TEMP_MAX_AGE_MS],
    [paths.corrupt, CORRUPT_MAX_AGE_MS],
  ] as const) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      try {
        if (nowMs - statSync(file).mtimeMs > maxAge) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    }
  }
}
