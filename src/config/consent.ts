// The user's consent to a project file (<project>/.infinium/config.json). Such a file comes with the code
// (a clone carries it like any other file), so the settings in it that widen where data goes or how much of
// it (an agent, a base URL, content mode toward `full`) apply only once the user allowed that exact content
// on this machine, as Codex trusts hooks by their hash and direnv allows an `.envrc`. The record is kept in
// the state folder (allowed.json, 0600), keyed by the place where the file was found (the project's real
// folder and the path in it, never where a link leads: a clone linking to another project's allowed file is
// not that project), holding the SHA-256 of
// the bytes that were read and applied: an edited file needs consent again. The caller reads the file once
// and hands over those bytes (src/config/settings.ts readProjectFile), so what is hashed is what applies.
// `init` and `update-credentials` record it for what they write.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { type Env, statePaths } from './paths';

export type Decision = 'allow' | 'deny';

interface ConsentRecord {
  sha256: string;
  decision: Decision;
  atMs: number;
}

/** The command that gives consent, as `status`, `doctor` and the worker log name it. */
export const ALLOW_COMMAND = 'infinium-codex allow';

export function consentFile(env: Env): string {
  return join(statePaths(env).root, 'allowed.json');
}

function readRecords(env: Env): Record<string, ConsentRecord> {
  try {
    const json: unknown = JSON.parse(readFileSync(consentFile(env), 'utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, ConsentRecord>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Where the file was found: the project folder's real path (the same project reached through another
 * path, as a shell and Codex may name it, is the same place), then the path inside it as found, no link
 * followed (a link inside the project to another project's file is not that file's place).
 */
function keyFor(file: string): string {
  const inProject = dirname(dirname(resolve(file)));
  try {
    return join(realpathSync(inProject), relative(inProject, resolve(file)));
  } catch {
    return resolve(file);
  }
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What the user decided for the file found at `file` with these bytes, or null when never asked about them. */
export function decisionFor(file: string, bytes: Buffer, env: Env): Decision | null {
  const record = readRecords(env)[keyFor(file)];
  return record && record.sha256 === digest(bytes) ? record.decision : null;
}

/**
 * Records the user's decision for the file found at `file` holding `bytes`: those shown to the user
 * (`allow`), or, when not given, the file as it is now (what `init` just wrote; a missing file: nothing).
 */
export function recordDecision(file: string, decision: Decision, env: Env, bytes?: Buffer): void {
  let content = bytes;
  if (content === undefined) {
    try {
      content = readFileSync(file);
    } catch {
      return;
    }
  }
  const sha256 = digest(content);
  const records = readRecords(env);
  const known = records[keyFor(file)];
  // The same decision on the same content: the record stands as it is (a second `init` changes no file).
  if (known?.sha256 === sha256 && known.decision === decision) return;
  records[keyFor(file)] = { sha256, decision, atMs: Date.now() };
  writeFileAtomic(consentFile(env), `${JSON.stringify(records, null, 2)}\n`, {
    mode: 0o600,
    forceMode: true,
    dirMode: 0o700,
  });
}
