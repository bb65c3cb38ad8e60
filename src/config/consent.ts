// The user's consent to a project file (<project>/.infinium/config.json). Such a file comes with the code
// (a clone carries it like any other file), so the settings in it that widen where data goes or how much of
// it (an agent, a base URL, content mode toward `full`) apply only once the user allowed that exact content
// on this machine, as Codex trusts hooks by their hash and direnv allows an `.envrc`. The record is kept in
// the state folder (allowed.json, 0600), keyed by the file's real path, holding the SHA-256 of its bytes: an
// edited file needs consent again. `init` and `update-credentials` record it for what they write.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
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

function keyFor(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function digest(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** What the user decided for this file's current content, or null when they were never asked about it. */
export function decisionFor(file: string, env: Env): Decision | null {
  const record = readRecords(env)[keyFor(file)];
  const sha256 = digest(file);
  return record && sha256 !== null && record.sha256 === sha256 ? record.decision : null;
}

/** Records the user's decision for the file's current content (a missing file: nothing to record). */
export function recordDecision(file: string, decision: Decision, env: Env, nowMs = Date.now()): void {
  const sha256 = digest(file);
  if (sha256 === null) return;
  const records = readRecords(env);
  const known = records[keyFor(file)];
  // The same decision on the same content: the record stands as it is (a second `init` changes no file).
  if (known?.sha256 === sha256 && known.decision === decision) return;
  records[keyFor(file)] = { sha256, decision, atMs: nowMs };
  writeFileAtomic(consentFile(env), `${JSON.stringify(records, null, 2)}\n`, {
    mode: 0o600,
    forceMode: true,
    dirMode: 0o700,
  });
}
