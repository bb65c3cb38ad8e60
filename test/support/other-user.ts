// Another local account, for the cases where what one user leaves must not reach or be used by another
// (issue 21, kind 3). Made only when the tests run as root (CI does) and useradd exists; elsewhere the
// tests that need one are skipped, with one line saying why.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** Deletes the account. */
  remove(): void;
}

/** Why no other user can be made here, or null when `makeOtherUser` can. */
export function otherUserUnavailable(): string | null {
  if (process.platform === 'win32') return 'no local accounts to switch to on Windows';
  if (process.getuid?.() !== 0) return 'making a second local user needs root (CI runs as root)';
  try {
    execFileSync('useradd', ['--help'], { stdio: 'ignore' });
  } catch {
    return 'useradd is not installed';
  }
  return null;
}

export function makeOtherUser(): OtherUser {
  const name = `icx${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'ignore' });
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid: id('-u'),
    gid: id('-g'),
    remove: () => execFileSync('userdel', [name], { stdio: 'ignore' }),
  };
}
