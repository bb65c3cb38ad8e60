// The package a user installs, packed as the README says (`npm pack`, whose prepack builds dist/ and the
// native program of every platform we ship): exactly the files we mean to ship, within the size budget; each
// native program for its platform (linux-x64 run here, linux-arm64 under qemu-user, the darwin ones checked
// as Mach-O for their CPU); and the tarball installed into a fresh prefix (production dependencies only)
// runs, as a command and as the hook Codex calls, with the native front-end on this machine.
// Its own vitest project, run before all others: prepack rebuilds dist/, which the other tests then use.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { crossBuildNativeHooks, NATIVE_TARGETS } from '../../scripts/build-native.mjs';
import { NATIVE_HOOK_BINARY, NATIVE_HOOK_HANDSHAKE, nativeHookPath } from '../../src/codex/native-hook';
import { spooledBytes } from '../../src/spool/events';
import { initArgs, makeSandbox, NATIVE_HOOK_BUILT, REPO_ROOT, runCli } from '../support/cli-sandbox';

/** The packed tarball may not grow past this (issue 24: a small download for every install). */
const SIZE_BUDGET = 2 * 1024 * 1024;
const CI = Boolean(process.env.CI);
const host = `${process.platform}-${process.arch}`;

let work: string;
let tarball: string;
let files: string[];
let unpacked: string;
let bin: string;
let installedDist: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'infinium-pack-'));
  const pack = spawnSync('npm', ['pack', '--pack-destination', work], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  expect(pack.status, pack.stderr).toBe(0);
  tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz')) ?? '');
  files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''))
    .sort();
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
  const prefix = join(work, 'prefix');
  execFileSync(
    'npm',
    ['install', '-g', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', tarball],
    { encoding: 'utf8', stdio: 'pipe' },
  );
  bin = join(prefix, 'bin', 'infinium-codex');
  installedDist = join(prefix, 'lib', 'node_modules', pkg.name, 'dist');
}, 900_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  // prepack stamped the checkout's own dist/ as a tarball's; the groups after this one run it as a checkout.
  rmSync(join(REPO_ROOT, 'dist', 'install-source.json'), { force: true });
});

const programIn = (platform: string, arch: string) =>
  join(unpacked, 'package', 'dist', 'native', `${platform}-${arch}`, NATIVE_HOOK_BINARY);
/**
 * Whether `npm pack` builds all four here: where the pinned zig runs (linux-x64: CI and the release
 * workflow) or $ZIG names one. Elsewhere the tarball carries this machine's program only.
 */
const CROSS = CI || host === 'linux-x64' || Boolean(process.env.ZIG);

describe('the npm package', () => {
  it('holds exactly the bundles, the four native programs, docs, licence, readme, changelog and manifest', () => {
    const docs = execFileSync('git', ['ls-files', 'docs'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const platforms = CROSS ? NATIVE_TARGETS.map((t) => `${t.platform}-${t.arch}`) : [host];
    if (!CROSS) console.log(`Only ${host}'s native program was packed: no zig 0.11.0 here.`);
    const expected = [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
      'dist/bin.cjs',
      'dist/cli.mjs',
      'dist/hook.sh',
      'dist/install-source.json',
      'dist/re2js.cjs',
      'dist/worker.mjs',
      ...platforms.map((platform) => `dist/native/${platform}/${NATIVE_HOOK_BINARY}`),
      ...docs,
    ].sort();
    // The worker's code split into chunks (scripts/build.mjs), named by esbuild after their content.
    const chunk = /^dist\/worker-[a-z-]+-[A-Z0-9]{8}\.mjs$/;
    expect(files.filter((path) => !chunk.test(path))).toEqual(expected);
    expect(files.filter((path) => chunk.test(path)).length).toBeGreaterThan(0);
  });

  it(`stays within its size budget (${SIZE_BUDGET / 1024 / 1024} MB packed)`, () => {
    const size = statSync(tarball).size;
    console.log(`tarball: ${(size / 1024).toFixed(0)} KiB packed`);
    expect(size).toBeLessThan(SIZE_BUDGET);
  });

  it('depends at run time on nothing but its own dependencies: no optional platform packages, no install scripts', () => {
    const manifest = pkg as { optionalDependencies?: unknown; scripts: Record<string, string> };
    expect(manifest.optionalDependencies).toBeUndefined();
    expect(Object.keys(pkg.dependencies)).toEqual(['@napi-rs/keyring']);
    for (const script of ['preinstall', 'install', 'postinstall']) {
      expect(manifest.scripts[script]).toBeUndefined();
    }
  });

  it('carries the RE2 engine once, in dist/re2js.cjs, which the installed commands load (no dependency)', () => {
    const dist = join(unpacked, 'package', 'dist');
    // One of re2js's own error messages: the bundles that would otherwise each carry a copy hold none.
    const carriers = readdirSync(dist, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .filter((entry) => readFileSync(join(dist, entry.name)).includes('invalid or unsupported Perl syntax'));
    expect(carriers.map((entry) => entry.name)).toEqual(['re2js.cjs']);
    // `status` checks the settings' redactPatterns with it: "x?" compiles, and is refused for matching ''.
    const state = join(work, 'state-re2');
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(join(state, 'config.json'), JSON.stringify({ redactPatterns: ['x?'] }), { mode: 0o600 });
    const status = spawnSync(bin, ['status'], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: join(work, 'home'), INFINIUM_CODEX_HOME: state },
      encoding: 'utf8',
    });
    expect(status.stdout).toContain('redactPatterns entry "x?" matches empty text');
  });

  it('installs and answers --version and --help', () => {
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
    expect(execFileSync(bin, ['--help'], { encoding: 'utf8' })).toContain('Usage: infinium-codex');
    // A person asking about the hook gets help, not a spooled event.
    expect(execFileSync(bin, ['hook', '--help'], { encoding: 'utf8' })).toContain(
      'Usage: infinium-codex hook',
    );
  });
});

/** ELF: 64-bit little-endian, the CPU's e_machine, and no program interpreter (static: runs on any libc). */
function elfFacts(file: string): { machine: number; interpreter: boolean } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 6)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]));
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  const phnum = bytes.readUInt16LE(56);
  let interpreter = false;
  for (let i = 0; i < phnum; i++) if (bytes.readUInt32LE(phoff + i * phentsize) === 3) interpreter = true;
  return { machine: bytes.readUInt16LE(18), interpreter };
}

/** Mach-O: a 64-bit executable for the CPU, and the load commands it carries. */
function machOFacts(file: string): { cpu: number; fileType: number; commands: number[] } {
  const bytes = readFileSync(file);
  expect(bytes.readUInt32LE(0)).toBe(0xfeedfacf);
  const commands: number[] = [];
  for (let i = 0, offset = 32; i < bytes.readUInt32LE(16); i++) {
    commands.push(bytes.readUInt32LE(offset));
    offset += bytes.readUInt32LE(offset + 4);
  }
  return { cpu: bytes.readUInt32LE(4), fileType: bytes.readUInt32LE(12), commands };
}

/** qemu-user's runner for aarch64 programs (Debian's qemu-user), or null. */
function qemuAarch64(): string | null {
  const which = spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

const payload = JSON.stringify({
  session_id: 'pack-session',
  transcript_path: null,
  cwd: '/tmp',
  hook_event_name: 'UserPromptSubmit',
  model: 'gpt-5.5',
  permission_mode: 'default',
  turn_id: 'pack-turn',
  prompt: 'hello from the packed hook',
});

/** Runs `command args` as a hook for UserPromptSubmit with a state dir of its own; what it spooled. */
function spoolThrough(name: string, command: string, args: string[]): string[] {
  const state = join(work, `state-${name.replace(/\W/g, '')}`);
  const run = spawnSync(command, args, {
    input: payload,
    env: { PATH: process.env.PATH, HOME: join(work, 'home'), INFINIUM_CODEX_HOME: state },
    encoding: 'utf8',
  });
  expect([run.status, run.stdout, run.stderr]).toEqual([0, '', '']);
  const spool = join(state, 'spool');
  return readdirSync(spool)
    .filter((entry) => entry.endsWith('.UserPromptSubmit.json'))
    .map((entry) => spooledBytes(join(spool, entry)).toString());
}

describe('the native programs in the tarball', () => {
  it.runIf(CROSS)(
    'are the ones the pinned cross compiler makes from native/hook.c, byte for byte',
    () => {
      const rebuilt = join(work, 'rebuilt');
      expect(crossBuildNativeHooks(process.env, rebuilt)).toHaveLength(NATIVE_TARGETS.length);
      for (const { platform, arch } of NATIVE_TARGETS) {
        expect(
          readFileSync(nativeHookPath(rebuilt, platform, arch)).equals(
            readFileSync(programIn(platform, arch)),
          ),
        ).toBe(true);
      }
    },
    600_000,
  );

  it.runIf(CROSS)('linux-x64 and linux-arm64: static ELF for their CPU, mode 0755', () => {
    expect(elfFacts(programIn('linux', 'x64'))).toEqual({ machine: 62, interpreter: false });
    expect(elfFacts(programIn('linux', 'arm64'))).toEqual({ machine: 183, interpreter: false });
    for (const arch of ['x64', 'arm64']) expect(statSync(programIn('linux', arch)).mode & 0o777).toBe(0o755);
  });

  it.runIf(CROSS)(
    'darwin-x64 and darwin-arm64: Mach-O executables for their CPU, the arm64 one signed',
    () => {
      const LC_CODE_SIGNATURE = 0x1d;
      const x64 = machOFacts(programIn('darwin', 'x64'));
      const arm64 = machOFacts(programIn('darwin', 'arm64'));
      expect([x64.cpu, x64.fileType]).toEqual([0x01000007, 2]);
      expect([arm64.cpu, arm64.fileType]).toEqual([0x0100000c, 2]);
      // Apple silicon runs no unsigned program; zig's linker signs it ad hoc.
      expect(arm64.commands).toContain(LC_CODE_SIGNATURE);
    },
  );

  it.runIf(host === 'linux-x64')('linux-x64 runs here: it answers our version and spools an event', () => {
    const program = programIn('linux', 'x64');
    expect(execFileSync(program, ['--version'], { encoding: 'utf8' })).toBe(NATIVE_HOOK_HANDSHAKE);
    const dist = join(unpacked, 'package', 'dist');
    expect(spoolThrough('linux-x64', program, ['UserPromptSubmit', process.execPath, dist])).toEqual([
      payload,
    ]);
  });

  it.runIf(CROSS && (CI || qemuAarch64() !== null))(
    'linux-arm64 runs under qemu-user: it answers our version and spools an event',
    () => {
      const qemu = qemuAarch64();
      expect(qemu, 'qemu-aarch64 (Debian: qemu-user) is needed to run the arm64 program').not.toBeNull();
      const program = programIn('linux', 'arm64');
      expect(execFileSync(qemu as string, [program, '--version'], { encoding: 'utf8' })).toBe(
        NATIVE_HOOK_HANDSHAKE,
      );
      const dist = join(unpacked, 'package', 'dist');
      expect(
        spoolThrough('linux-arm64', qemu as string, [program, 'UserPromptSubmit', process.execPath, dist]),
      ).toEqual([payload]);
    },
  );
});

describe('the installed package as Codex runs it', () => {
  // The two commands init writes into hooks.json: hook.sh on POSIX, `node bin.cjs hook` (commandWindows).
  const frontEnds: [string, string, string[]][] = [
    ['hook.sh', join('<dist>', 'hook.sh'), ['UserPromptSubmit', process.execPath]],
    ['bin.cjs hook', process.execPath, [join('<dist>', 'bin.cjs'), 'hook', 'UserPromptSubmit']],
  ];
  it.each(frontEnds)('%s: exits 0 silently and spools the payload', (name, command, args) => {
    const resolved = (text: string) => text.replace('<dist>', installedDist);
    expect(spoolThrough(name, resolved(command), args.map(resolved))).toEqual([payload]);
  });

  // README, "Install": the tarball installed globally gives the native front-end on this machine, found in
  // the installed package itself, and an event through the command init wrote reaches the spool.
  it.runIf(NATIVE_HOOK_BUILT)(
    'init gives Front-end: native, from its own dist/native/; the command spools (first-run N6)',
    async () => {
      const sandbox = makeSandbox();
      const init = await runCli(sandbox, initArgs('agent-pack', 'http://127.0.0.1:9', '--offline'), {
        input: 'sk-pack-secret',
        bin,
      });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('Front-end: native\n');
      const hooks = JSON.parse(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8'));
      const command: string = hooks.hooks.UserPromptSubmit[0].hooks[0].command;
      expect(command).toContain(`exec '${nativeHookPath(realpathSync(installedDist))}' UserPromptSubmit `);
      const run = spawnSync('/bin/sh', ['-c', command], {
        input: payload,
        env: sandbox.env,
        encoding: 'utf8',
      });
      expect([run.status, run.stdout, run.stderr]).toEqual([0, '', '']);
      const spool = join(sandbox.stateDir, 'spool');
      const spooled = readdirSync(spool).filter((name) => name.endsWith('.UserPromptSubmit.json'));
      expect(spooled).toHaveLength(1);
      expect(spooledBytes(join(spool, spooled[0] as string)).toString()).toBe(payload);
    },
  );
});
