// Finding the host's native hook front-end: only the program our own package carries (from the real path of
// dist/, never through Node's lookup in parent node_modules), only when no one else can change it, and only
// when it answers our version and passes its self-test. Programs here are made by the test: small shell
// scripts standing in for the real one, and an ELF header for another architecture.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import pkg from '../../../package.json';
import { nativeHookBinary } from '../../../scripts/build-native.mjs';
import {
  findNativeHook,
  NATIVE_HOOK_BINARY,
  nativeHookCandidate,
  nativeHookPath,
  nativeHookProblem,
  targetFor,
} from '../../../src/codex/native-hook';

const host = `${process.platform}-${process.arch}`;
let root: string;
let target: { distDir: string; nodePath: string };

/** A front-end standing in for the real one: answers the handshake, drains stdin, exits 0 silently when told not to spool. */
const standIn = (version = pkg.version) =>
  `#!/bin/sh\nif [ "$1" = --version ]; then echo "infinium-codex-hook ${version}"; exit 0; fi\ncat >/dev/null\n[ "$INFINIUM_CODEX_DISABLED" = 1 ] || exit 9\nexit 0\n`;
const WORKING = standIn();

function program(file: string, text: string | Buffer, mode = 0o755): string {
  mkdirSync(dirname(file), { recursive: true });
  for (let dir = dirname(file); dir.startsWith(root) && dir !== root; dir = dirname(dir))
    chmodSync(dir, 0o755);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** The first 64 bytes of an ELF executable for a machine that is not this one (aarch64, or x86-64 on arm). */
function foreignElf(): Buffer {
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(process.arch === 'arm64' ? 62 : 183, 18); // EM_X86_64 : EM_AARCH64
  header.writeUInt32LE(1, 20);
  header.writeUInt16LE(64, 52);
  return header;
}

const ours = () => join(target.distDir, 'native', host, NATIVE_HOOK_BINARY);

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-native-')));
  chmodSync(root, 0o755);
  target = { distDir: join(root, 'pkg', 'dist'), nodePath: process.execPath };
  mkdirSync(target.distDir, { recursive: true, mode: 0o755 });
});

describe('where the native front-end is looked for', () => {
  it('in our own dist/native/<platform>-<arch>/ only, as the build puts it', () => {
    expect(nativeHookCandidate(target.distDir)).toBe(ours());
    expect(nativeHookPath('/p/dist', 'linux', 'arm64')).toBe(
      '/p/dist/native/linux-arm64/infinium-codex-hook',
    );
    expect(nativeHookBinary()).toBe(nativeHookPath(join(import.meta.dirname, '../../../dist')));
  });

  it('from the real path of dist/ (a global install is reached through links)', () => {
    const link = join(root, 'linked');
    symlinkSync(join(root, 'pkg'), link);
    expect(nativeHookCandidate(join(link, 'dist'))).toBe(ours());
  });

  it('never in a package of the same name planted in a node_modules above ours (case native-resolver-planted-package)', () => {
    const planted = join(root, 'node_modules', '@infinium-codex', `hook-${host}`);
    const ran = join(root, 'planted-ran.log');
    program(join(planted, NATIVE_HOOK_BINARY), `#!/bin/sh\necho "$*" >>'${ran}'\n${WORKING.slice(10)}`);
    writeFileSync(
      join(planted, 'package.json'),
      `{"name": "@infinium-codex/hook-${host}", "version": "0.1.0"}`,
    );
    expect(findNativeHook(target)).toEqual({ binary: null, why: `no native front-end for ${host}` });
    expect(nativeHookProblem(join(planted, NATIVE_HOOK_BINARY), target)).toMatch(
      /^it is not the program this package carries/,
    );
    program(ours(), WORKING);
    expect(findNativeHook(target)).toEqual({ binary: ours() });
    expect(existsSync(ran)).toBe(false);
  });

  it('never on Windows', () => {
    expect(nativeHookCandidate(target.distDir, 'win32', 'x64')).toBeNull();
  });
});

describe('the checks', () => {
  it('pass our program: owned by the user, 0755 folders, our version, a silent self-test with INFINIUM_CODEX_DISABLED=1', () => {
    expect(nativeHookProblem(program(ours(), WORKING), target, {})).toBeNull();
  });

  it('fail a missing, non-executable or non-regular file', () => {
    expect(nativeHookProblem(ours(), target)).toBe('it is missing');
    expect(nativeHookProblem(program(ours(), WORKING, 0o644), target)).toBe('it is not executable');
    chmodSync(ours(), 0o755);
    rmSync(ours());
    mkdirSync(ours(), { mode: 0o755 });
    expect(nativeHookProblem(ours(), target)).toBe('it is not a regular file');
  });

  it('fail a program or folder that other users may change', () => {
    program(ours(), WORKING, 0o757);
    expect(nativeHookProblem(ours(), target)).toBe('it may be changed by other users (mode 757)');
    chmodSync(ours(), 0o755);
    chmodSync(dirname(ours()), 0o777);
    expect(nativeHookProblem(ours(), target)).toBe(
      `its folder ${dirname(ours())} may be changed by other users (mode 777)`,
    );
    chmodSync(dirname(ours()), 0o755);
    chmodSync(target.distDir, 0o757);
    expect(nativeHookProblem(ours(), target)).toMatch(/^its folder .*\/dist may be changed by other users/);
  });

  it.runIf(process.getuid?.() === 0)(
    'fail a program that belongs to another user (root here: chown to nobody)',
    () => {
      program(ours(), WORKING);
      chownSync(ours(), 65534, 65534);
      expect(nativeHookProblem(ours(), target)).toBe('it belongs to another user (uid 65534)');
      chownSync(ours(), 0, 0);
      chownSync(dirname(ours()), 65534, 65534);
      expect(nativeHookProblem(ours(), target)).toMatch(/^its folder .* belongs to another user/);
    },
  );

  it('fail a program that exits 0 silently but does not answer our version (no proof of identity)', () => {
    program(ours(), '#!/bin/sh\ncat >/dev/null\nexit 0\n');
    expect(nativeHookProblem(ours(), target)).toBe(
      `it is not our program of version ${pkg.version} (it answered "nothing" to --version)`,
    );
    program(ours(), standIn('0.0.9'));
    expect(nativeHookProblem(ours(), target)).toMatch(/answered "infinium-codex-hook 0.0.9"/);
  });

  it('fail a program for another architecture (exec format error, then /bin/sh gives up)', () => {
    expect(nativeHookProblem(program(ours(), foreignElf()), target)).toMatch(/cannot be run on this machine/);
  });

  it('fail a program whose self-test exits non-zero or prints anything', () => {
    const hello = `#!/bin/sh\nif [ "$1" = --version ]; then echo "infinium-codex-hook ${pkg.version}"; exit 0; fi\n`;
    expect(nativeHookProblem(program(ours(), `${hello}exit 3\n`), target)).toBe(
      'its self-test exited with 3',
    );
    expect(nativeHookProblem(program(ours(), `${hello}echo hi >&2\n`), target)).toBe(
      'its self-test printed output',
    );
  });
});

describe('choosing the front-end', () => {
  it('gives hook.sh (no nativeHook) for `sh`, and for `native` when our program fails, with the reason', () => {
    expect(targetFor('native', target)).toEqual({
      ...target,
      nativeRefused: `no native front-end for ${host}`,
    });
    program(ours(), foreignElf());
    expect(targetFor('native', target).nativeRefused).toMatch(
      new RegExp(`^the native front-end ${ours()} was refused: it cannot be run on this machine`),
    );
    program(ours(), WORKING);
    expect(targetFor('native', target)).toEqual({ ...target, nativeHook: ours() });
    expect(targetFor('sh', { ...target, nativeHook: ours() })).toEqual(target);
  });
});
