// Who may change a file we act on: settings written by someone else (a project's .infinium/config.json, the
// machine-wide files), the programs our hooks run, what sits in our state folder. As git's safe.directory
// judges a repository: the owner must be the user or root, and no one else may write to it. Group write
// counts as others' unless the group is the user's private one, or, on macOS, wheel (root alone) or admin
// (which owns Homebrew's folders, and whose members macOS lets act as root). Elsewhere a group proves
// nothing: a member of root's group, or of one named `sudo` or `wheel`, need not be able to become root
// (that is in sudoers, which the user cannot read).
import { readFileSync, type Stats, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';

/** The owners we accept: the user running us, or root. */
export function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === process.getuid?.();
}

/** The fields of each line of a colon-separated database (/etc/group, /etc/passwd). */
const records = (text: string): string[][] => text.split('\n').map((line) => line.split(':'));

/**
 * Whether group `gid` is `user`'s alone, given the texts of /etc/group and /etc/passwd: named after the user,
 * with no other member listed, and no other user having it as their primary group.
 */
export function groupIsUsersAlone(gid: number, user: string, groups: string, passwd: string): boolean {
  const entry = records(groups).find((fields) => fields[2] === String(gid));
  const members = (entry?.[3] ?? '').split(',').filter(Boolean);
  const primaryOf = records(passwd)
    .filter((fields) => fields[3] === String(gid))
    .map((fields) => fields[0]);
  return entry?.[0] === user && [...members, ...primaryOf].every((member) => member === user);
}

/**
 * Whether group `gid`'s write adds nothing root could not do: on macOS, wheel (0, root alone) and admin
 * (80, whose members macOS's sudoers lets act as root). Elsewhere no group's, root's included: membership
 * of a group makes no one root.
 */
export function rootEquivalentGroup(gid: number, platform = process.platform): boolean {
  return platform === 'darwin' && (gid === 0 || gid === 80);
}

/** A system database's text, or none where it cannot be read. */
function database(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Whether write by group `gid` is as good as the user's own: root's (rootEquivalentGroup), or the user's
 * private group (Debian's and Ubuntu's user groups), where a umask of 002 makes every file the user creates
 * group-writable, npm's unpacking included.
 */
export function groupTrusted(gid: number): boolean {
  if (rootEquivalentGroup(gid)) return true;
  if (gid !== process.getgid?.()) return false;
  try {
    return groupIsUsersAlone(gid, userInfo().username, database('/etc/group'), database('/etc/passwd'));
  } catch {
    return false; // no user name to compare with
  }
}

/**
 * Whether a mode lets others write: everyone's write, or the group's unless the group is trusted
 * (`trusted`: groupTrusted, or a caller's memo of it over many entries).
 */
export function othersMayWrite(
  { mode, gid }: Pick<Stats, 'mode' | 'gid'>,
  trusted: (gid: number) => boolean = groupTrusted,
): boolean {
  return (mode & 0o002) !== 0 || ((mode & 0o020) !== 0 && !trusted(gid));
}

/** Why another user could change what `stats` describes (named `what` in the sentence), or null. */
export function changeableByOthers(stats: Stats, what: string): string | null {
  if (!trustedOwner(stats.uid)) return `${what} belongs to another user (uid ${stats.uid})`;
  if (othersMayWrite(stats))
    return `${what} may be changed by other users (mode ${(stats.mode & 0o777).toString(8)})`;
  return null;
}

/** Why another user could change what is at `path`, or null; null too where nothing is (nothing to use). */
export function pathTrustProblem(path: string): string | null {
  if (process.getuid === undefined) return null;
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? changeableByOthers(stats, path) : null;
}

/**
 * Why a settings or credentials file written by someone else (a project's `.infinium/config.json`, the
 * machine-wide files) is not used at all, or null: it or its folder may be changed by another user. A file
 * that is not there is no problem (there is nothing to use).
 */
export function fileTrustProblem(file: string): string | null {
  return pathTrustProblem(dirname(file)) ?? pathTrustProblem(file);
}
