// Every file we write goes through here: a temp file beside the target, then a rename, so a crash or a
// full disk leaves either the old file or the new one, never half of either. And the one way we read a
// settings file that may not be there (ours, Codex's).
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
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

/**
 * A file's text, or null when it is not there; any other failure throws `fail`'s error, in one sentence
 * naming the file ("Cannot read <file>: <why>.").
 */
export function readTextIfThere(file: string, fail: new (message: string) => Error): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new fail(cannotRead(file, error));
  }
}

/** The sentence for a file that is there but could not be read, with the fix where it is the user's. */
export function cannotRead(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM')
    return `Cannot read ${file} (permission denied): make it readable with \`chmod u+r ${file}\`, and run this again.`;
  return `Cannot read ${file}: ${(error as Error).message}.`;
}

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
    // The temp file's name means nothing to the user: the error names the file we were writing.
    const failed = error as NodeJS.ErrnoException;
    if (failed.path === temp) failed.path = file;
    throw error;
  }
}

/** The failures of a write that the user fixes on their side (permissions, a read-only or full disk). */
const USER_FIXABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);

/**
 * The folder a write of `file` needs to write in (its own, or the nearest one that exists, where the
 * folders on the way are made) when it cannot, with why (EACCES, EROFS): null when it can.
 */
export function unwritableFolder(file: string): { folder: string; code: string } | null {
  let folder = dirname(file);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  try {
    accessSync(folder, constants.W_OK);
    return null;
  } catch (error) {
    return { folder, code: (error as NodeJS.ErrnoException).code ?? 'EACCES' };
  }
}

/** What is wrong with an unwritable folder, and the fix: `setting` names the variable that moves it. */
function folderProblem(folder: string, code: string, setting?: string): { what: string; fix: string } {
  const elsewhere = setting ? ` or set ${setting} to a folder of your own` : '';
  if (code === 'EROFS') {
    return {
      what: `${folder} is on a read-only file system`,
      fix: setting ? `set ${setting} to a folder on a writable disk` : 'use a copy on a writable disk',
    };
  }
  let mode = '';
  try {
    mode = ` (mode ${(statSync(folder).mode & 0o777).toString(8)})`;
  } catch {
    // gone meanwhile: no mode to show
  }
  return {
    what: `${folder} is not writable${mode}`,
    fix: `make it writable with \`chmod u+w ${folder}\`${elsewhere}`,
  };
}

/**
 * The refusal, before anything is written, of a write to one of `files` that would fail for lack of
 * permission or a read-only disk (`settingFor` names the variable that moves a file's folder), or null.
 */
export function writeRefusal(
  files: string[],
  settingFor: (file: string) => string | undefined,
): string | null {
  for (const file of files) {
    // A file the user made read-only is theirs to open up (root could write through its mode).
    const mode = statSync(file, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o200) === 0) {
      return `${file} is read-only (mode ${(mode & 0o777).toString(8)}), so nothing was written: make it writable with \`chmod u+w ${file}\` if it may be changed, and run this again.`;
    }
    const blocked = unwritableFolder(file);
    if (!blocked) continue;
    const { what, fix } = folderProblem(blocked.folder, blocked.code, settingFor(file));
    return `${what}, so nothing was written: ${fix}, and run this again.`;
  }
  return null;
}

/**
 * One sentence for a file system error the user can fix (permission, read-only or full disk) met while
 * writing or reading `error.path`, with the fix; null for any other error (a bug).
 */
export function fileErrorSentence(
  error: unknown,
  settingFor: (file: string) => string | undefined,
): string | null {
  const failed = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || typeof failed.path !== 'string' || !USER_FIXABLE.has(failed.code ?? '')) {
    return null;
  }
  const path = failed.path;
  if (failed.code === 'ENOSPC' || failed.code === 'EDQUOT') {
    const full = failed.code === 'ENOSPC' ? 'no space is left on its disk' : 'your disk quota is used up';
    return `Could not write ${path}: ${full}; free some space and run this again.`;
  }
  let readable = true;
  try {
    accessSync(path, constants.R_OK);
  } catch (problem) {
    readable = (problem as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (!readable) {
    return `Could not read ${path} (permission denied): make it readable with \`chmod u+r ${path}\`, and run this again.`;
  }
  const blocked =
    unwritableFolder(path) ?? (failed.code === 'EROFS' ? { folder: dirname(path), code: 'EROFS' } : null);
  if (blocked) {
    const { what, fix } = folderProblem(blocked.folder, blocked.code, settingFor(path));
    return `Could not write ${path}: ${what}; ${fix}, and run this again.`;
  }
  return `Could not write ${path} (permission denied): make it writable with \`chmod u+w ${path}\`, and run this again.`;
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
