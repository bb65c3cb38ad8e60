// Working-tree snapshots per Codex session (src/git/snapshot.ts takes them, src/worker/evidence.ts uses
// them): git object ids, branch names, times. No path of the user's project and no file content. Beside
// each session's list, the temporary git index its snapshots are written through. And, for every session,
// where the folders snapshotted lately found their repositories and which tree each HEAD commit has
// (~repositories.json: project paths, object ids), so that a new session's first snapshot need not ask
// git where the repository is.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { LocatedRepositories, LocateMemory, Snapshot } from '../git/snapshot';
import {
  ensureDir,
  readOwnFile,
  removeIfNotOurs,
  type SpoolPaths,
  safeName,
  writeJsonAtomic,
} from './layout';

/** A snapshot (src/git/snapshot.ts) as a session keeps it. */
export interface StoredSnapshot extends Snapshot {
  /** What took it: `start:<spool entry>` (a SessionStart) or `end:<turn key>` (a turn's trace). */
  by: string;
}

/** A session keeps its newest snapshots only: each turn needs the one before it and its own. */
const KEPT = 6;
const MAX_AGE_MS = 30 * 86_400_000;

function snapshotsDir(paths: SpoolPaths): string {
  return join(paths.root, 'snapshots');
}

const listFile = (paths: SpoolPaths, sessionId: string) =>
  join(snapshotsDir(paths), `${safeName(sessionId)}.json`);

/**
 * The session's temporary git index (ours, never the user's). One of another user's (left while the state
 * folder was open to them) is removed, not given to git, whose stat cache would take its object ids.
 */
export function sessionIndexFile(paths: SpoolPaths, sessionId: string): string {
  ensureDir(snapshotsDir(paths));
  const file = join(snapshotsDir(paths), `${safeName(sessionId)}.index`);
  removeIfNotOurs(file);
  return file;
}

const isId = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{40,64}$/.test(value);

function valid(value: unknown): value is StoredSnapshot {
  const record = value as Partial<StoredSnapshot> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    isId(record.tree) &&
    (record.head === undefined || isId(record.head)) &&
    (record.headTree === undefined || isId(record.headTree)) &&
    (record.branch === undefined || typeof record.branch === 'string') &&
    typeof record.dirty === 'boolean' &&
    typeof record.atMs === 'number' &&
    typeof record.root === 'string' &&
    typeof record.by === 'string' &&
    (record.indexStamp === undefined || /^[0-9a-f]{64}$/.test(record.indexStamp)) &&
    (record.treeAtMs === undefined || typeof record.treeAtMs === 'number')
  );
}

/** The session's snapshots, oldest first; none when there are none or the file is damaged. */
export function readSnapshots(paths: SpoolPaths, sessionId: string): StoredSnapshot[] {
  try {
    const json = JSON.parse(readOwnFile(listFile(paths, sessionId), 'utf8')) as { snapshots?: unknown };
    return Array.isArray(json.snapshots) ? json.snapshots.filter(valid) : [];
  } catch {
    return [];
  }
}

/** Adds a snapshot to the session's list (atomic rewrite; the oldest beyond the kept few are dropped). */
export function addSnapshot(paths: SpoolPaths, sessionId: string, snapshot: StoredSnapshot): void {
  ensureDir(snapshotsDir(paths));
  const list = [...readSnapshots(paths, sessionId).filter((s) => s.by !== snapshot.by), snapshot]
    .sort((a, b) => a.atMs - b.atMs)
    .slice(-KEPT);
  writeJsonAtomic(listFile(paths, sessionId), { snapshots: list });
}

/** `~` is never in a session's file name (safeName). */
const locatedFile = (paths: SpoolPaths) => join(snapshotsDir(paths), '~repositories.json');

const isPlace = (value: unknown): value is { root: string; gitDir: string } => {
  const place = value as { root?: unknown; gitDir?: unknown } | null;
  return (
    typeof place === 'object' &&
    place !== null &&
    typeof place.root === 'string' &&
    isAbsolute(place.root) &&
    typeof place.gitDir === 'string' &&
    isAbsolute(place.gitDir)
  );
};

/** What locating repositories learned, kept here between worker processes (src/git/snapshot.ts). */
export function locateMemory(paths: SpoolPaths): LocateMemory {
  return {
    read(): LocatedRepositories | null {
      try {
        const json = JSON.parse(readOwnFile(locatedFile(paths), 'utf8')) as Partial<LocatedRepositories>;
        return {
          folders: Object.fromEntries(
            Object.entries(json.folders ?? {}).filter(
              ([folder, place]) => isAbsolute(folder) && isPlace(place),
            ),
          ),
          trees: Object.fromEntries(
            Object.entries(json.trees ?? {}).filter(([commit, tree]) => isId(commit) && isId(tree)),
          ),
        };
      } catch {
        return null;
      }
    },
    write(known: LocatedRepositories): void {
      try {
        ensureDir(snapshotsDir(paths));
        writeJsonAtomic(locatedFile(paths), known);
      } catch {
        // Only a shortcut: the next session's first snapshot asks git.
      }
    },
  };
}

/** Forgets the snapshots (and indexes) of sessions untouched for a month, as session states are. */
export function pruneSnapshots(paths: SpoolPaths, nowMs: number): void {
  let names: string[];
  try {
    names = readdirSync(snapshotsDir(paths));
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(snapshotsDir(paths), name);
    try {
      if (nowMs - statSync(file).mtimeMs > MAX_AGE_MS) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}
