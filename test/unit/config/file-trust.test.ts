// Group write counts as the user's own only for the user's private group (attack21b N6: a user whose
// PRIMARY group it is appears in /etc/passwd, not in the group's member list).
import { describe, expect, it } from 'vitest';
import { groupIsUsersAlone, rootEquivalentGroup } from '../../../src/config/file-trust';

const GROUPS = 'root:x:0:\nstaff:x:50:ann,bob\nann:x:1000:\nbob:x:1001:\n';
const PASSWD =
  'root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/home/ann:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n';

describe('groupIsUsersAlone', () => {
  it('is true for a group named after the user, with no one else in it', () => {
    expect(groupIsUsersAlone(1000, 'ann', GROUPS, PASSWD)).toBe(true);
    expect(groupIsUsersAlone(0, 'root', GROUPS, PASSWD)).toBe(true);
  });

  it("is false for a shared group, another user's group, or one unknown", () => {
    expect(groupIsUsersAlone(50, 'ann', GROUPS, PASSWD)).toBe(false);
    expect(groupIsUsersAlone(1001, 'ann', GROUPS, PASSWD)).toBe(false);
    expect(groupIsUsersAlone(4242, 'ann', GROUPS, PASSWD)).toBe(false);
  });

  it('is false when another user has it as their primary group, though no member list names them', () => {
    const withMallory = `${PASSWD}mallory:x:1002:1000::/home/mallory:/bin/sh\n`;
    expect(groupIsUsersAlone(1000, 'ann', GROUPS, withMallory)).toBe(false);
    expect(groupIsUsersAlone(0, 'root', GROUPS, `${PASSWD}op:x:1003:0::/:/bin/sh\n`)).toBe(false);
  });

  it('is false when the group lists another member', () => {
    expect(groupIsUsersAlone(1000, 'ann', GROUPS.replace('ann:x:1000:', 'ann:x:1000:eve'), PASSWD)).toBe(
      false,
    );
  });
});

describe('rootEquivalentGroup', () => {
  it("trusts macOS's wheel and admin (Homebrew's) groups", () => {
    expect(rootEquivalentGroup(0, 'darwin')).toBe(true);
    expect(rootEquivalentGroup(80, 'darwin')).toBe(true);
  });

  // attack21c C3: on a Debian without sudo, a member of the `sudo` group replaced the hook program in a
  // prefix that group could write; attack21d V3a: a member of root's group (not root) did the same in a
  // root:root 0775 prefix. Membership of a group makes no one root.
  it('trusts no group on Linux, root included, for its name or its id', () => {
    for (const gid of [0, 10, 27, 50, 80, 4242]) expect(rootEquivalentGroup(gid, 'linux')).toBe(false);
    expect(rootEquivalentGroup(4242, 'darwin')).toBe(false);
  });
});
