// No hook is installed from a package another user could change (attack21 F5): its folder and every file
// and folder in its dist/ count, not only the native program.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageTrustProblem } from '../../../src/codex/package-trust';

let pkg: string;
beforeEach(() => {
  pkg = mkdtempSync(join(tmpdir(), 'icx-pkg-'));
  chmodSync(pkg, 0o755);
  mkdirSync(join(pkg, 'dist', 'native', 'linux-x64'), { recursive: true, mode: 0o755 });
  for (const file of ['hook.sh', 'worker.mjs', 'native/linux-x64/infinium-codex-hook'])
    writeFileSync(join(pkg, 'dist', file), '', { mode: 0o755 });
});
afterEach(() => rmSync(pkg, { recursive: true, force: true }));

describe('packageTrustProblem', () => {
  it('passes a package only the user (or root) can change, reached through a link too', () => {
    expect(packageTrustProblem(join(pkg, 'dist'))).toBeNull();
    symlinkSync(join(pkg, 'dist'), join(pkg, 'linked-dist'));
    expect(packageTrustProblem(join(pkg, 'linked-dist'))).toBeNull();
  });

  it.each([
    ['the package folder', '', 0o777],
    ['dist/', 'dist', 0o757],
    ['a folder deep in dist/', 'dist/native/linux-x64', 0o777],
    ['hook.sh', 'dist/hook.sh', 0o757],
    ['a bundle', 'dist/worker.mjs', 0o646],
  ])('names %s when every user may write it', (_what, relative, mode) => {
    const path = join(pkg, relative);
    chmodSync(path, mode);
    expect(packageTrustProblem(join(pkg, 'dist'))).toBe(
      `${path.replace(/\/$/, '')} may be changed by other users (mode ${mode.toString(8)})`,
    );
  });

  it('says nothing of a dist/ that is gone (doctor reports that on its own)', () => {
    expect(packageTrustProblem(join(pkg, 'nowhere'))).toBeNull();
  });
});
