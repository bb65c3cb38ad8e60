// The package a user installs: `npm pack` holds only what users need, and the tarball installed into a
// fresh prefix (production dependencies only) runs, both as a command and as the hook Codex calls.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { spooledBytes } from '../../src/spool/events';

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

describe('the installed package as Codex runs it', () => {
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
