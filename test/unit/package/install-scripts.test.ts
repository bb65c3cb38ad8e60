// `npm ci` runs no install script and prints no warning about one (first-run N20): every locked package
// that declares an install script is named in package.json's `allowScripts` (npm 11 warns about any not
// named there), and none of those is allowed to run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('install scripts', () => {
  it('each locked package with an install script is denied by name in allowScripts', () => {
    const lock = json('package-lock.json') as {
      packages: Record<string, { hasInstallScript?: boolean; optional?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    const allow = (json('package.json') as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    expect(Object.fromEntries(withScripts.map((name) => [name, allow[name]]))).toEqual(
      Object.fromEntries(withScripts.map((name) => [name, false])),
    );
  });
});
