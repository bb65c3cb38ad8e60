// How this copy of the connector was installed, so that advice to update it names a command that works
// for it: a checkout (dist/ built inside a git clone), a tarball packed from one, or the npm registry. npm
// records neither of the last two in the installed package, so `npm pack` (prepack) stamps its dist/ with
// dist/install-source.json: `tarball`, or `registry` when the release workflow packs for publishing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PACKAGE_NAME = 'infinium-codex-connector';

export type InstallSource = 'checkout' | 'tarball' | 'registry';

export function installSource(distDir: string): InstallSource {
  try {
    const stamp = JSON.parse(readFileSync(join(distDir, 'install-source.json'), 'utf8')) as {
      source?: unknown;
    };
    if (stamp.source === 'registry' || stamp.source === 'tarball') return stamp.source;
  } catch {
    // not stamped: built in place
  }
  return existsSync(join(dirname(distDir), '.git')) ? 'checkout' : 'tarball';
}

/** The command (or steps) that update this copy, for advice such as doctor's. */
export function updateAdvice(distDir: string): string {
  switch (installSource(distDir)) {
    case 'registry':
      return `\`npm install -g ${PACKAGE_NAME}@latest\``;
    case 'checkout':
      return `\`git pull && npm ci && npm run build\` in ${dirname(distDir)}`;
    case 'tarball':
      return `install a newer tarball as you installed this one (\`npm install -g ./${PACKAGE_NAME}-<version>.tgz\`)`;
  }
}
