// Reading the spool: one file per hook event, named `<pid>-<n>.<Event>.json`, arrival time = mtime.
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type HookPayload, parseHookPayload } from '../codex/hook-payload';
import { ensureDir, readOwnFile, SPOOL_NAME, type SpoolPaths } from './layout';
import { type RecordedEnv, splitSpoolEntry } from './session-env';

export interface SpooledEvent {
  /** hook_event_name, as Codex sent it. */
  event: string;
  /** When our hook front-end received it (epoch ms). */
  arrivedAtMs: number;
  payload: HookPayload;
  /** The session's tracing settings the hook recorded with the event; null or absent when none was set. */
  env?: RecordedEnv | null;
}

export interface SpoolEntry {
  name: string;
  file: string;
  /** The event name the hook was registered for (from the file name). */
  event: string;
  arrivedAtMs: number;
  size: number;
}

/**
 * Where an event falls in a turn's lifecycle, to order events whose arrival stamps are equal: file times
 * have the kernel's tick as resolution (4 ms here), and a Stop and the SessionEnd right after it can share
 * one. Events of two different turns cannot: a model call or a new prompt lies between them.
 */
const LIFECYCLE_RANK: Record<string, number> = {
  SessionStart: 0,
  UserPromptSubmit: 1,
  Stop: 3,
  Interrupt: 3,
  SessionEnd: 4,
};
const rank = (event: string) => LIFECYCLE_RANK[event] ?? 2;

/** Spooled events in arrival order (mtime; then lifecycle, the hook's pid and sequence to break ties). */
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
  entries.sort(
    (a, b) =>
      a.arrivedAtMs - b.arrivedAtMs || rank(a.event) - rank(b.event) || a.pid - b.pid || a.seq - b.seq,
  );
  return entries.map(({ pid: _pid, seq: _seq, ...entry }) => entry);
}

/** The entry as an event, or null when it is not a hook payload we can place (corrupt, torn, foreign). */
export function readSpoolEntry(entry: SpoolEntry): SpooledEvent | null {
  let json: unknown;
  let env: RecordedEnv | null;
  try {
    const split = splitSpoolEntry(spooledBytes(entry.file));
    env = split.env;
    json = JSON.parse(split.payload.toString('utf8'));
  } catch {
    return null;
  }
  const payload = parseHookPayload(json);
  if (!payload) return null;
  return { event: payload.hook_event_name, arrivedAtMs: entry.arrivedAtMs, payload, env };
}

/** The bytes a spooled name stands for: its temp file's when the name is an empty marker, else its own. */
export function spooledBytes(file: string): Buffer {
  const temp = tempLinkOf(file);
  return readOwnFile(temp?.marker ? temp.file : file);
}

/**
 * Moves a spooled event out of the way (an unparseable entry, or a turn that cannot be built), so that it is
 * counted once and the rest of the spool goes on. What lands in corrupt/ is the raw payload.
 */
export function moveAside(paths: SpoolPaths, file: string): void {
  const temp = tempLinkOf(file);
  try {
    ensureDir(paths.corrupt);
    const aside = join(paths.corrupt, basename(file));
    if (temp?.marker) {
      // The name first: a marker must never outlive its temp, whose name another process could reserve.
      rmSync(file, { force: true });
      renameSync(temp.file, aside);
    } else {
      renameSync(file, aside);
      if (temp) rmSync(temp.file, { force: true });
    }
  } catch {
    removeEntries([file]);
  }
}

/** Deletes spooled events: the published name, then the hook's temp file holding (or linked to) its payload. */
export function removeEntries(files: readonly string[]): void {
  for (const file of files) {
    const temp = tempLinkOf(file);
    rmSync(file, { force: true });
    if (temp) rmSync(temp.file, { force: true });
  }
}

/**
 * The hook's temp file of a spooled entry, when it is still that entry's: the payload itself behind an
 * empty published name (`marker`, how the hooks publish), or a second link to the same file (how they
 * published before). A temp name is reserved again only once it is gone, so one newer than the entry's
 * marker was made by another process with the same pid: not ours to delete.
 */
function tempLinkOf(file: string): { file: string; marker: boolean } | null {
  const match = SPOOL_NAME.exec(basename(file));
  if (!match) return null;
  const temp = join(dirname(file), 'tmp', `${match[1]}-${match[2]}`);
  try {
    const entry = statSync(file);
    const held = statSync(temp);
    if (held.ino === entry.ino) return { file: temp, marker: false };
    return entry.size === 0 && held.mtimeMs <= entry.mtimeMs ? { file: temp, marker: true } : null;
  } catch {
    return null;
  }
}

const TEMP_MAX_AGE_MS = 3_600_000;
const CORRUPT_MAX_AGE_MS = 7 * 86_400_000;

/** Which old files of a directory are leftovers. */
type Leftover = 'unpublished' | 'any' | 'atomic-temp';

/**
 * Drops temp files of hooks that died mid-write (a temp that no spooled name marks was never published),
 * temp files of atomic writes cut short by a kill (`<file>.<pid>.<n>.tmp`: no write takes an hour), and old
 * corrupt entries (raw payloads: kept only briefly, for a look at what went wrong).
 */
export function cleanSpoolLeftovers(paths: SpoolPaths, nowMs: number): void {
  const sweeps: [string, number, Leftover][] = [
    [paths.spoolTmp, TEMP_MAX_AGE_MS, 'unpublished'],
    [paths.corrupt, CORRUPT_MAX_AGE_MS, 'any'],
    ...[
      paths.root,
      paths.spool,
      paths.sessions,
      paths.sessionSecrets,
      paths.outbox,
      paths.dead,
      paths.history,
      paths.payloads,
    ].map((dir): [string, number, Leftover] => [dir, TEMP_MAX_AGE_MS, 'atomic-temp']),
  ];
  for (const [dir, maxAge, leftover] of sweeps) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const published = leftover === 'unpublished' ? publishedNames(paths) : null;
    for (const name of names) {
      if (leftover === 'atomic-temp' && !name.endsWith('.tmp')) continue;
      if (published?.has(name)) continue;
      const file = join(dir, name);
      try {
        const stat = statSync(file);
        if (!stat.isFile() || nowMs - stat.mtimeMs <= maxAge) continue;
        rmSync(file, { force: true });
      } catch {
        // already gone
      }
    }
  }
}

/** The `<pid>-<n>` of every spooled name: their temp files hold published payloads. */
function publishedNames(paths: SpoolPaths): Set<string> {
  const names = new Set<string>();
  try {
    for (const name of readdirSync(paths.spool)) {
      const match = SPOOL_NAME.exec(name);
      if (match) names.add(`${match[1]}-${match[2]}`);
    }
  } catch {
    // no spool: nothing published
  }
  return names;
}
