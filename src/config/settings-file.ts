// Writing config.json files (project `.infinium/config.json`, user defaults). Keys we do not know are
// kept; the file is rewritten only when something changed, so running `init` twice leaves it untouched.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from './atomic-file';
import {
  ConfigError,
  checkSettings,
  PROJECT_CONFIG_DIR,
  PROJECT_CONFIG_FILE,
  type Settings,
} from './settings';

export function projectConfigFile(projectDir: string): string {
  return join(projectDir, PROJECT_CONFIG_DIR, PROJECT_CONFIG_FILE);
}

function readRaw(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `${file} is not valid JSON, so it was left untouched; fix or delete it and run this again.`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${file} must hold a JSON object; fix or delete it and run this again.`);
  }
  return json as Record<string, unknown>;
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
  const before = readRaw(file);
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
