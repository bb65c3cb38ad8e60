import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installSource, updateAdvice } from '../../../src/cli/install-source';

/** A package folder with a dist/, optionally stamped by `npm pack` and optionally inside a git clone. */
function packageDir({ stamp, git }: { stamp?: string; git?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'icx-source-'));
  mkdirSync(join(root, 'dist'));
  if (stamp !== undefined) writeFileSync(join(root, 'dist', 'install-source.json'), stamp);
  if (git) mkdirSync(join(root, '.git'));
  return join(root, 'dist');
}

describe('how this copy was installed, for advice that names a command that exists (first-run N4)', () => {
  it.each([
    [{ git: true }, 'checkout', /`git pull && npm ci && npm run build` in \/tmp\//],
    [
      { stamp: '{"source":"tarball"}\n' },
      'tarball',
      /npm install -g \.\/infinium-codex-connector-<version>\.tgz/,
    ],
    [{ stamp: '{"source":"registry"}\n' }, 'registry', /^`npm install -g infinium-codex-connector@latest`$/],
    // A pack stamp wins over a .git folder (a tarball unpacked inside someone's repository).
    [{ stamp: '{"source":"tarball"}', git: true }, 'tarball', /tgz/],
    // Unreadable or unknown stamps fall back to what can be seen.
    [{ stamp: '{"source":"elsewhere"}' }, 'tarball', /tgz/],
    [{ stamp: 'not json', git: true }, 'checkout', /git pull/],
  ] as const)('%o is a %s install', (layout, source, advice) => {
    const dist = packageDir(layout);
    expect(installSource(dist)).toBe(source);
    expect(updateAdvice(dist)).toMatch(advice);
    expect(updateAdvice(dist)).not.toMatch(/infinium-codex@/);
  });
});
