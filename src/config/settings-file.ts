// Writing config.json files (project `.infinium/config.json`, user defaults). Keys we do not know are
// kept; the file is rewritten only when something changed, so running `init` twice leaves it untouched.
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from './atomic-file';
import {
  checkSettings,
  PROJECT_CONFIG_DIR,
  PROJECT_CONFIG_FILE,
  readConfigObject,
  type Settings,
} from './settings';

export function projectConfigFile(projectDir: string): string {
  return join(projectDir, PROJECT_CONFIG_DIR, PROJECT_CONFIG_FILE);
}

/**
 * Sets (or, with `undefined`, removes) the given keys in a config.json, checked like any config file.
 * Returns whether the file changed.
 */
export function updateSettingsFile(
  file: string,
  patch: Partial<Record<keyof Settings, unknown>>,
  modes: { mode: number; dirMode: number },
): boolean {
  const before = readConfigObject(file);
  const after: Record<string, unknown> = { ...before };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete after[key];
    else after[key] = value;
  }
  checkSettings(after, file);
  if (isDeepStrictEqual(before, after)) return false;
  writeFileAtomic(file, `${JSON.stringify(after, null, 2)}\n`, { ...modes, forceMode: false });
  return true;
}
