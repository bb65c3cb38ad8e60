// Finding the host's native hook front-end: the installed optional package, else a checkout's npm/ folder,
// and only a program that passes its self-test. Programs here are made by the test: small shell scripts
// standing in for the real one, and an ELF header for another architecture.
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  findNativeHook,
  NATIVE_HOOK_BINARY,
  nativeHookCandidates,
  nativeHookPackage,
  nativeHookProblem,
  targetFor,
} from '../../../src/codex/native-hook';

const host = `${process.platform}-${process.arch}`;
let root: string;
let target: { distDir: string; nodePath: string };

/** A front-end standing in for the real one: drains stdin, and exits 0 silently only when told not to spool. */
const WORKING = '#!/bin/sh\ncat >/dev/null\n[ "$INFINIUM_CODEX_DISABLED" = 1 ] || exit 9\nexit 0\n';

function program(file: string, text: string | Buffer, mode = 0o755): string {
  mkdirSync(dirname(file), { recursive: true });
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

const installed = () => join(root, 'node_modules', nativeHookPackage(process.platform, process.arch));
const inCheckout = () => join(root, 'pkg', 'npm', `hook-${host}`, NATIVE_HOOK_BINARY);

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-native-')));
  target = { distDir: join(root, 'pkg', 'dist'), nodePath: process.execPath };
  mkdirSync(target.distDir, { recursive: true });
});

describe('where the native front-end is looked for', () => {
  it('names the package after Node’s platform and architecture', () => {
    expect(nativeHookPackage('linux', 'arm64')).toBe('@infinium-codex/hook-linux-arm64');
  });

  it('the installed optional package first (resolved from dist/ as Node would), then the checkout’s npm/ folder', () => {
    expect(nativeHookCandidates(target.distDir)).toEqual([inCheckout()]);
    mkdirSync(installed(), { recursive: true });
    writeFileSync(join(installed(), 'package.json'), '{"name": "x", "version": "0.0.0"}');
    expect(nativeHookCandidates(target.distDir)).toEqual([
      join(installed(), NATIVE_HOOK_BINARY),
      inCheckout(),
    ]);
  });

  it('never on Windows', () => {
    expect(nativeHookCandidates(target.distDir, 'win32', 'x64')).toEqual([]);
  });
});

describe('the self-test', () => {
  it('passes a program that drains stdin and exits 0 silently, run with INFINIUM_CODEX_DISABLED=1', () => {
    expect(nativeHookProblem(program(inCheckout(), WORKING), target, {})).toBeNull();
  });

  it('fails a missing, non-executable or non-regular file', () => {
    expect(nativeHookProblem(inCheckout(), target)).toBe('it is missing');
    expect(nativeHookProblem(program(inCheckout(), WORKING, 0o644), target)).toBe('it is not executable');
    expect(nativeHookProblem(root, target)).toBe('it is not a regular file');
  });

  it('fails a program for another architecture (exec format error, then /bin/sh gives up)', () => {
    expect(nativeHookProblem(program(inCheckout(), foreignElf()), target)).toMatch(
      /cannot be run on this machine/,
    );
  });

  it('fails a program that exits non-zero or prints anything', () => {
    expect(nativeHookProblem(program(inCheckout(), '#!/bin/sh\nexit 3\n'), target)).toBe(
      'its self-test exited with 3',
    );
    expect(nativeHookProblem(program(inCheckout(), '#!/bin/sh\necho hi >&2\n'), target)).toBe(
      'its self-test printed output',
    );
  });
});

describe('choosing the front-end', () => {
  it('takes the first candidate that passes: a broken installed package falls back to the checkout’s', () => {
    writeFileSync(
      join(program(join(installed(), NATIVE_HOOK_BINARY), foreignElf(), 0o755), '..', 'package.json'),
      '{}',
    );
    expect(findNativeHook(target)).toBeNull();
    program(inCheckout(), WORKING);
    expect(findNativeHook(target)).toBe(inCheckout());
    program(join(installed(), NATIVE_HOOK_BINARY), WORKING);
    expect(findNativeHook(target)).toBe(join(installed(), NATIVE_HOOK_BINARY));
  });

  it('gives hook.sh (no nativeHook) for `sh`, or for `native` when no program passes', () => {
    expect(targetFor('native', target)).toEqual(target);
    program(inCheckout(), WORKING);
    expect(targetFor('native', target)).toEqual({ ...target, nativeHook: inCheckout() });
    expect(targetFor('sh', { ...target, nativeHook: inCheckout() })).toEqual(target);
  });
});
