// The package a user installs: `npm pack` holds only what users need, and the tarball installed into a
// fresh prefix (production dependencies only) runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';

let work: string;
let tarball: string;
let files: string[];
let bin: string;

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
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
  });

  it('installs and answers --version and --help', () => {
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
    expect(execFileSync(bin, ['--help'], { encoding: 'utf8' })).toContain('Usage: infinium-codex');
  });
});
