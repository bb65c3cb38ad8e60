// The package a user installs: `npm pack` holds only what users need, and the tarball installed into a
// fresh prefix (production dependencies only) runs, both as a command and as the hook Codex calls.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { NATIVE_HOOK_BINARY, nativeHookPackage } from '../../src/codex/native-hook';
import { spooledBytes } from '../../src/spool/events';
import {
  initArgs,
  makeSandbox,
  NATIVE_HOOK,
  NATIVE_HOOK_BUILT,
  REPO_ROOT,
  runCli,
} from '../support/cli-sandbox';

let work: string;
let tarball: string;
let files: string[];
let bin: string;
let installedDist: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'infinium-pack-'));
  // --ignore-scripts: `npm test` has just built dist/; rebuilding here would race the other test files.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
      encoding: 'utf8',
    }),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0]?.filename ?? '');
  files = (packed[0]?.files ?? []).map((f) => f.path).sort();
  const prefix = join(work, 'prefix');
  execFileSync(
    'npm',
    ['install', '-g', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', tarball],
    {
      encoding: 'utf8',
      stdio: 'pipe',
    },
  );
  bin = join(prefix, 'bin', 'infinium-codex');
  installedDist = join(prefix, 'lib', 'node_modules', pkg.name, 'dist');
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the npm package', () => {
  it('ships only the bundles, docs, license, readme, changelog and manifest', () => {
    for (const path of files) {
      expect(path).toMatch(/^(dist\/|docs\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/);
    }
    expect(files).toContain('dist/bin.cjs');
    expect(files).toContain('dist/cli.mjs');
    expect(files).toContain('LICENSE');
    expect(files).toContain('CHANGELOG.md');
    expect(files).toContain('dist/hook.sh');
    expect(files).toContain('dist/worker.mjs');
    for (const page of ['getting-started', 'configuration', 'commands', 'traced-events', 'troubleshooting']) {
      expect(files).toContain(`docs/${page}.md`);
    }
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    // The native front-end ships in its platform's package only, never in this one.
    expect(files.filter((f) => f.startsWith('npm/') || f.endsWith(NATIVE_HOOK_BINARY))).toEqual([]);
  });

  it('lists each platform package as an optional dependency pinned to its own version, each in step', () => {
    const folders = readdirSync(join(REPO_ROOT, 'npm')).sort();
    expect(folders).toEqual(['hook-darwin-arm64', 'hook-darwin-x64', 'hook-linux-arm64', 'hook-linux-x64']);
    const wanted: Record<string, string> = {};
    for (const folder of folders) {
      const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'npm', folder, 'package.json'), 'utf8'));
      const [, platform, arch] = /^hook-(\w+)-(\w+)$/.exec(folder) ?? [];
      expect(manifest).toMatchObject({
        name: nativeHookPackage(platform ?? '', arch ?? ''),
        version: pkg.version,
        os: [platform],
        cpu: [arch],
        files: [NATIVE_HOOK_BINARY],
      });
      expect(manifest.scripts).toBeUndefined();
      wanted[manifest.name] = pkg.version;
    }
    expect(pkg.optionalDependencies).toEqual(wanted);
    expect((pkg as { scripts: Record<string, string> }).scripts.postinstall).toBeUndefined();
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

describe('the installed package as Codex runs it', () => {
  // The two commands init writes into hooks.json: hook.sh on POSIX, `node bin.cjs hook` (commandWindows).
  const frontEnds: [string, string, string[]][] = [
    ['hook.sh', join('<dist>', 'hook.sh'), ['UserPromptSubmit', process.execPath]],
    ['bin.cjs hook', process.execPath, [join('<dist>', 'bin.cjs'), 'hook', 'UserPromptSubmit']],
  ];
  it.each(frontEnds)('%s: exits 0 silently and spools the payload', (_name, command, args) => {
    const state = join(work, `state-${_name.replace(/\W/g, '')}`);
    const resolved = (text: string) => text.replace('<dist>', installedDist);
    const run = spawnSync(resolved(command), args.map(resolved), {
      input: payload,
      env: { PATH: process.env.PATH, HOME: join(work, 'home'), INFINIUM_CODEX_HOME: state },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    const spooled = readdirSync(join(state, 'spool')).filter((name) =>
      name.endsWith('.UserPromptSubmit.json'),
    );
    expect(spooled).toHaveLength(1);
    expect(spooledBytes(join(state, 'spool', spooled[0] as string)).toString()).toBe(payload);
  });
});

// The host's platform package as npm would publish it, installed beside the main package as npm installs an
// optional dependency: `init` finds it through the main package and Codex's command runs it.
describe.runIf(NATIVE_HOOK_BUILT)('the platform package of this machine', () => {
  let platformFiles: string[];
  let project: string;
  beforeAll(() => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: join(NATIVE_HOOK, '..'),
        encoding: 'utf8',
      }),
    ) as { filename: string; files: { path: string; mode: number }[] }[];
    platformFiles = (packed[0]?.files ?? []).map((f) => f.path).sort();
    project = join(work, 'project');
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        project,
        '--omit=dev',
        '--no-audit',
        '--no-fund',
        '--no-save',
        tarball,
        join(work, packed[0]?.filename ?? ''),
      ],
      { encoding: 'utf8', stdio: 'pipe' },
    );
  }, 180_000);

  it('holds only the program, its manifest and its README', () => {
    expect(platformFiles).toEqual(['README.md', NATIVE_HOOK_BINARY, 'package.json']);
  });

  it('is found by init in the installed package, and an event through its command reaches the spool', async () => {
    const sandbox = makeSandbox();
    const bin = join(project, 'node_modules', pkg.name, 'dist', 'bin.cjs');
    const init = await runCli(sandbox, initArgs('agent-pack', 'http://127.0.0.1:9', '--offline'), {
      input: 'sk-pack-secret',
      bin,
    });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Front-end: native\n');
    const hooks = JSON.parse(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8'));
    const command: string = hooks.hooks.UserPromptSubmit[0].hooks[0].command;
    const installed = join(project, 'node_modules', nativeHookPackage(process.platform, process.arch));
    expect(command.startsWith(`'${join(installed, NATIVE_HOOK_BINARY)}' UserPromptSubmit `)).toBe(true);
    expect(statSync(join(installed, NATIVE_HOOK_BINARY)).mode & 0o111).not.toBe(0);
    const run = spawnSync('/bin/sh', ['-c', command], { input: payload, env: sandbox.env, encoding: 'utf8' });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, '', '']);
    const spool = join(sandbox.stateDir, 'spool');
    const spooled = readdirSync(spool).filter((name) => name.endsWith('.UserPromptSubmit.json'));
    expect(spooled).toHaveLength(1);
    expect(spooledBytes(join(spool, spooled[0] as string)).toString()).toBe(payload);
  });
});
