// No hook is installed from a package another user could change (attack21 F5): its folder and every file
// and folder in its dist/ count, not only the native program; so do every folder above it (N4), the keyring
// library the worker loads with its platform package (N3), and the node hooks.json names (N8).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageTrustProblem, packageTrustRefusal } from '../../../src/codex/package-trust';
import { reachTrustProblem } from '../../../src/config/path-trust';

const asRoot = process.getuid?.() === 0;
let top: string;
let pkg: string;
let node: string;
const target = () => ({ distDir: join(pkg, 'dist'), nodePath: node });
const keyring = () => join(pkg, 'node_modules', '@napi-rs', 'keyring');
const platformPackage = () =>
  join(pkg, 'node_modules', '@napi-rs', `keyring-${process.platform}-${process.arch}`);

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), 'icx-pkg-'));
  chmodSync(top, 0o755);
  pkg = join(top, 'pkg');
  mkdirSync(join(pkg, 'dist', 'native', 'linux-x64'), { recursive: true, mode: 0o755 });
  for (const file of ['hook.sh', 'worker.mjs', 'native/linux-x64/infinium-codex-hook'])
    writeFileSync(join(pkg, 'dist', file), '', { mode: 0o755 });
  writeFileSync(join(pkg, 'package.json'), '{}', { mode: 0o644 });
  mkdirSync(keyring(), { recursive: true, mode: 0o755 });
  mkdirSync(platformPackage(), { mode: 0o755 });
  writeFileSync(join(keyring(), 'index.js'), '', { mode: 0o644 });
  writeFileSync(
    join(keyring(), 'package.json'),
    JSON.stringify({
      name: '@napi-rs/keyring',
      main: 'index.js',
      optionalDependencies: { [`@napi-rs/keyring-${process.platform}-${process.arch}`]: '1.0.0' },
    }),
    { mode: 0o644 },
  );
  writeFileSync(join(platformPackage(), 'package.json'), '{"main": "keyring.node"}', { mode: 0o644 });
  writeFileSync(join(platformPackage(), 'keyring.node'), '', { mode: 0o644 });
  mkdirSync(join(top, 'bin'), { mode: 0o755 });
  node = join(top, 'bin', 'node');
  writeFileSync(node, '', { mode: 0o755 });
});
afterEach(() => rmSync(top, { recursive: true, force: true }));

describe('packageTrustProblem', () => {
  it('passes a package only the user (or root) can change, reached through a link too', () => {
    expect(packageTrustProblem(target())).toBeNull();
    symlinkSync(join(pkg, 'dist'), join(pkg, 'linked-dist'));
    expect(packageTrustProblem({ ...target(), distDir: join(pkg, 'linked-dist') })).toBeNull();
  });

  it.each([
    ['the package folder', '', 0o777],
    ['dist/', 'dist', 0o757],
    ['a folder deep in dist/', 'dist/native/linux-x64', 0o777],
    ['hook.sh', 'dist/hook.sh', 0o757],
    ['a bundle', 'dist/worker.mjs', 0o646],
    ['package.json', 'package.json', 0o666],
    ['the keyring library (N3)', 'node_modules/@napi-rs/keyring', 0o777],
    ['its entry file', 'node_modules/@napi-rs/keyring/index.js', 0o646],
    [
      'the folder of its platform package',
      `node_modules/@napi-rs/keyring-${process.platform}-${process.arch}`,
      0o777,
    ],
    [
      'its compiled part',
      `node_modules/@napi-rs/keyring-${process.platform}-${process.arch}/keyring.node`,
      0o666,
    ],
    ['the node_modules folder holding it', 'node_modules', 0o777],
  ])('names %s when every user may write it', (_what, relative, mode) => {
    const path = join(pkg, relative).replace(/\/$/, '');
    chmodSync(path, mode);
    const problem = packageTrustProblem(target());
    expect(problem?.problem).toBe(`${path} may be changed by other users (mode ${mode.toString(8)})`);
    expect(packageTrustRefusal(problem ?? { path, problem: '', fix: '' })).toContain(
      `run \`chmod -R go-w ${pkg}\` if every file there is yours.`,
    );
  });

  it('names a folder above the package that others may write to: they could swap the whole package (N4)', () => {
    chmodSync(top, 0o777);
    const problem = packageTrustProblem(target());
    expect(problem?.problem).toBe(`${top} may be changed by other users (mode 777)`);
    expect(problem?.fix).toContain(`or run \`chmod go-w ${top}\` if it is yours`);
  });

  it.runIf(asRoot)('counts a folder above writable by a group that is not the user’s own (N4)', () => {
    chownSync(top, 0, 4242);
    chmodSync(top, 0o775);
    expect(packageTrustProblem(target())?.problem).toBe(`${top} may be changed by other users (mode 775)`);
  });

  it('passes a folder above with the sticky bit (as /tmp) while what it holds is ours or root’s', () => {
    chmodSync(top, 0o1777);
    expect(packageTrustProblem(target())).toBeNull();
  });

  it.runIf(asRoot)('names what another user owns in a sticky folder: they may rename it', () => {
    chmodSync(top, 0o1777);
    chownSync(pkg, 4242, 4242);
    expect(packageTrustProblem(target())?.problem).toBe(`${pkg} belongs to another user (uid 4242)`);
  });

  it('follows links: the folder a link sits in counts, and so does where it leads', () => {
    const shared = join(top, 'shared');
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    symlinkSync(pkg, join(shared, 'pkg'));
    expect(packageTrustProblem({ ...target(), distDir: join(shared, 'pkg', 'dist') })?.problem).toBe(
      `${shared} may be changed by other users (mode 777)`,
    );
    expect(reachTrustProblem(join(shared, 'pkg', 'dist'))?.path).toBe(shared);
    const safe = join(top, 'safe');
    mkdirSync(safe, { mode: 0o755 });
    symlinkSync(join(shared, 'pkg'), join(safe, 'link'));
    expect(reachTrustProblem(join(safe, 'link', 'dist'))?.path).toBe(shared);
  });

  it.each([
    ['the node program', () => node, 0o757],
    ['its folder', () => join(top, 'bin'), 0o777],
  ])('names %s hooks.json runs when others may change it (N8)', (_what, path, mode) => {
    chmodSync(path(), mode);
    const problem = packageTrustProblem(target());
    expect(problem?.problem).toBe(`${path()} may be changed by other users (mode ${mode.toString(8)})`);
    expect(problem?.fix).toBe(
      `run it with a node only you or root can change (your system's, or one in your home), or run \`chmod go-w ${path()}\` if it is yours`,
    );
  });

  it('passes the node that runs these tests, reached through its links', () => {
    expect(reachTrustProblem(process.execPath)).toBeNull();
  });

  it('says nothing of a dist/ that is gone (doctor reports that on its own)', () => {
    expect(packageTrustProblem({ ...target(), distDir: join(pkg, 'nowhere') })).toBeNull();
  });
});
